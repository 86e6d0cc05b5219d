"""Everything that reaches into manim's internals to render faster, behind one switch.

`BLOCKMATH_FAST=0` renders with manim's stock camera, scene, file writer and fades instead; the frames agree
within a stated tolerance (tests/test_fast_paths.py). What each shortcut does:
- `Fade` (FadeIn/FadeOut) scales opacities in place instead of interpolating two deep copies;
- `SpriteCamera` rasterizes a large one-colour shape (a line of text) once and composites it afterwards;
- `FastScene` redraws per frame only what an animation can reach (manim redraws all that was added later);
- `HeldFrameEncoder` (kit/fastencode.py) converts each frame once into one reused video frame; in a narrated render
  it encodes a held frame once per half second, shown for that span (variable frame rate), not once per frame.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict

import cairo
import numpy as np
from manim import (
    Animation,
    AnimationGroup,
    Camera,
    Create,
    FadeTransform,
    MoveToTarget,
    RendererType,
    ReplacementTransform,
    Scene,
    Transform,
    TransformFromCopy,
    VGroup,
    VMobject,
    config,
)
from manim import FadeIn as StockFadeIn
from manim import FadeOut as StockFadeOut
from manim.animation.transform import _MethodAnimation
from manim.renderer.cairo_renderer import CairoRenderer

from kit.fastencode import HeldFrameWriter

FAST = os.environ.get("BLOCKMATH_FAST", "1").strip() != "0"


class Fade(Animation):
    """FadeIn/FadeOut without copies: scales the opacities of the mobject's family in place (optionally shifting it).

    Manim's FadeIn/FadeOut build two deep copies of the mobject per call; for captions and panels that copying was
    the largest single cost of a preview render. Same look: opacity 0 → 1 (in) or 1 → 0 (out); `shift` moves the
    mobject by that vector and `scale` shrinks (out) or grows it from that factor (in) while it fades, like manim's.
    """

    def __init__(self, *mobjects, out: bool = False, shift=None, scale: float = 1.0, **kwargs):
        mobject = mobjects[0] if len(mobjects) == 1 else VGroup(*mobjects)
        self.out = out
        self.shift_vector = np.zeros(3) if shift is None else np.asarray(shift, dtype=float)
        self.scale_factor = scale
        super().__init__(mobject, introducer=not out, remover=out, **kwargs)

    def create_starting_mobject(self):
        return VMobject()  # nothing is interpolated from a copy

    def begin(self):
        self.saved = [(m, m.fill_rgbas[:, 3].copy(), m.stroke_rgbas[:, 3].copy(), m.background_stroke_rgbas[:, 3].copy())
                      for m in self.mobject.get_family() if isinstance(m, VMobject)]
        self.offset, self.size = np.zeros(3), 1.0
        super().begin()

    def interpolate_mobject(self, alpha: float) -> None:
        a = self.rate_func(alpha)
        t = a if self.out else 1 - a  # how far from the mobject as it is: 0 (as is) .. 1 (gone)
        self._show(1 - t, self.shift_vector * (t if self.out else -t), 1 + (self.scale_factor - 1) * t)

    def _show(self, opacity: float, offset, size: float) -> None:
        for m, fill, stroke, back in self.saved:
            for rgbas, alphas in ((m.fill_rgbas, fill), (m.stroke_rgbas, stroke), (m.background_stroke_rgbas, back)):
                if len(rgbas) == len(alphas):  # skip a member whose colors were replaced meanwhile
                    rgbas[:, 3] = alphas * opacity
        if size != self.size and size > 0:
            self.mobject.scale(size / self.size)
            self.size = size
        self.mobject.shift(offset - self.offset)
        self.offset = np.asarray(offset, dtype=float)

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        if self.out:
            self._show(1.0, np.zeros(3), 1.0)  # as manim's FadeOut: the removed mobject is left as it was


class SpriteCamera(Camera):
    """Manim's Cairo camera, except that a large one-colour filled shape without a stroke (a line of text, a long
    number) is rasterized once and then composited wherever it is drawn again unchanged.

    Manim rebuilds every path with one Python call per Bézier curve on every frame, and a caption is about a
    thousand curves: while a caption fades, or a panel's values move beside a still label, the same shape was
    rebuilt on every frame. A sprite is keyed by the shape's exact points, its colour and the camera's transform,
    and painted with the shape's current opacity; so what is drawn is what manim draws (antialiasing included, up
    to rounding of the last bit), only cheaper. Anything else (strokes, gradients, small shapes) is drawn by manim.
    """

    MIN_POINTS = 100  # smaller shapes are cheaper to draw than to look up
    CACHE_BYTES = 64 * 2**20  # sprites kept, least recently used dropped first

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sprites: OrderedDict[tuple, tuple[cairo.ImageSurface, int, int]] = OrderedDict()
        self.sprite_bytes = 0

    def display_vectorized(self, vmobject: VMobject, ctx: cairo.Context):
        points = vmobject.points
        if (len(points) < self.MIN_POINTS or vmobject.get_stroke_width() or vmobject.get_stroke_width(True)
                or len(vmobject.fill_rgbas) != 1 or not np.isfinite(points).all()):
            return super().display_vectorized(vmobject, ctx)
        rgba = vmobject.fill_rgbas[0]
        if rgba[3] <= 0:
            return self  # fully transparent: nothing to draw
        matrix = tuple(ctx.get_matrix())
        key = (hashlib.blake2b(np.ascontiguousarray(points).tobytes(), digest_size=16).digest(),
               tuple(rgba[:3].tolist()), matrix)
        sprite = self.sprites.get(key)
        if sprite is None:
            sprite = self._rasterize(vmobject, ctx, rgba)
            if sprite is None:  # off the frame
                return self
            self.sprites[key] = sprite
            self.sprite_bytes += sprite[0].get_stride() * sprite[0].get_height()
            while self.sprite_bytes > self.CACHE_BYTES and len(self.sprites) > 1:
                old, _, _ = self.sprites.popitem(last=False)[1]
                self.sprite_bytes -= old.get_stride() * old.get_height()
        else:
            self.sprites.move_to_end(key)
        surface, x, y = sprite
        ctx.save()
        ctx.identity_matrix()
        ctx.set_source_surface(surface, x, y)
        ctx.paint_with_alpha(float(rgba[3]))
        ctx.restore()
        return self

    def _rasterize(self, vmobject: VMobject, ctx: cairo.Context, rgba) -> tuple[cairo.ImageSurface, int, int] | None:
        """The shape filled at full opacity on a transparent image covering its pixels (whole pixels, so pasting it
        back at (x, y) reproduces manim's antialiasing exactly)."""
        m = ctx.get_matrix()
        lo, hi = _box(vmobject.points)  # the hull of every control point holds the whole curve
        corners = [m.transform_point(float(px), float(py)) for px in (lo[0], hi[0]) for py in (lo[1], hi[1])]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        x0, y0 = max(int(np.floor(min(xs))) - 2, 0), max(int(np.floor(min(ys))) - 2, 0)
        x1, y1 = min(int(np.ceil(max(xs))) + 2, self.pixel_width), min(int(np.ceil(max(ys))) + 2, self.pixel_height)
        if x1 <= x0 or y1 <= y0:
            return None
        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, x1 - x0, y1 - y0)
        sub = cairo.Context(surface)
        sub.set_matrix(m.multiply(cairo.Matrix(x0=-x0, y0=-y0)))
        self.set_cairo_context_path(sub, vmobject)
        sub.set_source_rgba(*rgba[2::-1], 1.0)  # reversed, as manim does: its pixel array is RGBA, cairo's is BGRA
        sub.fill()
        surface.flush()
        return surface, x0, y0


