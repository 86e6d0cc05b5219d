"""Palette, spacing and mobject factories shared by every scene. Scenes only *read* the trace."""

from __future__ import annotations

import functools
import hashlib
import os
import unicodedata
import uuid
from collections import OrderedDict
from fractions import Fraction
from pathlib import Path

import av
import cairo
import manimpango
import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Animation,
    AnimationGroup,
    Camera,
    Circle,
    Create,
    DecimalNumber,
    FadeTransform,
    Line,
    ManimColor,
    MoveToTarget,
    Rectangle,
    RendererType,
    ReplacementTransform,
    Scene,
    SurroundingRectangle,
    Text,
    Transform,
    TransformFromCopy,
    UpdateFromAlphaFunc,
    VGroup,
    VMobject,
    config,
    interpolate_color,
)
from manim import __version__ as manim_version
from manim.animation.transform import _MethodAnimation
from manim.renderer.cairo_renderer import CairoRenderer
from manim.scene.scene_file_writer import SceneFileWriter
from manim.scene.video_segment_encoder import VideoSegmentEncoder

from blockmath import Trace, build_config, compute_trace

# ---------------------------------------------------------------- palette and spacing
BG = ManimColor("#11151c")
INK = ManimColor("#e8e6e3")  # main text
MUTED = ManimColor("#8a93a3")  # captions, axes
POS = ManimColor("#f5a623")  # positive values
NEG = ManimColor("#4aa3df")  # negative values
ZERO = ManimColor("#2a313c")  # value 0
H_COLOR = ManimColor("#7fd1b9")  # the residual stream / state h
DELTA_COLOR = ManimColor("#e86a92")  # an update Δ
OUT_COLOR = ManimColor("#f4e285")  # a result
ACCENT = ManimColor("#c792ea")  # highlights

FONT = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
TITLE_SIZE = 40
BODY_SIZE = 26
SMALL_SIZE = 20
NUMBER_SIZE = 18
BUFF = 0.25  # spacing between related things
GAP = 0.6  # spacing between groups
FRAME_W, FRAME_H = 14.2, 8.0  # manim's frame in scene units
SAFE_W, SAFE_H = FRAME_W - 0.8, FRAME_H - 0.6

Text.set_default(font=FONT)  # DecimalNumber builds its digits with Text: same font everywhere


LRM = "\u200e"  # left-to-right mark
GLYPH_CACHE = os.environ.get("BLOCKMATH_GLYPH_CACHE", "")  # a folder shared by renders (set by blockmath.render)
_OUTLINES: dict[tuple, list[np.ndarray]] = {}


@functools.cache
def _fonts_fingerprint() -> str:
    """Changes when fonts are installed or removed (Pango may then pick another fallback glyph)."""
    return hashlib.sha256("\n".join(sorted(Text.font_list())).encode()).hexdigest()[:16]


def outlines(s: str, font: str, size: float, weight: str = "NORMAL") -> list[np.ndarray]:
    """The glyph outlines (points, laid out and centred) Pango draws for s: one array per glyph.

    Building a Text (Pango → SVG → parsed paths) costs about 0.1 s; the outlines are kept in memory and, when
    GLYPH_CACHE is set, on disk, so a new sentence re-renders without re-parsing the titles and captions it shares.
    """
    key = (s, font, float(size), weight)
    if key in _OUTLINES:
        return _OUTLINES[key]
    path = None
    if GLYPH_CACHE:
        ident = repr((key, manim_version, manimpango.__version__, _fonts_fingerprint()))
        path = Path(GLYPH_CACHE) / f"{hashlib.sha256(ident.encode()).hexdigest()[:32]}.npz"
        try:
            with np.load(path) as z:
                _OUTLINES[key] = [z[f"g{i}"] for i in range(len(z.files))]
                return _OUTLINES[key]
        except (OSError, ValueError, KeyError):
            pass  # not cached yet (or unreadable): build it
    glyphs = [m.points for m in Text(s, font=font, font_size=size, weight=weight).family_members_with_points()]
    _OUTLINES[key] = glyphs
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.stem}-{os.getpid()}-{uuid.uuid4().hex[:6]}.npz")
            np.savez(tmp, **{f"g{i}": g for i, g in enumerate(glyphs)})
            os.replace(tmp, path)  # atomic: a parallel render reads the whole file or none
        except OSError:
            pass  # a cache that cannot be written only costs time
    return glyphs


