"""The shortcuts that make renders fast draw and encode what manim's own code would (see scenes/kit/fast.py)."""

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
manim = pytest.importorskip("manim")
sys.path.insert(0, str(ROOT / "scenes"))

from manim import DOWN, LEFT, RIGHT, UP, Camera, Square  # noqa: E402


def _frame(camera_cls, mobjects, size=(854, 480)):
    """The camera's pixels for mobjects: the first capture, and a second one (SpriteCamera: from its cache)."""
    from kit.style import BG

    with manim.tempconfig({"pixel_width": size[0], "pixel_height": size[1]}):
        cam = camera_cls(background_color=BG)
        cam.capture_mobjects(mobjects)
        first = cam.pixel_array.astype(int)
        cam.reset()
        cam.capture_mobjects(mobjects)
        return first, cam.pixel_array.astype(int), cam


def _scene_mobjects():
    from kit.style import MLP as DELTA_COLOR
    from kit.text import number, text
    from kit.widgets import caption, title

    half = text("half transparent, over a square", 30).set_opacity(0.4)
    return [caption("Δ: what this layer proposes to change (computed by the core's FFN)."),
            title("Residual:  h′ = h + λ · Δ", "a layer revises the token state"),
            Square(3, fill_opacity=1, fill_color="#336699"), half,
            number(-0.4321, 2, 40).shift(DOWN + LEFT * 4),
            text("h ← Δ  (replace)", 60, DELTA_COLOR).shift(DOWN * 2),
            text("half off the right edge", 40).shift(RIGHT * 7.5),
            text("invisible", 40).set_opacity(0)]


@pytest.mark.parametrize("size", [(854, 480), (192, 108)])
def test_sprite_camera_draws_what_manims_camera_draws(size):
    from kit.fast import SpriteCamera

    ref, _, _ = _frame(Camera, _scene_mobjects(), size)
    first, again, cam = _frame(SpriteCamera, _scene_mobjects(), size)
    assert (ref != ref[0, 0]).any(axis=2).sum() > size[0] * size[1] // 50, "the test scene should draw something"
    assert cam.sprites, "large text should have been drawn as sprites"
    assert np.abs(first - ref).max() <= 1  # rounding of the last bit when compositing with alpha
    assert np.abs(again - ref).max() <= 1  # and the same from the sprite cache


def test_sprite_camera_redraws_a_changed_shape():
    from kit.fast import SpriteCamera
    from kit.text import text

    label = text("a label that moves", 40)
    _, _, cam = _frame(SpriteCamera, [label])
    label.shift(UP * 1.5).set_color("#ff0000")
    ref, _, _ = _frame(Camera, [label])
    cam.reset()
    cam.capture_mobjects([label])
    assert np.abs(cam.pixel_array.astype(int) - ref).max() <= 1


def _x264(w, h, fps):
    """The H.264 segment settings of manim.cfg."""
    from fractions import Fraction

    from manim._config.video_encoder import VideoEncoderSpec

    return VideoEncoderSpec("mp4", "libx264", "yuv420p", w, h, Fraction(fps),
                            (("crf", "23"), ("preset", "veryfast"), ("threads", "1"), ("x264-params", "cpu-independent=1")))


def _encode(encoder_cls, frames, repeats, tmp_path, name, transparent=False):
    """Write frames (each held `repeat` frames) with encoder_cls; decode the result as RGB(A) arrays."""
    from fractions import Fraction

    import av
    from manim._config.video_encoder import VideoEncoderSpec

    h, w = frames[0].shape[:2]
    spec = VideoEncoderSpec("mov", "qtrle", "argb", w, h, Fraction(15), ()) if transparent else _x264(w, h, 15)
    path = tmp_path / f"{name}.{spec.container_format}"
    enc = encoder_cls(target=path, spec=spec)
    for f, r in zip(frames, repeats):
        enc.write_frame(f, repeat=r)
    enc.finish()
    with av.open(str(path)) as c:
        return [fr.to_ndarray(format="rgba" if transparent else "rgb24") for fr in c.decode(video=0)]