def _box(points: np.ndarray, pad: float = 0.0) -> np.ndarray | None:
    """[[xmin, ymin], [xmax, ymax]] of points, grown by pad on every side (None without points)."""
    if len(points) == 0:
        return None
    return np.array([points[:, :2].min(axis=0) - pad, points[:, :2].max(axis=0) + pad])


def _family_points(mob) -> np.ndarray:
    pts = [m.points for m in mob.get_family() if len(m.points)]
    return np.concatenate(pts) if pts else np.zeros((0, 3))


_STRAIGHT_TRANSFORMS = (Transform, ReplacementTransform, TransformFromCopy, MoveToTarget, _MethodAnimation,
                        FadeTransform)
_REGION_PAD = 0.15  # scene units around a moving shape: more than half the widest stroke used here, and antialiasing


def _animation_regions(anim) -> list[np.ndarray] | None:
    """Boxes that contain everything anim draws while it runs, or None if that cannot be known for sure.

    Known: the fades of this module (the box at both ends, with the shift and scale), straight transforms (points
    move on straight lines, so they stay in the box around start and end) and Create (drawn inside its own box),
    each with a rate function that stays in [0, 1]; and groups of those.
    """
    if isinstance(anim, AnimationGroup):
        regions = [_animation_regions(a) for a in anim.animations]
        return None if any(r is None for r in regions) else [b for r in regions for b in r]
    t = np.linspace(0.0, 1.0, 41)
    if not all(0.0 <= anim.rate_func(x) <= 1.0 for x in t):  # overshooting easing leaves the box
        return None
    pts = _family_points(anim.mobject)
    if isinstance(anim, Fade):
        box = _box(pts)
        if box is None:
            return []
        size = box[1] - box[0]
        grow = abs(anim.scale_factor - 1.0) * size.max() + np.abs(anim.shift_vector[:2]).max() * 2
        return [np.array([box[0] - grow - _REGION_PAD, box[1] + grow + _REGION_PAD])]
    if type(anim) in _STRAIGHT_TRANSFORMS and not getattr(anim, "path_arc", 0):
        target = getattr(anim, "target_copy", None)
        target = anim.target_mobject if target is None else target
        boxes = [b for b in (_box(pts), _box(_family_points(target))) if b is not None]
        return [np.array([np.min([b[0] for b in boxes], axis=0) - _REGION_PAD,
                          np.max([b[1] for b in boxes], axis=0) + _REGION_PAD])] if boxes else []
    if type(anim) is Create:
        box = _box(pts, _REGION_PAD)
        return [] if box is None else [box]
    return None