def text(s: str, size: float = BODY_SIZE, color=INK, mono: bool = False, weight: str = "NORMAL",
         glyphs: bool = False) -> VMobject:
    """Literal text (user input is never parsed as markup), drawn as one filled VMobject holding every glyph's
    outline (what manim's Text draws, but one path to fill per frame instead of one per glyph: half the cost).
    glyphs=True gives a VGroup with one VMobject per glyph instead, for a layout that needs a glyph's position.

    Text that starts right-to-left (a Hebrew or Arabic word) gets a left-to-right mark first: Pango would otherwise
    right-align it in manim's page-wide layout, outside the page, and draw nothing. The word itself still reads
    right to left.
    """
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in s):
        s = LRM + s
    pieces = outlines(s, MONO if mono else FONT, size, weight)
    if glyphs:
        return VGroup(*[text_path([p], color) for p in pieces])
    return text_path(pieces, color)


def text_path(pieces: list[np.ndarray], color) -> VMobject:
    mob = VMobject(fill_color=color, fill_opacity=1.0, stroke_width=0)
    if pieces:
        mob.points = np.concatenate(pieces)
    return mob


def fit(mob, width: float | None = None, height: float | None = None):
    """Shrink (never enlarge) a mobject to fit in a box."""
    if width is not None and mob.width > width:
        mob.scale_to_fit_width(width)
    if height is not None and mob.height > height:
        mob.scale_to_fit_height(height)
    return mob


_GLYPHS: dict[tuple[str, float], np.ndarray] = {}  # one Pango outline per (character, font size)
_LAYOUTS: dict[tuple[str, float], tuple[np.ndarray, float]] = {}  # laid-out glyphs per (string, font size)


