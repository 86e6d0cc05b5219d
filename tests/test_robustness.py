"""Interrupted renders leave nothing behind; parallel renders do not collide; frames are deterministic."""

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from blockmath import BlockConfig
from blockmath.lessons import BY_NAME as SCENES
from blockmath.paths import Target, clip_path

import manim_pause  # noqa: E402  (tests/manim_pause.py)

pytestmark = [pytest.mark.render, pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")]

RES = ["-q", "l", "--resolution", "192x108"]


def render_cmd(media, sentence, *extra, scenes=("residual",)):
    return [sys.executable, "-m", "blockmath", "render", *scenes, *RES, "--media-dir", str(media),
            "--sentence", sentence, *extra]


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("BLOCKMATH_")}


def frame_md5s(clip):
    """ffmpeg's framemd5 of every decoded frame of a clip, in order."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-f", "framemd5", "-"],
                         capture_output=True, text=True, check=True).stdout
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if line and not line.startswith("#")]


def decoded_frames(clip, size=(192, 108)):
    """Every frame of a clip, decoded to RGB: [n, h, w, 3] uint8."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, size[1], size[0], 3)


def paused_render(media, sentence, hook_dir):
    """Start a render that stops mid-way for good; once it has stopped there (see tests/manim_pause.py), return it and the
    process id of its manim."""
    env = {**clean_env(), **manim_pause.install(hook_dir)}
    proc = subprocess.Popen(render_cmd(media, sentence), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    while not manim_pause.paused_pids(hook_dir):  # no deadline to race: manim either reaches the pause or exits
        if proc.poll() is not None:
            pytest.fail(f"the render ended before its pause: {proc.communicate()[1].decode()[-2000:]}")
        time.sleep(0.05)
    return proc, manim_pause.paused_pids(hook_dir)[0]


@pytest.mark.parametrize("sig, group", [(signal.SIGINT, True), (signal.SIGTERM, False), (signal.SIGKILL, True)])
def test_killed_render_leaves_no_clip_and_next_run_recovers(tmp_path, sig, group):
    media, sentence = tmp_path / "media", "Killing renders is fine."
    final = clip_path(BlockConfig(sentence=sentence), SCENES["residual"], Target("l", (192, 108), media))
    proc, manim = paused_render(media, sentence, tmp_path / "hook")
    try:
        partial = list((media / ".work").glob("*/videos/**/partial_movie_files/*/*.mp4"))
        assert len(partial) >= 2 and all(p.stat().st_size > 0 for p in partial)  # mid-render: two animations written
        assert proc.poll() is None and manim_pause.alive(manim) and not final.exists()
        if group:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)  # blockmath alone: it must stop its manim itself
        _, err = proc.communicate(timeout=60)
        for _ in range(100):  # a killed process may take a moment to be reaped
            if not manim_pause.alive(manim):
                break
            time.sleep(0.1)
        assert not manim_pause.alive(manim), "the interrupted render left its manim process running"
    finally:
        if manim_pause.alive(manim):
            os.kill(manim, signal.SIGKILL)
    assert proc.returncode != 0
    assert b"Traceback" not in err
    assert not final.parent.exists() or list(final.parent.iterdir()) == []  # no clip, stamp or temp file
    # the next run recovers without manual cleanup and sweeps the dead run's work folder
    r = subprocess.run(render_cmd(media, sentence), env=clean_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert final.is_file() and final.stat().st_size > 0
    assert list((media / ".work").iterdir()) == []


def test_parallel_renders_do_not_collide_and_frames_are_deterministic(tmp_path):
    media = tmp_path / "media"
    a, b = "Parallel renders stay apart.", "Another sentence renders too."
    scenes = ("residual", "layernorm")  # the two scenes issue #15 saw differ (5 and 20 frames)
    procs = [subprocess.Popen(render_cmd(media, s, scenes=sc), env=clean_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for s, sc in ((a, scenes), (b, ("residual",)))]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()
    clips = {n: clip_path(BlockConfig(sentence=a), SCENES[n], Target("l", (192, 108), media)) for n in scenes}
    clip_b = clip_path(BlockConfig(sentence=b), SCENES["residual"], Target("l", (192, 108), media))
    assert all(c.is_file() for c in clips.values()) and clip_b.is_file()
    assert clips["residual"].parent != clip_b.parent
    first = {n: frame_md5s(c) for n, c in clips.items()}
    # The same sentence and seed give the same decoded frames, every one of them (the README's promise): rendered
    # again into a fresh media folder, in a process whose heap holds other bytes (MALLOC_PERTURB_: glibc fills
    # malloc'd memory with them; x264's AVX-512 mbtree code read such memory until manim.cfg chose its C version),
    # and rendered again into the first folder, whose glyph cache is now warm (outlines loaded from disk).
    other = tmp_path / "other"
    r = subprocess.run(render_cmd(other, a, scenes=scenes), env={**clean_env(), "MALLOC_PERTURB_": "85"},
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    fresh = {n: frame_md5s(clip_path(BlockConfig(sentence=a), SCENES[n], Target("l", (192, 108), other)))
             for n in scenes}
    r = subprocess.run(render_cmd(media, a, "--force", scenes=scenes), env=clean_env(), capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    warm = {n: frame_md5s(c) for n, c in clips.items()}
    for n in scenes:
        assert len(first[n]) > 100
        for label, again in (("fresh folder", fresh[n]), ("warm glyph cache", warm[n])):
            differing = [i for i, (x, y) in enumerate(zip(first[n], again)) if x != y]
            assert len(again) == len(first[n]) and not differing, \
                f"{n}, {label}: {len(differing)} of {len(first[n])} frames differ, from frame {differing[:1]}"
    # and a different sentence really gives different frames
    fa, fc = decoded_frames(clips["residual"]), decoded_frames(clip_b)
    assert np.abs(fa[-1].astype(int) - fc[-1].astype(int)).max() > 128
