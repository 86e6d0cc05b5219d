"""The MLP (FFN) drawn as W₁ → hidden layer → W₂: two trapezoids (each weight matrix, its tall side facing the
wide layer) around the hidden layer's cells (colour = value), along the flow (left to right, or top to bottom).
The hidden layer can be drawn twice, before and after GELU, side by side, so GELU's effect stays in view.
"""

from __future__ import annotations

import numpy as np
from manim import DL, DOWN, DR, LEFT, RIGHT, UL, UP, UR, Line, Polygon, Square, SurroundingRectangle, Transform, \
    VGroup

from kit.matrices import CellMatrix, value_color
from kit.rows import window_keeping
from kit.style import BODY_SIZE, INK, MLP, MUTED, NOTE_SIZE, SMALL_SIZE, ZERO
from kit.text import number, text

HIDDEN_W = 0.34  # thickness of the hidden layer
UNIT_MIN = 0.09  # the thinnest a hidden unit is drawn when all of them are shown
UNIT_WINDOWED = 0.2  # a hidden unit's length when only a window of them is shown (room for the "⋮")


def hidden_window(f: int, length: float, keep=()) -> tuple[float, list]:
    """The length of one hidden unit and the units shown along `length`: all of them when each gets UNIT_MIN,
    else a window (keeping `keep`)."""
    if f <= length // UNIT_MIN:
        return min(0.3, length / f), list(range(f))
    return UNIT_WINDOWED, window_keeping(f, int(length // UNIT_WINDOWED), keep)


class Net(VGroup):
    """W₁ → hidden layer (colours only) → W₂ along the flow: left to right, or top to bottom when vertical.

    length: the hidden layer's long side; narrow: W₁'s short side (the input's length; W₂'s is the same);
    w_len: their depth along the flow. The hidden layer shows a window of its units (keeping `keep`) when they
    are too many for their cells. gelu_gap: also draw the hidden layer before GELU (`pre`), this far before the
    one after GELU (`hidden`); value_gap: the room after `hidden`, before W₂.
    """

    def __init__(self, d: int, f: int, block, length: float, narrow: float, w_len: float, vertical: bool,
                 keep=(), value_gap: float = 0.06, gelu_gap: float | None = None):
        super().__init__()
        self.vertical = vertical
        hmax = float(max(np.abs(block.ffn_pre).max(), np.abs(block.ffn_post).max()))
        cell, win = hidden_window(f, length, keep)
        length = cell * len(win)
        size = (cell, HIDDEN_W) if vertical else (HIDDEN_W, cell)
        values = np.zeros((1, f) if vertical else (f, 1))
        self.hidden = CellMatrix(values, hmax, *size, numbers=False, **({"cols": win} if vertical else {"rows": win}))
        flow = DOWN if vertical else RIGHT
        self.pre = None
        first = self.hidden
        if gelu_gap is not None:
            self.pre = self.hidden.copy().next_to(self.hidden, -flow, buff=gelu_gap)
            first = self.pre
        w1, w2 = trapezoid(narrow, length, w_len, vertical), trapezoid(length, narrow, w_len, vertical)
        w1.next_to(first, -flow, buff=0.04)
        w2.next_to(self.hidden, flow, buff=value_gap)
        self.shapes = VGroup(w1, w2)
        self.labels = VGroup(*[weight_label(name, shape, w, vertical) for name, shape, w in
                               (("W₁", f"{d}×{f}", w1), ("W₂", f"{f}×{d}", w2))])
        a, b = (lab[1] for lab in self.labels)
        if not vertical and b.get_left()[0] - a.get_right()[0] < 0.2:  # both sizes pushed under narrow shapes
            for lab in self.labels:  # and running into each other: the names stay, the sizes are in the title
                lab.remove(lab[1])
        self.add(self.shapes, *([self.pre] if self.pre is not None else []), self.hidden, self.labels)

    def column(self, values):
        """The hidden layer's values [f] in its shape ([f, 1] or [1, f])."""
        v = np.asarray(values, dtype=float)
        return v[None, :] if self.vertical else v[:, None]

    def recolor(self, values, layer=None) -> Transform:
        """The hidden layer (or `layer`, e.g. self.pre) takes the colours of values [f] (a plain Transform: cheap
        to render)."""
        layer = self.hidden if layer is None else layer
        return Transform(layer.cells, layer.target_for(self.column(values)).cells)

    def paint(self, values, layer=None):
        """The hidden layer (or `layer`) coloured as values [f] at once (before it is shown)."""
        layer = self.hidden if layer is None else layer
        for c, t in zip(layer.cells, layer.target_for(self.column(values)).cells):
            c.set_fill(t.get_fill_color(), opacity=1)
        return layer

    def cell(self, u: int, layer=None):
        """Hidden unit u's cell (after GELU, or in `layer`)."""
        layer = self.hidden if layer is None else layer
        return layer.cell(0, u) if self.vertical else layer.cell(u, 0)

    def mark_units(self, units, values, left: float, right: float) -> tuple[VGroup, VGroup, VGroup]:
        """Boxes around the given units after GELU, their values (values[u], 2 places) beside them (under them in
        a vertical flow, kept between left and right), and a lead from each box to its value."""
        boxes = VGroup(*[SurroundingRectangle(self.cell(u), color=MLP, buff=0.03, stroke_width=3) for u in units])
        numbers = VGroup(*[number(values[u], 2, SMALL_SIZE, MLP) for u in units])
        axis = 0 if self.vertical else 1
        centres = spread([self.cell(u).get_center()[axis] for u in units],
                         (numbers.width + 0.3) if self.vertical else 0.34)
        if self.vertical:  # all of them between left and right
            half = max(n.width for n in numbers) / 2
            lo, hi = left + half - min(centres), right - half - max(centres)
            centres = [c + min(max(0.0, lo), hi) for c in centres]
        leads = VGroup()
        for u, num, c in zip(units, numbers, centres):
            cell = self.cell(u)
            if self.vertical:
                num.move_to([c, cell.get_bottom()[1] - 0.55, 0])
                leads.add(Line(cell.get_bottom() + DOWN * 0.03, num.get_top() + UP * 0.05, color=MLP))
            else:
                num.move_to([cell.get_right()[0] + 0.3 + num.width / 2, c, 0])
                leads.add(Line(cell.get_right() + RIGHT * 0.03, num.get_left() + LEFT * 0.05, color=MLP))
        return boxes, leads, numbers

    def units_shown(self) -> list[int]:
        return self.hidden.cols_shown if self.vertical else self.hidden.rows_shown


def key(vmax: float) -> tuple[VGroup, VGroup]:
    """The hidden layer's colour key ('■ negative ■ 0 ■ positive', saturating at ±vmax) and the boxes' key
    ('□ most active units'), one line each."""
    def swatch(v):
        return Square(0.22, stroke_width=0, fill_opacity=1, fill_color=value_color(v, vmax))

    colours = VGroup(*[VGroup(swatch(v), text(word, NOTE_SIZE, MUTED)).arrange(RIGHT, buff=0.1)
                       for v, word in ((-vmax, "negative"), (0.0, "0"), (vmax, "positive"))])
    boxes = VGroup(Square(0.22, color=MLP, stroke_width=3), text("most active units", NOTE_SIZE, MUTED))
    return colours.arrange(RIGHT, buff=0.3), boxes.arrange(RIGHT, buff=0.1)


def trapezoid(a: float, b: float, depth: float, vertical: bool) -> Polygon:
    """A weight matrix as a trapezoid from a side `a` long to a side `b` long, `depth` along the flow."""
    if vertical:
        pts = [[-a / 2, depth / 2, 0], [a / 2, depth / 2, 0], [b / 2, -depth / 2, 0], [-b / 2, -depth / 2, 0]]
    else:
        pts = [[-depth / 2, a / 2, 0], [depth / 2, b / 2, 0], [depth / 2, -b / 2, 0], [-depth / 2, -a / 2, 0]]
    return Polygon(*pts, color=MLP, stroke_width=2, fill_color=ZERO, fill_opacity=0.6)


def weight_label(name: str, shape: str, poly: Polygon, vertical: bool) -> VGroup:
    """'W₁' and its shape ('8×32'), centred in the trapezoid: one over the other, or side by side (vertical flow).
    What does not fit inside the trapezoid goes beside it (under it, or right of it in a vertical flow)."""
    g = VGroup(text(name, BODY_SIZE, INK), text(shape, SMALL_SIZE, MUTED))
    g.arrange(RIGHT, buff=0.15) if vertical else g.arrange(DOWN, buff=0.06)
    g.move_to(poly.get_center())
    if not _inside(g, poly):
        g[0].move_to(poly.get_center())
        g[1].next_to(poly, RIGHT if vertical else DOWN, buff=0.1)
        if not _inside(g[0], poly):
            g[0].next_to(g[1], RIGHT if vertical else DOWN, buff=0.06)
    return g


def _inside(mob, poly: Polygon, pad: float = 0.04) -> bool:
    """True when mob's bounding box lies inside the convex polygon (with pad to spare)."""
    corners = [mob.get_corner(c) for c in (UL, UR, DL, DR)]
    pts = poly.get_vertices()[:, :2]
    centre = pts.mean(axis=0)
    for a, b in zip(pts, np.roll(pts, -1, axis=0)):
        normal = np.array([b[1] - a[1], a[0] - b[0]])
        normal = normal / np.linalg.norm(normal)
        if normal @ (centre - a) > 0:
            normal = -normal  # pointing out of the polygon
        if any(normal @ (c[:2] - a) > -pad for c in corners):
            return False
    return True


def spread(centres: list[float], min_gap: float) -> list[float]:
    """Layout only: move label centres apart (keeping their order) until neighbours are min_gap apart."""
    order = sorted(range(len(centres)), key=lambda i: centres[i])
    out = list(centres)
    for _ in range(50):
        moved = False
        for a, b in zip(order, order[1:]):
            if out[b] - out[a] < min_gap - 1e-9:
                push = (min_gap - (out[b] - out[a])) / 2
                out[a], out[b], moved = out[a] - push, out[b] + push, True
        if not moved:
            break
    return out