class Number(DecimalNumber):
    """A DecimalNumber drawn from cached Pango glyph outlines, cheap to update every frame. No LaTeX is involved.

    Manim's DecimalNumber deep-copies a whole Text mobject per character and re-lays them out on every set_value.
    Here the number is one VMobject holding every character's outline, laid out as DecimalNumber lays them out
    (once per string, then cached); set_value writes the new string's points into it, keeping its style.
    """

    def _outline(self, char: str) -> np.ndarray:
        """The points of one character's Pango outline at this font size (made once, then cached)."""
        key = (char, self._font_size)
        if key not in _GLYPHS:
            pieces = outlines(char, FONT, self._font_size)
            _GLYPHS[key] = np.concatenate(pieces) if pieces else np.zeros((0, 3))
        return _GLYPHS[key]

    def _string_to_mob(self, string, mob_class=None, **kwargs) -> VMobject:
        """One character as a VMobject (for subclasses that lay out characters themselves)."""
        glyph = VMobject(fill_color=self.get_fill_color(), fill_opacity=self.fill_opacity, stroke_width=0)
        glyph.points = self._outline(string).copy()
        return glyph

    def _layout(self, string: str) -> tuple[np.ndarray, float]:
        """Points of `string` laid out as DecimalNumber does (left to right, bottoms aligned, a minus sign raised
        to the middle of the next digit), centred on the origin; and the layout's height."""
        key = (string, self._font_size)
        if key not in _LAYOUTS:
            buff = self.digit_buff_per_font_unit * self._font_size
            glyphs, x, bottom = [], 0.0, None
            for ch in string:
                pts = self._outline(ch)
                lo, hi = pts.min(axis=0), pts.max(axis=0)
                bottom = lo[1] if bottom is None else bottom
                glyphs.append(pts + np.array([x - lo[0], bottom - lo[1], 0.0]))
                x += hi[0] - lo[0] + buff
            for i, ch in enumerate(string[:-1]):
                if ch == "-":
                    nxt, me = glyphs[i + 1], glyphs[i]
                    glyphs[i] = me + np.array([0.0, nxt[:, 1].max() - me[:, 1].max() - np.ptp(nxt[:, 1]) / 2, 0.0])
            allpts = np.concatenate(glyphs)
            lo, hi = allpts.min(axis=0), allpts.max(axis=0)
            _LAYOUTS[key] = (allpts - (lo + hi) / 2, float(hi[1] - lo[1]))
        return _LAYOUTS[key]

    def _set_submobjects_from_number(self, number: float) -> None:
        self.number = number
        points, self.initial_height = self._layout(self._get_num_string(number))
        glyphs = VMobject(fill_opacity=self.fill_opacity, stroke_width=0)
        glyphs.points = points.copy()
        self.submobjects = [glyphs]

    def set_value(self, number: float) -> "Number":
        """Show a new value, keeping the number's size and its edge_to_fix where they are (as DecimalNumber does).

        The arithmetic is done on the points directly: manim's height/get_edge_center/move_to each walk the family
        and recompute a bounding box, which made this the costliest call of a per-frame updater.
        """
        old, new = self._get_num_string(self.number), self._get_num_string(number)
        if new != old:
            glyphs = self.submobjects[0]
            _, old_height = self._layout(old)
            points, height = self._layout(new)
            lo, hi = glyphs.points.min(axis=0), glyphs.points.max(axis=0)  # the box manim measures
            k = (hi[1] - lo[1]) / old_height if old_height and hi[1] > lo[1] else 1.0
            edge = np.sign(np.asarray(self.edge_to_fix, dtype=float))
            anchor = (lo + hi) / 2 + edge * (hi - lo) / 2  # the point that stays put (LEFT: middle of left side)
            half = points.max(axis=0) * k  # the layout is centred on the origin
            glyphs.points = points * k + (anchor - edge * half)
            self.initial_height = height
        self.number = number
        return self

    def place(self, center) -> "Number":
        """move_to(center) without manim's bounding-box walk (when the number is one path)."""
        if len(self.submobjects) != 1:
            return self.move_to(center)
        pts = self.submobjects[0].points
        pts += np.asarray(center, dtype=float) - (pts.min(axis=0) + pts.max(axis=0)) / 2
        return self


def number(value: float, places: int = 2, size: float = NUMBER_SIZE, color=INK) -> Number:
    """A number drawn from cached glyphs (no LaTeX), cheap to update every frame."""
    return Number(value, num_decimal_places=places, font_size=size, color=color, include_sign=False)


def shown(num: DecimalNumber) -> float:
    """The value a DecimalNumber displays (rounded as drawn), for tests that compare the screen with the trace."""
    return float(num._get_num_string(num.number))


def value_color(v: float, vmax: float) -> ManimColor:
    """Diverging color: NEG for negative, ZERO for 0, POS for positive, saturating at ±vmax."""
    t = float(np.clip(v / vmax, -1.0, 1.0)) if vmax > 0 else 0.0
    return interpolate_color(ZERO, POS if t >= 0 else NEG, abs(t) ** 0.8)


def title(s: str, subtitle: str | None = None) -> VGroup:
    """A title (and optional subtitle) pinned to the top edge."""
    g = VGroup(text(s, TITLE_SIZE, weight="BOLD"))
    if subtitle:
        g.add(text(subtitle, SMALL_SIZE, MUTED))
    g.arrange(DOWN, buff=0.15)
    fit(g, SAFE_W)
    return g.to_edge(UP, buff=0.3)


