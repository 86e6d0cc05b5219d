"""The shortcuts that make renders fast draw and encode what manim's own code would (see scenes/common.py)."""

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
    from common import BG

    with manim.tempconfig({"pixel_width": size[0], "pixel_height": size[1]}):
        cam = camera_cls(background_color=BG)
        cam.capture_mobjects(mobjects)
        first = cam.pixel_array.astype(int)
        cam.reset()
        cam.capture_mobjects(mobjects)
        return first, cam.pixel_array.astype(int), cam


def _scene_mobjects():
    from common import DELTA_COLOR, caption, number, text, title

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
    from common import SpriteCamera

    ref, _, _ = _frame(Camera, _scene_mobjects(), size)
    first, again, cam = _frame(SpriteCamera, _scene_mobjects(), size)
    assert (ref != ref[0, 0]).any(axis=2).sum() > size[0] * size[1] // 50, "the test scene should draw something"
    assert cam.sprites, "large text should have been drawn as sprites"
    assert np.abs(first - ref).max() <= 1  # rounding of the last bit when compositing with alpha
    assert np.abs(again - ref).max() <= 1  # and the same from the sprite cache


def test_sprite_camera_redraws_a_changed_shape():
    from common import SpriteCamera, text

    label = text("a label that moves", 40)
    _, _, cam = _frame(SpriteCamera, [label])
    label.shift(UP * 1.5).set_color("#ff0000")
    ref, _, _ = _frame(Camera, [label])
    cam.reset()
    cam.capture_mobjects([label])
    assert np.abs(cam.pixel_array.astype(int) - ref).max() <= 1


def _encode(encoder_cls, frames, repeats, tmp_path, name, transparent=False):
    """Write frames (each held `repeat` frames) with encoder_cls; decode the result as RGB(A) arrays."""
    from fractions import Fraction

    import av
    from manim._config.video_encoder import VideoEncoderSpec

    h, w = frames[0].shape[:2]
    spec = (VideoEncoderSpec("mov", "qtrle", "argb", w, h, Fraction(15), ()) if transparent else
            VideoEncoderSpec("mp4", "libx264", "yuv420p", w, h, Fraction(15),  # manim.cfg's options
                             (("crf", "23"), ("preset", "veryfast"), ("threads", "1"),
                              ("x264-params", "cpu-independent=1"))))
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

    from common import HeldFrameEncoder

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


def test_number_keeps_its_left_edge_and_size_like_decimalnumber():
    """Number.set_value does DecimalNumber's arithmetic on the points: the scale it was given and its left edge stay."""
    from common import number

    n = number(0.5, 2, 30).scale(1.7).move_to([2.0, -1.0, 0])
    start = number(0.5, 2, 30)
    left, k = n.get_left(), n.height / start.height
    n.set_value(-12.34)
    assert n.get_left() == pytest.approx(left, abs=1e-9)
    assert n.height == pytest.approx(number(-12.34, 2, 30).height * k, rel=1e-9)
    assert n.width > start.width * k  # more characters: wider
    n.place([0.0, 0.0, 0.0])
    assert n.get_center() == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


def _moving_after_begin(scene, *animations):
    for a in animations:
        a._setup_scene(scene)
        a.begin()
    return scene.get_moving_mobjects(*animations)


def _scene_with_row():
    """A cell animated on the left, an overlapping label added after it, a far panel added after both."""
    from common import FastScene, text

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
