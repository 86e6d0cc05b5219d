"""The block lesson's widgets: one token's vector as a card that rides the stream, goes through LayerNorm, attention
or the MLP, and takes updates stacked onto it, so that h = x + Δ reads column by column.

`VectorStack` draws a window of the vector's dimensions as columns: bars on a zero line (the stream runs through
it), updates stacked on the bars as segments of their own colour, and one row of numbers per layer underneath, all
rows sharing the columns. `StackGeometry` (from `fit_stack`) fixes the columns, so two cards built with the same
geometry line up column for column. `reads_table` and `hidden_strip` are what attention and the MLP read;
`station_box` is the component a card goes through.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Animation,
    Arrow,
    Dot,
    CubicBezier,
    Line,
    Rectangle,
    RoundedRectangle,
    Transform,
    UpdateFromAlphaFunc,
    VGroup,
    VMobject,
)

from kit.matrices import CellMatrix, Window, shown_indices, window
from kit.style import ATTN, INK, MUTED, NOTE_SIZE, PANEL, RESULT, SMALL_SIZE
from kit.fast import FadeIn
from kit.text import number, shown, text
from kit.widgets import center_on_line, label_text, plus_node

PAD = 0.12  # inside a card's panel
ROW_GAP = 0.1  # between the bars and the first row of numbers
ROW_H = 0.3  # one row of numbers
NUMBER_SIZE = 17  # numbers under the columns (the typography floor for text outside cells)
BAR_W = 0.5  # a bar's width, as a share of its column


@dataclass(frozen=True)
class StackGeometry:
    """Where a card's columns, bars and rows go (cards with equal geometry line up column for column)."""

    dims: int  # the vector's length
    cols: Window  # the dimensions shown, None for the gap ("…")
    col_w: float
    bar_h: float  # half the bar zone's height
    scale: float  # the largest |value| (the widest number)
    label_w: float  # the row labels' column, left of the bars
    row_h: float = ROW_H
    number_size: float = NUMBER_SIZE
    places: int = 2
    layers: int = 1  # how many layers a stacked card holds: each gets its own lane in the column (a waterfall)
    label_size: float = SMALL_SIZE  # the rows' labels
    low: float | None = None  # the values the bar zone spans (default ±scale): the zero line sits where 0 falls
    high: float | None = None

    @property
    def unit(self) -> float:
        """Scene units per unit of value."""
        lo, hi = (-self.scale if self.low is None else self.low), (self.scale if self.high is None else self.high)
        return 2 * self.bar_h / max(hi - lo, 1e-9)

    @property
    def up(self) -> float:
        """Height of the bar zone above the zero line."""
        return (self.scale if self.high is None else self.high) * self.unit

    @property
    def down(self) -> float:
        return 2 * self.bar_h - self.up

    @property
    def width(self) -> float:
        return self.label_w + len(self.cols) * self.col_w + 2 * PAD

    def height(self, rows: int) -> float:
        return 2 * self.bar_h + ROW_GAP + rows * self.row_h + 2 * PAD

    def col_x(self, j: int) -> float:
        """x of slot j's centre, from the panel's inner left edge."""
        return self.label_w + (j + 0.5) * self.col_w

    def row_y(self, k: int) -> float:
        """y of row k's centre, from the zero line."""
        return -(self.down + ROW_GAP + (k + 0.5) * self.row_h)

    @property
    def shown(self) -> list[int]:
        return shown_indices(self.cols)