def caption(s: str, color=INK) -> VMobject:
    """A one-line explanation pinned to the bottom edge (the idea must read without sound)."""
    c = fit(text(s, BODY_SIZE, color), SAFE_W)
    return c.to_edge(DOWN, buff=0.35)


def sentence_strip(trace: Trace, max_width: float = SAFE_W) -> VGroup:
    """The sentence as token chips, the tracked token highlighted."""
    chips = VGroup()
    for i, tok in enumerate(trace.tokens):
        t = fit(text(tok, SMALL_SIZE, OUT_COLOR if i == trace.tracked else INK), width=1.6)
        chips.add(t)
    chips.arrange(RIGHT, buff=0.18, aligned_edge=DOWN)
    fit(chips, max_width)
    box = SurroundingRectangle(chips[trace.tracked], color=OUT_COLOR, buff=0.06, stroke_width=2)
    return VGroup(chips, box)


def token_label(tok: str, width: float = 1.3, size: float = SMALL_SIZE, color=INK) -> VMobject:
    """A token's label, shrunk to a fixed width if it is long."""
    return fit(text(tok, size, color), width=width, height=0.4)


def row_label(tok: str, row_h: float, width: float = 1.3, color=INK) -> VMobject:
    """A token label sized to its row height (one font size for all rows, so no word looks smaller)."""
    return fit(text(tok, min(SMALL_SIZE, row_h * 62), color), width=width)


def plus_node(center, radius: float = 0.22) -> VGroup:
    """A ⊕ (residual add) drawn over whatever line runs through it."""
    c = Circle(radius=radius, color=INK, stroke_width=3).set_fill(BG, opacity=1).move_to(center)
    return VGroup(c, Line(c.get_left(), c.get_right(), stroke_width=3, color=INK),
                  Line(c.get_top(), c.get_bottom(), stroke_width=3, color=INK))