@pytest.mark.parametrize("size", [(854, 480), (190, 106)])  # 854 * 4 bytes is not a multiple of 32: padded rows
@pytest.mark.parametrize("transparent", [False, True])
def test_held_frame_encoder_writes_what_manims_encoder_writes(tmp_path, size, transparent):
    from manim.scene.video_segment_encoder import VideoSegmentEncoder

    from kit.fastencode import HeldFrameEncoder

    rng = np.random.default_rng(7)
    w, h = size
    frames = []
    for i in range(6):
        f = np.zeros((h, w, 4), np.uint8)
        f[..., 3] = 255 if not transparent else rng.integers(0, 256)
        f[h // 4:h // 2, i * w // 8:(i + 2) * w // 8, :3] = rng.integers(0, 256, 3)
        frames.append(f)
    repeats = [1, 5, 1, 2, 1, 3]
    ref = _encode(VideoSegmentEncoder, frames, repeats, tmp_path, "manim", transparent)
    ours = _encode(HeldFrameEncoder, frames, repeats, tmp_path, "ours", transparent)
    assert len(ref) == len(ours) == sum(repeats)
    for a, b in zip(ref, ours):
        assert np.array_equal(a, b)


def _still_segments(tmp_path, name, segments, sparse, fps=60):
    """Segments of bar frames (frame i: a bright bar at column block i), each frame held its repeat, encoded by
    HeldFrameEncoder with a narrated render's settings (holds stored sparsely, or with `sparse` off every frame);
    then joined as manim joins a clip's segments."""
    from types import SimpleNamespace

    from manim.scene.scene_file_writer import SceneFileWriter

    from kit.fastencode import HeldFrameEncoder, narrated_spec, still_step

    w, h = 320, 180
    spec = narrated_spec(_x264(w, h, fps))
    files = []
    for k, segment in enumerate(segments):
        files.append(tmp_path / f"{name}{k}.mp4")
        enc = HeldFrameEncoder(target=files[-1], spec=spec, still_step=still_step(spec) if sparse else 1)
        for i, repeat in segment:
            f = np.zeros((h, w, 4), np.uint8)
            f[..., 3] = 255
            f[:, i * 10:(i + 1) * 10, :3] = 220
            enc.write_frame(f, repeat=repeat)
        enc.finish()
    joined = tmp_path / f"{name}.mp4"
    writer = SimpleNamespace(output_spec=SimpleNamespace(transparent=False, segment_extension=".mp4"),
                             _concat_manifest_bytes=SceneFileWriter._concat_manifest_bytes)
    SceneFileWriter.combine_files(writer, [str(f) for f in files], joined)
    return files, joined


def _container_seconds(path) -> float:
    import av

    with av.open(str(path)) as c:
        return c.duration / av.time_base


def _shown(path):
    """(time, index of the bar) of every decoded frame."""
    import av

    with av.open(str(path)) as c:
        return [(float(fr.time), int(np.argmax(fr.to_ndarray(format="gray")[90] > 110)) // 10)
                for fr in c.decode(video=0)]


def test_a_narrated_hold_encodes_a_few_frames_and_shows_the_same_video(tmp_path):
    """A long hold (still_step 30 at 60 fps: one copy per half second) decodes to far fewer frames, shows at every
    moment the frame a constant-rate encoding shows, and the segments and their join last exactly as long."""
    from blockmath.audio import mux, video_duration

    fps = 60
    segments = [[(0, 1), (1, 1), (2, 1)], [(3, 100)], [(4, 1), (5, 1), (6, 1)], [(7, 200)], [(8, 2), (9, 35)], [(10, 75)]]
    still, still_joined = _still_segments(tmp_path, "still", segments, True, fps)
    every, every_joined = _still_segments(tmp_path, "every", segments, False, fps)
    for segment, path in zip(segments, still):
        assert video_duration(path) == pytest.approx(sum(r for _, r in segment) / fps, abs=1e-3)
    total = sum(r for segment in segments for _, r in segment)
    assert video_duration(still_joined) == pytest.approx(total / fps, abs=1e-3)
    with_sound = mux(still_joined, np.zeros(48000, np.float32), tmp_path / "with-sound.mp4")  # as a narrated clip
    for path in (still_joined, with_sound):  # how long a player plays it: the container's length, not the stream's
        assert _container_seconds(path) == pytest.approx(total / fps, abs=0.03), path.name
    reference, shown = _shown(every_joined), _shown(still_joined)
    assert [i for _, i in reference] == [i for i, r in (x for s in segments for x in s) for _ in range(r)]
    assert len(shown) < total / 4
    times = np.array([t for t, _ in shown])
    for t, i in reference:  # what a player shows at t: the last frame that starts by then
        assert shown[int(np.searchsorted(times, t + 1e-4)) - 1][1] == i, t


def _decimal_number(value, places, size):
    """manim's own DecimalNumber, its characters drawn by Text in our font (no LaTeX here)."""
    from functools import partial

    from kit.style import FONT
    from manim import DecimalNumber, Text

    return DecimalNumber(value, num_decimal_places=places, font_size=size, include_sign=False,
                         mob_class=partial(Text, font=FONT))


def _drawn(mob):
    return np.concatenate([m.points for m in mob.family_members_with_points()])  # [n, 3] every outline point


@pytest.mark.parametrize("value, places, size", [
    (0.5, 2, 30), (-0.4321, 2, 30), (12.34, 2, 24), (-7.0, 1, 40), (-0.001, 2, 30), (999.99, 2, 30), (3.14159, 3, 20),
    pytest.param(1234.5, 2, 30, marks=pytest.mark.xfail(
        strict=True, reason="Number does not lower a thousands comma by half its height as DecimalNumber does")),
])
def test_number_draws_and_updates_like_decimalnumber(value, places, size, monkeypatch):
    """Number (one path of cached glyphs) shows the string DecimalNumber shows, drawn where DecimalNumber draws it,
    before and after set_value: every outline point within 2 % of the digits' height."""
    from kit.text import number
    from manim.mobject.text import numbers

    monkeypatch.setattr(numbers, "string_to_mob_map", {})  # manim's cache of characters, keyed by text only
    ours, theirs = number(value, places, size), _decimal_number(value, places, size)
    assert ours._get_num_string(ours.number) == theirs._get_num_string(theirs.number)
    assert _drawn(ours) == pytest.approx(_drawn(theirs), abs=0.02 * theirs.height)
    for mob in (ours, theirs):
        mob.scale(1.7).move_to([2.0, -1.0, 0.0])
    for new in (-12.34, 0.5):  # longer, then shorter: the left edge stays, the scale is kept
        ours.set_value(new)
        theirs.set_value(new)
        assert _drawn(ours) == pytest.approx(_drawn(theirs), abs=0.02 * theirs.height)
    ours.place([0.0, 0.0, 0.0])
    assert ours.get_center() == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


def _moving_after_begin(scene, *animations):
    for a in animations:
        a._setup_scene(scene)
        a.begin()
    return scene.get_moving_mobjects(*animations)


def _scene_with_row():
    """A cell animated on the left, an overlapping label added after it, a far panel added after both."""
    from kit.fast import FastScene
    from kit.text import text

    scene = FastScene()
    cell = Square(1, fill_opacity=1).move_to(LEFT * 4)
    over = text("over the cell", 20).move_to(LEFT * 4 + UP * 0.2)  # inside the cell's box
    near = Square(0.5, fill_opacity=1).next_to(over, RIGHT, buff=0.05)  # touches the label, not the cell
    far = text("far away", 30).move_to(RIGHT * 4)
    scene.add(cell, over, near, far)
    return scene, cell, over, near, far


def test_only_what_an_animation_can_touch_is_redrawn():
    """A later mobject is drawn once (under the redrawn ones) only when nothing redrawn can overlap it."""
    from manim import Transform

    with manim.tempconfig({"dry_run": True, "quality": "low_quality"}):
        scene, cell, over, near, far = _scene_with_row()
        moving = _moving_after_begin(scene, Transform(cell, cell.copy().shift(DOWN * 0.5)))
        assert cell in moving and over in moving  # the label lies on the animated cell: it stays on top
        assert near in moving  # touches the label, which is redrawn: order kept
        assert far not in moving and not any(m in moving for m in far.get_family())


@pytest.mark.parametrize("case", ["updater", "unknown animation", "overshooting easing"])
def test_manims_rule_when_an_animations_reach_is_unknown(case):
    """Updaters can move anything, and so can an arbitrary function or an easing that leaves [0, 1]."""
    from manim import Transform, UpdateFromAlphaFunc, rate_functions

    with manim.tempconfig({"dry_run": True, "quality": "low_quality"}):
        scene, cell, over, near, far = _scene_with_row()
        if case == "updater":
            far.add_updater(lambda m: None)
            anim = Transform(cell, cell.copy().shift(DOWN))
        elif case == "unknown animation":
            anim = UpdateFromAlphaFunc(cell, lambda m, a: None)
        else:
            anim = Transform(cell, cell.copy().shift(DOWN), rate_func=rate_functions.ease_out_back)
        assert far in _moving_after_begin(scene, anim)


@pytest.mark.render
def test_manims_stock_classes_draw_the_same_frames(tmp_path):
    """BLOCKMATH_FAST=0 renders with manim's own camera, scene, file writer and fades. The clips agree: the same
    frames and sections, and every frame within 38 dB PSNR of the other (measured: 41.9 dB at worst, in the middle
    of fades, where manim interpolates a faded copy and the fast path scales opacities; most frames identical)."""
    import json
    import subprocess

    def render(fast):
        media = tmp_path / f"fast{fast}"
        cmd = [sys.executable, "-m", "blockmath", "render", "residual", "-q", "l", "--resolution", "256x144",
               "--media-dir", str(media), "--sentence", "Stock and fast agree."]
        env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("BLOCKMATH_")}
        r = subprocess.run(cmd, capture_output=True, text=True, env={**env, "BLOCKMATH_FAST": fast}, timeout=600)
        assert r.returncode == 0, r.stderr
        clip = Path(r.stdout.strip().splitlines()[-1])
        raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                             capture_output=True, check=True).stdout
        return np.frombuffer(raw, np.uint8).reshape(-1, 144, 256, 3).astype(float), clip

    stock, stock_clip = render("0")
    fast, fast_clip = render("1")
    assert stock.shape == fast.shape
    sections = [json.loads(c.with_suffix(".json").read_text())["sections"] for c in (stock_clip, fast_clip)]
    assert sections[0] == sections[1]
    mse = ((stock - fast) ** 2).mean(axis=(1, 2, 3))
    psnr = 10 * np.log10(255**2 / np.maximum(mse, 1e-12))
    assert psnr.min() >= 38.0, f"frame {psnr.argmin()} differs: {psnr.min():.1f} dB"
    assert (mse == 0).mean() > 0.3  # many frames are bit-identical,
    assert (mse > 0).any()  # but not all: the stock classes really drew the other clip


def test_the_switch_selects_manims_stock_classes():
    """In a process with BLOCKMATH_FAST=0 the scenes derive from manim's Scene and fade with manim's fades."""
    import os
    import subprocess

    code = ("import sys; sys.path.insert(0, {scenes!r}); import manim, kit.base as b, kit.fast as f; "
            "print(b.TraceScene.__mro__[1].__module__, b.TraceScene.__mro__[1].__name__, "
            "type(f.FadeIn(manim.Square())).__module__, type(f.FadeIn(manim.Square())).__name__)")
    seen = {}
    for flag in ("0", "1"):
        env = {**os.environ, "BLOCKMATH_FAST": flag}
        seen[flag] = subprocess.run([sys.executable, "-c", code.format(scenes=str(ROOT / "scenes"))], env=env,
                                    capture_output=True, text=True, check=True).stdout.split()
    assert seen["0"] == ["manim.scene.scene", "Scene", "manim.animation.fading", "FadeIn"]
    assert seen["1"] == ["kit.fast", "FastScene", "kit.fast", "Fade"]