def fit_stack(dims: int, width: float, scale: float, labels, bar_h: float = 0.45, places: int = 2,
              min_slots: int = 3, layers: int = 1, max_size: float = 24, low: float | None = None,
              high: float | None = None) -> StackGeometry:
    """The geometry of a card no wider than `width`: the largest numbers and row labels at which every column fits
    (numbers 24, 20, 18 or 17, labels 20 or 17), else the smallest with a window of the columns."""
    sizes = [(24, SMALL_SIZE), (20, SMALL_SIZE), (18, SMALL_SIZE), (NUMBER_SIZE, SMALL_SIZE), (NUMBER_SIZE, NOTE_SIZE)]
    sizes = [sz for sz in sizes if sz[0] <= max_size]
    for size, label_size in sizes:
        label_w = max(text(s, label_size).width for s in labels) + 0.15
        room = width - label_w - 2 * PAD
        col_w = float(number(-scale, places, size).width) + (0.16 if size > NUMBER_SIZE else 0.1)
        if dims * col_w <= room:
            break
    cols = window(dims, max(int(room // col_w), min_slots))
    col_w = min(max(col_w, room / len(cols)), col_w + 0.12)  # a little air when there is room
    row_h = max(ROW_H, float(number(-scale, places, size).height) + 0.14)
    return StackGeometry(dims, cols, col_w, bar_h, scale, label_w, row_h=row_h, number_size=size, places=places,
                         layers=layers, label_size=label_size, low=low, high=high)


class Dim(Animation):
    """Fade a part of a group out without removing it from the scene (so the group stays whole); detach it after."""

    def __init__(self, mob, **kwargs):
        super().__init__(mob, **kwargs)

    def begin(self):
        self.saved = [(m, m.fill_rgbas[:, 3].copy(), m.stroke_rgbas[:, 3].copy())
                      for m in self.mobject.get_family() if isinstance(m, VMobject)]
        super().begin()

    def create_starting_mobject(self):
        return VMobject()

    def interpolate_mobject(self, alpha: float) -> None:
        k = 1 - self.rate_func(alpha)
        for m, fill, stroke in self.saved:
            if len(m.fill_rgbas) == len(fill):
                m.fill_rgbas[:, 3] = fill * k
            if len(m.stroke_rgbas) == len(stroke):
                m.stroke_rgbas[:, 3] = stroke * k


def _set_bar(bar: Rectangle, x: float, y0: float, y1: float, w: float) -> None:
    lo, hi = min(y0, y1), max(y0, y1)
    hi = max(hi, lo + 1e-3)
    bar.set_points_as_corners([np.array(p) for p in ((x - w / 2, hi, 0), (x + w / 2, hi, 0), (x + w / 2, lo, 0),
                                                     (x - w / 2, lo, 0), (x - w / 2, hi, 0))])


class VectorStack(VGroup):
    """A token's vector as a card: bars on a zero line with updates stacked on them, rows of numbers beneath.

    layers: the stacked vectors, bottom first ([values, colour]); rows: the number rows ([values, label, colour]).
    Positions are relative to `origin` (the zero line's left end, at the label column's left edge), so the card can
    be moved as a whole. Methods that change the card return animations; call `settle()` after playing them.
    """

    def __init__(self, geo: StackGeometry, values, color, label: str, frame_color=None, name: str | None = None,
                 name_color=INK, waterfall: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.geo = geo
        self.waterfall = waterfall  # layers side by side in each column (a stream card), else one centred bar
        self.frame_color = frame_color if frame_color is not None else color
        self.origin = VMobject().set_points_as_corners([np.zeros(3), np.array([1e-3, 0, 0])]).set_opacity(0)
        self.origin.set_stroke(width=0)
        self.panel = self._panel(1)
        self.zero = Line(np.array([geo.label_w, 0, 0]), np.array([geo.label_w + len(geo.cols) * geo.col_w, 0, 0]),
                         color=self.frame_color, stroke_width=2)
        self.bar_gap = VGroup(*[text("…", NOTE_SIZE, MUTED).move_to(np.array([geo.col_x(j), geo.up / 2, 0]))
                                for j, c in enumerate(geo.cols) if c is None])
        self.layers: list[list] = []
        self.rows: list[list] = []
        self.segments, self.row_mobs, self.marks = VGroup(), VGroup(), VGroup()
        self.name = VGroup()
        if name:
            self.name.add(center_on_line(label_text(name, geo.label_size, geo.label_w - 0.1, name_color), 0)
                          .align_to(np.array([geo.label_w - 0.1, 0, 0]), RIGHT))
        self.add(self.origin, self.panel, self.zero, self.bar_gap, self.segments, self.marks, self.row_mobs, self.name)
        self._pending: list = []
        self.segments.add(self._segments(values, color, np.zeros(geo.dims), 0))
        self.layers.append([np.asarray(values, float), color])
        self.row_mobs.add(self._row(values, label, color, 0))
        self.rows.append([np.asarray(values, float), label, color])

    # ---------------------------------------------------------------- geometry (in the card's current place)

    def _o(self) -> np.ndarray:
        return self.origin.get_start()

    def _panel(self, n_rows: int) -> RoundedRectangle:
        g = self.geo
        h = g.height(n_rows)
        p = RoundedRectangle(width=g.width, height=h, corner_radius=0.08, stroke_color=self.frame_color,
                             stroke_width=2, fill_color=PANEL, fill_opacity=1)
        p.move_to(np.array([g.width / 2 - PAD, g.up + PAD - h / 2, 0]) + self._o())
        return p

    def _slot(self, k: int) -> tuple[float, float]:
        """Offset from the column's centre and width of layer k's bars."""
        g = self.geo
        if not self.waterfall or g.layers == 1:
            return 0.0, g.col_w * BAR_W
        w = g.col_w * 0.8 / g.layers
        return (k - (g.layers - 1) / 2) * w, w * 0.9

    def _segments(self, values, color, base, k: int) -> VGroup:
        g, o = self.geo, self._o()
        dx, w = self._slot(k)
        bars = VGroup()
        for j, c in enumerate(g.cols):
            if c is None:
                continue
            bar = Rectangle(width=0.1, height=0.1, stroke_width=0, fill_color=color, fill_opacity=0.9)
            _set_bar(bar, o[0] + g.col_x(j) + dx, o[1] + base[c] * g.unit, o[1] + (base[c] + values[c]) * g.unit, w)
            bars.add(bar)
        return bars

    def _row(self, values, label: str, color, k: int) -> VGroup:
        g, o = self.geo, self._o()
        y = o[1] + g.row_y(k)
        lab = label_text(label, g.label_size, g.label_w - 0.1, color)
        center_on_line(lab, y).align_to(np.array([o[0] + g.label_w - 0.1, 0, 0]), RIGHT)
        nums, gaps = VGroup(), VGroup()
        right = (g.col_w + float(number(-g.scale, g.places, g.number_size).width)) / 2
        for j, c in enumerate(g.cols):
            if c is None:
                gaps.add(text("…", NOTE_SIZE, MUTED).move_to(np.array([o[0] + g.col_x(j), y, 0])))
                continue
            n = number(values[c], g.places, g.number_size, color)
            n.move_to(np.array([o[0] + g.col_x(j) - g.col_w / 2 + right - n.width / 2, y, 0]))
            nums.add(n)
        row = VGroup(lab, nums, gaps)
        row.label, row.numbers, row.gaps = lab, nums, gaps
        return row

    def total(self) -> np.ndarray:
        return np.sum([v for v, _ in self.layers], axis=0)

    # ---------------------------------------------------------------- changes (each returns animations)

    def morph(self, values, label: str | None = None, color=None, recolor: bool = False) -> Animation:
        """A one-layer card takes new values: bars resize, numbers (and the label) switch halfway, in place;
        recolor: its frame takes the new colour too (a copy that became an update)."""
        assert len(self.layers) == 1 and len(self.rows) == 1
        old, new = self.layers[0][0], np.asarray(values, float)
        g, o = self.geo, self._o()
        bars, row = self.segments[0], self.row_mobs[0]
        color = color if color is not None else self.rows[0][2]
        target = self._row(new, label or self.rows[0][1], color, 0)
        shown_cols = [(j, c) for j, c in enumerate(g.cols) if c is not None]
        dx, w = self._slot(0)
        done = []

        def step(_, alpha):
            v = old + (new - old) * alpha
            for bar, (j, c) in zip(bars, shown_cols):
                _set_bar(bar, o[0] + g.col_x(j) + dx, o[1], o[1] + v[c] * g.unit, w)
            if alpha >= 0.5 and not done:
                done.append(True)
                bars.set_fill(color)
                if recolor:
                    self.panel.set_stroke(color)
                    self.zero.set_stroke(color)
                for n, m in zip(row.numbers, target.numbers):
                    n.set_value(m.get_value()).set_color(color).move_to(m.get_center())
                info = target.label.text_info
                row.label.become(target.label)
                row.label.text_info = info

        self.layers[0] = [new, color]
        self.rows[0] = [new, label or self.rows[0][1], color]
        return UpdateFromAlphaFunc(self, step)

    def stack_from(self, source: VectorStack, label: str, color) -> list[Animation]:
        """Land a one-layer card (an update) on this one: its bars become segments on this card's tips, column for
        column, and its numbers become a new row. Call settle(scene) after playing."""
        values = source.layers[0][0]
        segs = self._segments(values, color, self.total(), len(self.layers))
        row = self._row(values, label, color, len(self.rows))
        anims = [Transform(source.segments[0], segs), Dim(source.row_mobs[0]), FadeIn(row),
                 Transform(self.panel, self._panel(len(self.rows) + 1))]
        anims += [Dim(m) for m in (source.panel, source.zero, source.bar_gap, source.name)]
        self.add(row)  # drawn now; settle files it with the rows
        self.layers.append([np.asarray(values, float), color])
        self.rows.append([np.asarray(values, float), label, color])
        self._pending.append(("land", source, segs, row))
        return anims

    def add_row(self, values, label: str, color, tips: bool = True) -> list[Animation]:
        """A row of numbers (a result such as h = x + Δ) under the others, with marks at the stack's tips."""
        row = self._row(values, label, color, len(self.rows))
        anims = [Transform(self.panel, self._panel(len(self.rows) + 1)), FadeIn(row)]
        self.row_mobs.add(row)
        if tips:
            marks = self._tips(values, color)
            self.marks.add(marks)
            anims.append(FadeIn(marks))
        self.rows.append([np.asarray(values, float), label, color])
        return anims

    def tips_at(self, values, color) -> VGroup:
        """Marks at `values` on every column (where a stack ends), kept with the card until its rows are replaced."""
        marks = self._tips(values, color)
        self.marks.add(marks)
        return marks

    def _tips(self, values, color) -> VGroup:
        g, o = self.geo, self._o()
        return VGroup(*[Line(np.array([o[0] + g.col_x(j) - g.col_w * 0.42, o[1] + values[c] * g.unit, 0]),
                             np.array([o[0] + g.col_x(j) + g.col_w * 0.42, o[1] + values[c] * g.unit, 0]),
                             color=color, stroke_width=3)
                        for j, c in enumerate(g.cols) if c is not None])

    def set_rows(self, rows, layers=None, tips=None) -> list[Animation]:
        """Replace the rows ([values, label, colour] each) and, if given, the stacked layers ([values, colour]) and
        the marks at the stack's tips ((values, colour))."""
        old = [*self.row_mobs, *self.marks] + ([*self.segments] if layers is not None else [])
        anims = [Dim(m) for m in old]
        new_rows = [self._row(v, lab, c, k) for k, (v, lab, c) in enumerate(rows)]
        new_segs = []
        if layers is not None:
            base = np.zeros(self.geo.dims)
            for k, (v, c) in enumerate(layers):
                new_segs.append(self._segments(v, c, base, k))
                base = base + np.asarray(v, float)
            self.layers = [[np.asarray(v, float), c] for v, c in layers]
        self.add(*new_segs, *new_rows)  # drawn now; settle files them
        anims += [FadeIn(m) for m in new_segs + new_rows]
        anims.append(Transform(self.panel, self._panel(len(rows))))
        if tips is not None:
            marks = self._tips(*tips)
            self.marks.add(marks)
            anims.append(FadeIn(marks))
        self.rows = [[np.asarray(v, float), lab, c] for v, lab, c in rows]
        self._pending.append(("replace", old, new_rows, new_segs))
        return anims

    def settle(self, scene=None) -> VectorStack:
        """Finish the structure changes of the animations just played."""
        for item in self._pending:
            if item[0] == "land":
                _, source, segs, row = item
                if scene is not None:
                    scene.remove(source)
                self.remove(row)
                self.segments.add(segs)
                self.row_mobs.add(row)
            else:
                _, old, new_rows, new_segs = item
                for group in (self.row_mobs, self.marks, self.segments):
                    group.remove(*[m for m in old if m in group.submobjects])
                self.remove(*new_rows, *new_segs)
                self.row_mobs.add(*new_rows)
                self.segments.add(*new_segs)
        self._pending = []
        return self

    # ---------------------------------------------------------------- what is on screen (for the tests)

    def rows_shown(self) -> list[tuple[str, list[float]]]:
        """(label, numbers as drawn) of each row, top to bottom."""
        return [(r[1], [shown(n) for n in m.numbers]) for r, m in zip(self.rows, self.row_mobs)]

    def copy_card(self, values, color, label: str, frame_color=None) -> VectorStack:
        """A new one-layer card with the same geometry, in this card's place (a copy peeling off the stream)."""
        card = VectorStack(self.geo, values, color, label, frame_color=frame_color)  # one centred bar per column
        return card.shift(self._o() - card._o())


def station_box(card: VectorStack, color, title: str, size: float = SMALL_SIZE) -> VGroup:
    """The component a card goes through: a frame around the card and its name above its top-left corner."""
    frame = RoundedRectangle(width=card.panel.width + 0.24, height=card.panel.height + 0.24, corner_radius=0.14,
                             stroke_color=color, stroke_width=4, fill_opacity=0).move_to(card.panel)
    name = text(title, size, color).next_to(frame, UP, buff=0.08).align_to(frame, LEFT)
    g = VGroup(frame, name)
    g.frame, g.title = frame, name
    return g


def branch_paths(panel, branch_y: float, stream_y: float, color) -> VGroup:
    """A branch around a card on the stream: the fork (left of the card) up to branch_y and into the branch card's
    left side, and from its right side down into a ⊕ on the stream (right of the card)."""
    left, right = panel.get_left()[0], panel.get_right()[0]
    xf, xp, yb, ys = left - 0.3, right + 0.38, branch_y, stream_y
    up = VMobject(stroke_color=color, stroke_width=3).set_points_as_corners(
        [np.array([xf, ys, 0]), np.array([xf, yb, 0]), np.array([left, yb, 0])])
    down = VMobject(stroke_color=color, stroke_width=3).set_points_as_corners(
        [np.array([right, yb, 0]), np.array([xp, yb, 0]), np.array([xp, ys + 0.2, 0])])
    tip = Arrow(np.array([xp, ys + 0.6, 0]), np.array([xp, ys + 0.2, 0]), buff=0, color=color, stroke_width=3,
                tip_length=0.14, max_tip_length_to_length_ratio=0.5)
    return VGroup(up, down, tip, Dot(np.array([xf, ys, 0]), radius=0.07, color=color),
                  plus_node(np.array([xp, ys, 0]), 0.2))


def strip_links(panel, strip, vertical: bool, color) -> tuple[VMobject, VMobject]:
    """Two arrows between a card's panel and a strip beside it (or above it, vertical): into the strip and back."""
    if vertical:
        a, b = panel.get_top(), strip.get_bottom()
        ends = [((b[0] - 0.25, a[1]), (b[0] - 0.25, b[1])), ((b[0] + 0.25, b[1]), (b[0] + 0.25, a[1]))]
        buff = 0.05
    else:
        a, b = panel.get_left(), strip.get_right()
        ends = [((a[0], b[1] + 0.1), (b[0], b[1] + 0.1)), ((b[0], b[1] - 0.1), (a[0], b[1] - 0.1))]
        buff = 0.08
    into, back = [Arrow(np.array([*p, 0]), np.array([*q, 0]), buff=buff, color=color, stroke_width=3,
                        max_tip_length_to_length_ratio=0.4) for p, q in ends]
    return into, back


def reads_table(tokens, tracked: int, weights, vectors, rows: Window, vmax: float, strip_cols: Window | None,
                heading: str, label_w: float = 1.2) -> VGroup:
    """What attention reads for the tracked token: a row per earlier token (a window of them) with its weight and,
    unless strip_cols is None, a strip of its vector. .ends: where each row's arc starts (right of the row)."""
    pitch = 0.34
    labels, nums, gaps, ends = VGroup(), VGroup(), VGroup(), []
    for i, r in enumerate(rows):
        y = -i * pitch
        if r is None:
            gaps.add(text("⋮", NOTE_SIZE, MUTED).move_to(np.array([label_w + 0.35, y, 0])))
            continue
        lab = label_text(tokens[r], SMALL_SIZE, label_w, RESULT if r == tracked else INK)
        center_on_line(lab, y).align_to(np.array([label_w, 0, 0]), RIGHT)
        labels.add(lab)
        nums.add(number(weights[r], 2, NUMBER_SIZE, INK).move_to(np.array([label_w + 0.4, y, 0])))
    parts = VGroup(labels, nums)
    right = label_w + 0.7
    strip = VGroup()
    if strip_cols is not None:
        strip = CellMatrix(np.asarray(vectors), vmax, 0.1, 0.24, rows=rows, cols=strip_cols, numbers=False)
        strip.stretch_to_fit_height(pitch * (len(rows) - 1) + 0.24)
        strip.move_to(np.array([label_w + 0.8 + strip.width / 2, -(len(rows) - 1) * pitch / 2, 0]))
        right = strip.get_right()[0]
        parts.add(strip)
    for i, r in enumerate(rows):
        if r is not None:
            ends.append(np.array([right + 0.05, -i * pitch, 0]))
    head = text(heading, NOTE_SIZE, MUTED).next_to(parts, UP, buff=0.15).align_to(labels, LEFT)
    g = VGroup(head, labels, nums, strip, gaps)
    g.heading, g.labels, g.weights, g.strip = head, labels, nums, strip
    g.rows = [r for r in rows if r is not None]
    g.ends = VGroup(*[VMobject().set_points_as_corners([e, e + RIGHT * 1e-3]).set_stroke(width=0) for e in ends])
    g.add(g.ends)
    return g


def reads_chips(tokens, tracked: int, weights, slots: int, max_width: float, label_w: float = 0.9) -> VGroup:
    """What attention reads, on one line: a chip (token, weight) per earlier token, a window of them with "…" if
    they do not fit in max_width. .ends: the bottom centre of each chip (where its arc starts); .rows, .weights."""
    n = len(weights)
    while True:
        rows = window(n, slots)
        chips = VGroup()
        for r in rows:
            if r is None:
                chips.add(text("…", SMALL_SIZE, MUTED))
                continue
            lab = label_text(tokens[r], SMALL_SIZE, label_w, RESULT if r == tracked else INK)
            num = number(weights[r], 2, NUMBER_SIZE, INK)
            chip = VGroup(lab, num).arrange(RIGHT, buff=0.08)
            center_on_line(lab, 0)
            num.set_y(0)
            chip.weight = num
            chips.add(chip)
        chips.arrange(RIGHT, buff=0.25)
        if chips.width <= max_width or slots <= 3:
            break
        slots -= 1
    g = VGroup(chips)
    g.rows = [r for r in rows if r is not None]
    g.weights = VGroup(*[c.weight for c in chips if hasattr(c, "weight")])
    g.chips = VGroup(*[c for c in chips if hasattr(c, "weight")])
    ends = [c.get_bottom() + DOWN * 0.05 for c in g.chips]
    g.ends = VGroup(*[VMobject().set_points_as_corners([e, e + RIGHT * 1e-3]).set_stroke(width=0) for e in ends])
    g.add(g.ends)
    return g


def arcs_into(starts, ends, weights, color, leave=RIGHT, arrive=RIGHT) -> VGroup:
    """Curves from each start point to its end (one end for all, or one each), leaving along `leave` and arriving
    along `arrive`; thicker and more opaque for larger weights (weights in [0, 1])."""
    arcs = VGroup()
    ends = [ends] * len(starts) if np.ndim(ends) == 1 else ends
    for s, e, w in zip(starts, ends, weights):
        s, e = np.asarray(s, float), np.asarray(e, float)
        reach = min(0.5, np.linalg.norm(e - s) / 3)
        arcs.add(CubicBezier(s, s + leave * reach, e - arrive * reach, e, stroke_color=color,
                             stroke_width=1 + 6 * float(w), stroke_opacity=0.35 + 0.65 * float(w)))
    return arcs


def hidden_strip(values, vmax: float, width: float, inline: bool = False) -> VGroup:
    """The MLP's hidden layer for one token (after GELU) as a strip of coloured cells (a window if wide), its
    heading above it (or before it on the same line, inline; then `width` holds both)."""
    f = len(values)
    heads = [f"{f} hidden units, after GELU", f"{f} hidden units (GELU)", f"hidden: {f}, GELU"]
    heading = next((h for h in heads if text(h, NOTE_SIZE).width <= (width / 2 if inline else width)), heads[-1])
    head = text(heading, NOTE_SIZE, MUTED)
    n = len(values)
    room = width - (head.width + 0.2 if inline else 0.0)
    cols = window(n, max(int(room // 0.14), 3))
    strip = CellMatrix(np.asarray(values)[None, :], vmax, min(0.14, room / len(cols)), 0.32 if not inline else 0.24,
                       cols=cols, numbers=False)
    if inline:
        head.next_to(strip, LEFT, buff=0.2)
    else:
        head.next_to(strip, UP, buff=0.12).align_to(strip, LEFT)
    g = VGroup(head, strip)
    g.heading, g.strip = head, strip
    return g


def place_beside(mob, mode: str, side, title, card_y: float):
    """Put what a branch reads beside its card: level with the card, right-aligned in `side` ("beside"), at the
    bottom left of `side` ("above"), or on the station title's line ("inline")."""
    if mode == "above":
        mob.move_to(np.array([side.left, side.bottom, 0]), aligned_edge=DOWN + LEFT)
    elif mode == "inline":
        mob.next_to(title, RIGHT, buff=0.35).set_y(title.get_center()[1])
    else:
        mob.move_to(np.array([side.right, card_y, 0]), aligned_edge=RIGHT)
        mob.shift(DOWN * max(0.0, mob.get_top()[1] - side.top) + UP * max(0.0, side.bottom - mob.get_bottom()[1]))


def attention_reads(mode: str, tokens, tracked: int, weights, vectors, n_heads: int, panel, title, side,
                    right: float, place) -> tuple[VGroup, VGroup]:
    """What attention reads for the tracked token (rows of earlier tokens with their weights and vectors, or chips
    on the station title's line when mode is "inline"), placed by `place`, and arcs from each into the card's panel.
    weights: [T] the tracked token's row (mean over heads); vectors: [T, d] what attention reads."""
    i = tracked
    if mode == "inline":
        table = reads_chips(tokens, i, weights[: i + 1], i + 1, right - title.get_right()[0] - 0.35)
        table.next_to(title, RIGHT, buff=0.35)
        table.shift(UP * (title.get_center()[1] - table[0].get_center()[1]))
        starts = [e.get_start() for e in table.ends]
        ends = [np.array([p[0], panel.get_top()[1], 0]) for p in starts]
        return table, arcs_into(starts, ends, [weights[r] for r in table.rows], ATTN, DOWN, DOWN)
    rows = window(i + 1, max(int((side.height - 0.45) // 0.34), 3))
    table = reads_table(tokens, i, weights, vectors, rows, float(np.abs(vectors[: i + 1]).max()),
                        window(vectors.shape[1], 8), "weight" if n_heads == 1 else f"weight (mean of {n_heads} heads)",
                        label_w=min(2.0, side.width - 1.7))
    place(table)
    starts = [e.get_start() for e in table.ends]
    w = [weights[r] for r in table.rows]
    if mode == "above":
        end = np.array([table.get_right()[0] + 0.7, panel.get_top()[1], 0])
        return table, arcs_into(starts, end, w, ATTN, RIGHT, DOWN)
    return table, arcs_into(starts, panel.get_left(), w, ATTN, RIGHT, RIGHT)