class VectorBars(VGroup):
    """A vector drawn as horizontal bars (one row per dimension) with its values; can be updated in place."""

    def __init__(self, values, scale: float, color, label: str | None = None, bar_max: float = 1.4,
                 row_h: float = 0.36, places: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.scale_ = scale  # value that fills bar_max
        self.bar_max = bar_max
        self.color_ = color
        values = np.asarray(values, dtype=float)
        self.axis = Line(UP * row_h * len(values) / 2, DOWN * row_h * len(values) / 2, color=MUTED, stroke_width=2)
        self.axis_length = self.axis.get_length()
        self.bars = VGroup()
        self.numbers = VGroup()
        for i, v in enumerate(values):
            y = (len(values) / 2 - i - 0.5) * row_h
            bar = Rectangle(width=0.01, height=row_h * 0.7, stroke_width=0, fill_opacity=0.9, fill_color=color)
            bar.move_to(np.array([0, y, 0]))
            self.bars.add(bar)
            num = number(v, places)
            if num.height > row_h * 0.8:  # many dimensions: rows thinner than a digit
                num.scale(row_h * 0.8 / num.height)
            self.numbers.add(num)
        self.add(self.axis, self.bars, self.numbers)
        self.label = None
        if label:
            self.label = fit(text(label, SMALL_SIZE, color), width=2 * bar_max + 1.2)
            self.label.next_to(self.axis, UP, buff=0.2)
            self.add(self.label)
        self.set_values(values)

    def bar_width(self, v: float) -> float:
        return max(abs(v) / self.scale_ * self.bar_max, 1e-3)

    def set_values(self, values):
        """Resize bars and update numbers to new values (cheap: no new glyphs, colors set only on a sign change).

        Works in the panel's current size: k is how much the panel was scaled since it was built.
        """
        k = self.axis.get_length() / self.axis_length
        x0 = self.axis.get_center()[0]
        neg = interpolate_color(self.color_, BG, 0.45)
        for bar, num, v in zip(self.bars, self.numbers, values):
            lo, hi = bar.points.min(axis=0), bar.points.max(axis=0)
            w, y = self.bar_width(v) * k, (lo[1] + hi[1]) / 2
            left = x0 if v >= 0 else x0 - w
            bar.points[:, 0] = left + (bar.points[:, 0] - lo[0]) * (w / (hi[0] - lo[0]))
            if getattr(bar, "negative", None) != (v < 0):
                bar.set_fill(neg if v < 0 else self.color_)
                bar.negative = v < 0
            num.set_value(v).place(np.array([x0 + (self.bar_max + 0.45) * k, y, 0]))
        return self

    def values_shown(self) -> list[float]:
        return [shown(n) for n in self.numbers]

    def animate_values(self, frames) -> UpdateFromAlphaFunc:
        """Step through precomputed rows of values (e.g. the core's λ grid) over the animation."""
        frames = np.asarray(frames, dtype=float)

        def step(mob, alpha):
            mob.set_values(frames[min(int(round(alpha * (len(frames) - 1))), len(frames) - 1)])

        return UpdateFromAlphaFunc(self, step)


class CellMatrix(VGroup):
    """A tokens × dims matrix of colored cells with numbers, token labels on the left (row_labels=None: none).

    Cells are cell wide and cell_h tall (default square); highlight colors one row's label.
    """

    def __init__(self, values, row_labels, vmax: float, cell: float = 0.42, places: int = 1,
                 show_numbers: bool = True, label_width: float = 1.3, cell_h: float | None = None,
                 highlight: int | None = None, **kwargs):
        super().__init__(**kwargs)
        values = np.asarray(values, dtype=float)
        cell_h = cell if cell_h is None else cell_h
        self.vmax = vmax
        self.cells = VGroup()
        self.numbers = VGroup()
        rows, cols = values.shape
        size = min(NUMBER_SIZE, cell_h * 44, cell * 34)
        for r in range(rows):
            for c in range(cols):
                sq = Rectangle(width=cell, height=cell_h, stroke_width=1, stroke_color=BG, fill_opacity=1,
                               fill_color=value_color(values[r, c], vmax))
                sq.move_to(np.array([c * cell, -r * cell_h, 0]))
                self.cells.add(sq)
                if show_numbers:
                    self.numbers.add(number(values[r, c], places, size=size).move_to(sq))
        self.labels = VGroup(*[row_label(t, cell_h, label_width, OUT_COLOR if r == highlight else INK)
                               for r, t in enumerate(row_labels or [])])
        for r, lab in enumerate(self.labels):
            lab.next_to(self.cells[r * cols], LEFT, buff=0.15)
        self.shape = (rows, cols)
        self.add(self.cells, self.numbers, self.labels)

    def row(self, r: int) -> VGroup:
        cols = self.shape[1]
        return VGroup(*self.cells[r * cols:(r + 1) * cols])

    def row_numbers(self, r: int) -> VGroup:
        cols = self.shape[1]
        return VGroup(*self.numbers[r * cols:(r + 1) * cols])

    def target_for(self, values, rows=None) -> "CellMatrix":
        """A copy showing new values (colors and numbers) in the same place; for Transform."""
        target = self.copy()
        values = np.asarray(values, dtype=float)
        cols = self.shape[1]
        for r in (range(self.shape[0]) if rows is None else rows):
            for c in range(cols):
                target.cells[r * cols + c].set_fill(value_color(values[r, c], self.vmax))
                if len(target.numbers):
                    n = target.numbers[r * cols + c]
                    n.set_value(values[r, c]).move_to(target.cells[r * cols + c])
        return target

    def values_shown(self) -> np.ndarray:
        return np.array([shown(n) for n in self.numbers]).reshape(self.shape)

    def animate_to(self, values, rows=None) -> AnimationGroup:
        """Recolor the cells smoothly; the numbers switch to their new values halfway (no garbled glyph morphs)."""
        target = self.target_for(values, rows)
        switched = []

        def switch(_, alpha):
            if alpha >= 0.5 and not switched:
                switched.append(True)
                for n, t in zip(self.numbers, target.numbers):
                    if shown(n) != shown(t):
                        n.set_value(t.get_value()).move_to(t)

        return AnimationGroup(Transform(self.cells, target.cells), UpdateFromAlphaFunc(self.numbers, switch))


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


def FadeIn(*mobjects, **kwargs) -> Fade:  # noqa: N802 (a drop-in for manim's FadeIn)
    return Fade(*mobjects, **kwargs)


def FadeOut(*mobjects, **kwargs) -> Fade:  # noqa: N802 (a drop-in for manim's FadeOut)
    return Fade(*mobjects, out=True, **kwargs)


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


class HeldFrameEncoder(VideoSegmentEncoder):
    """Manim's segment encoder with cheaper frame conversion; the encoded frames are the same.

    Manim wraps every RGBA frame in a newly allocated av.VideoFrame (the costliest step of encoding a 480p frame,
    more than converting it to YUV) and converts a held frame (a wait: one frame written `repeat` times) once per
    repeat. Here the RGBA pixels are copied into one reused frame, and each written frame is converted once.
    """

    def write_frame(self, pixels, *, repeat: int = 1) -> None:
        self._validate_frame(pixels, repeat)
        rate = self.spec.frame_rate
        time_base = Fraction(rate.denominator, rate.numerator)
        try:
            if not hasattr(self, "_rgba"):
                self._rgba = av.VideoFrame(self.spec.width, self.spec.height, "rgba")
                plane = self._rgba.planes[0]  # rows may be padded: write through a strided view
                self._rgba_view = np.frombuffer(plane, np.uint8).reshape(self.spec.height, plane.line_size)[
                    :, :self.spec.width * 4].reshape(self.spec.height, self.spec.width, 4)
            self._rgba_view[...] = pixels
            frame = self._rgba.reformat(format=self.spec.pixel_format)  # a new frame: the encoder may keep it
            for _ in range(repeat):
                frame.pts, frame.time_base = self._next_pts, time_base
                self._next_pts += 1
                for packet in self._stream.encode(frame):
                    self._container.mux(packet)
        except BaseException as error:
            raise self._operation_error("encode", error) from error


class HeldFrameWriter(SceneFileWriter):
    def _create_segment_encoder(self, target: Path) -> VideoSegmentEncoder:
        if self.video_encoder is None:
            return super()._create_segment_encoder(target)
        return HeldFrameEncoder(target=target, spec=self.video_encoder)


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


class TraceScene(FastScene):
    """Base for every blockmath scene: reads the trace for the configured sentence; beats are sections."""

    def setup(self):
        self.camera.background_color = BG
        self.trace: Trace = compute_trace(build_config())

    caption = None  # the current bottom caption

    def beat(self, name: str):
        """Start a named beat (a manim section, so slides can play it on its own)."""
        self.next_section(name)

    def swap_caption(self, s: str, color=INK, *also):
        """Replace the bottom caption (old out, then new in, never both at once), with any extra animations.

        Each caption is also written to the clip's subtitles (.srt) for the time it is on screen.
        """
        new = caption(s, color)
        if self.caption is not None:
            self.play(FadeOut(self.caption), run_time=0.3)
        self.close_subcaption()
        self.play(FadeIn(new), *also, run_time=0.5)
        self.caption = new
        self._subcaption = (s, self.renderer.time)

    def close_subcaption(self):
        """End the current caption's subtitle at the present time."""
        if getattr(self, "_subcaption", None):
            content, start = self._subcaption
            now = self.renderer.time
            self.add_subcaption(content, duration=now - start, offset=start - now)
            self._subcaption = None

    def tear_down(self):
        self.close_subcaption()
        super().tear_down()
