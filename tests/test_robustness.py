"""Interrupted renders leave nothing behind; parallel renders do not collide; frames are deterministic."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from blockmath import BlockConfig
from blockmath.lessons import BY_NAME as SCENES
from blockmath.paths import Target, clip_path

pytestmark = [pytest.mark.render, pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")]

RES = ["-q", "l", "--resolution", "192x108"]


def render_cmd(media, sentence, *extra):
    return [sys.executable, "-m", "blockmath", "render", "residual", *RES, "--media-dir", str(media),
            "--sentence", sentence, *extra]


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("BLOCKMATH_")}


def decoded_frames(clip, size=(192, 108)):
    """Every frame of a clip, decoded to RGB: [n, h, w, 3] uint8."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, size[1], size[0], 3)


# Put on PYTHONPATH, this runs at the start of every Python process of the render; in manim's, it makes the render
# stop for good right after its second animation's movie file is finished (encoders joined), and say so with a
# marker file. The render is then certainly mid-way: partial movie files on disk, no clip yet, manim still running.
PAUSE_HOOK = """
import os, signal
from pathlib import Path
if {b"manim", b"blockmath.manim_run"} & set(Path("/proc/self/cmdline").read_bytes().split(b"\\0")[1:3]):  # manim's CLI
    from manim.scene.scene_file_writer import SceneFileWriter
    close, calls = SceneFileWriter.close_partial_movie_stream, []

    def close_then_pause(self):
        close(self)
        calls.append(1)
        if len(calls) == 2:
            self.join_all_encode_jobs()
            marker = os.environ["RENDER_PAUSED_MARKER"]
            Path(marker + ".tmp").write_text(str(os.getpid()))
            os.replace(marker + ".tmp", marker)  # appears with the pid in it
            while True:
                signal.pause()  # until a signal ends the process

    SceneFileWriter.close_partial_movie_stream = close_then_pause
"""


def running(pid: int) -> bool:
    """True while pid is a live process (a zombie waiting to be reaped is dead)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def paused_render(media, sentence, hook_dir):
    """Start a render that stops mid-way for good; once it has stopped there (see PAUSE_HOOK), return it and the
    process id of its manim."""
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(PAUSE_HOOK)
    marker = hook_dir / "paused"
    env = {**clean_env(), "PYTHONPATH": str(hook_dir), "RENDER_PAUSED_MARKER": str(marker)}
    proc = subprocess.Popen(render_cmd(media, sentence), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    while not marker.exists():  # no deadline to race: manim either reaches the pause or exits
        if proc.poll() is not None:
            pytest.fail(f"the render ended before its pause: {proc.communicate()[1].decode()[-2000:]}")
        time.sleep(0.05)
    return proc, int(marker.read_text())


@pytest.mark.parametrize("sig, group", [(signal.SIGINT, True), (signal.SIGTERM, False), (signal.SIGKILL, True)])
def test_killed_render_leaves_no_clip_and_next_run_recovers(tmp_path, sig, group):
    media, sentence = tmp_path / "media", "Killing renders is fine."
    final = clip_path(BlockConfig(sentence=sentence), SCENES["residual"], Target("l", (192, 108), media))
    proc, manim = paused_render(media, sentence, tmp_path / "hook")
    try:
        partial = list((media / ".work").glob("*/videos/**/partial_movie_files/*/*.mp4"))
        assert len(partial) >= 2 and all(p.stat().st_size > 0 for p in partial)  # mid-render: two animations written
        assert proc.poll() is None and running(manim) and not final.exists()
        if group:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)  # blockmath alone: it must stop its manim itself
        _, err = proc.communicate(timeout=60)
        for _ in range(100):  # a killed process may take a moment to be reaped
            if not running(manim):
                break
            time.sleep(0.1)
        assert not running(manim), "the interrupted render left its manim process running"
    finally:
        if running(manim):
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
    procs = [subprocess.Popen(render_cmd(media, s), env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for s in (a, b)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()
    clip_a = clip_path(BlockConfig(sentence=a), SCENES["residual"], Target("l", (192, 108), media))
    clip_b = clip_path(BlockConfig(sentence=b), SCENES["residual"], Target("l", (192, 108), media))
    assert clip_a.is_file() and clip_b.is_file() and clip_a.parent != clip_b.parent
    # a second, independent render of the same sentence and seed gives the same decoded frames. Manim's
    # geometry goes through NumPy reductions whose last bit can depend on memory alignment, so on rare frames a
    # few edge pixels are antialiased differently: allow that, and nothing more.
    other = tmp_path / "other"
    r = subprocess.run(render_cmd(other, a), env=clean_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    again = clip_path(BlockConfig(sentence=a), SCENES["residual"], Target("l", (192, 108), other))
    fa, fb = decoded_frames(clip_a), decoded_frames(again)
    assert fa.shape == fb.shape
    diff = np.abs(fa.astype(int) - fb.astype(int)).max(axis=-1)  # [n, h, w]
    identical = (diff == 0).all(axis=(1, 2))
    assert identical.mean() > 0.9, f"only {identical.mean():.0%} of frames are bit-identical"
    assert (diff > 16).sum(axis=(1, 2)).max() <= 50  # at most a few dozen antialiased edge pixels in any frame
    assert diff.max() < 128
    # and a different sentence really gives different frames
    fc = decoded_frames(clip_b)
    assert np.abs(fa[-1].astype(int) - fc[-1].astype(int)).max() > 128