class FastScene(Scene):
    """A Scene rendered with SpriteCamera (large text drawn once, then composited) and HeldFrameWriter (cheaper
    frame conversion for the encoder), which redraws on each frame only what an animation can touch.
    Same frames as manim's own camera and writer, in less time."""

    def __init__(self, renderer=None, camera_class=SpriteCamera, skip_animations: bool = False, **kwargs):
        if renderer is None and config.renderer == RendererType.CAIRO:
            renderer = CairoRenderer(file_writer_class=HeldFrameWriter, camera_class=camera_class,
                                     skip_animations=skip_animations)
        super().__init__(renderer=renderer, camera_class=camera_class, skip_animations=skip_animations, **kwargs)

    def get_moving_mobjects(self, *animations):
        """What to redraw on every frame of a play (the rest is drawn once, into the static background).

        Manim redraws everything added after the first animated mobject, so that later mobjects stay on top of it:
        animating one cell of a matrix added early redrew every panel added since. Here a later mobject that is
        not animated is drawn once, under the redrawn ones, when it overlaps neither any region the animations can
        touch nor any earlier mobject that is redrawn (so no two overlapping shapes swap their order). Updaters,
        foreground mobjects and animations whose reach is not known keep manim's rule.
        """
        moving = super().get_moving_mobjects(*animations)
        if (not moving or self.foreground_mobjects or self.updaters or self.always_update_mobjects
                or any(m.updaters for m in self.get_mobject_family_members())):
            return moving
        regions = []
        for anim in animations:
            r = _animation_regions(anim)
            if r is None:
                return moving
            regions += r
        animated = {m for anim in animations for m in anim.mobject.get_family()}
        blockers = np.array(regions).reshape(-1, 2, 2)  # redrawn on top: the animations' reach, then what is kept
        kept = []
        for m in moving:  # in drawing order
            if m in animated:
                kept.append(m)
                continue
            box = _box(m.points, _REGION_PAD)
            if box is not None and ((box[0] <= blockers[:, 1]) & (blockers[:, 0] <= box[1])).all(axis=1).any():
                kept.append(m)
                blockers = np.concatenate([blockers, box[None]])
        return kept


# ---------------------------------------------------------------- the switch
BaseScene = FastScene if FAST else Scene  # what every blockmath scene derives from


def FadeIn(*mobjects, **kwargs):  # noqa: N802 (a drop-in for manim's FadeIn)
    """Fade in (in place with the fast paths on; manim's FadeIn with BLOCKMATH_FAST=0)."""
    if not FAST:
        return StockFadeIn(*mobjects, **kwargs)
    return Fade(*mobjects, **kwargs)


def FadeOut(*mobjects, **kwargs):  # noqa: N802 (a drop-in for manim's FadeOut)
    """Fade out (in place with the fast paths on; manim's FadeOut with BLOCKMATH_FAST=0)."""
    if not FAST:
        return StockFadeOut(*mobjects, **kwargs)
    return Fade(*mobjects, out=True, **kwargs)
