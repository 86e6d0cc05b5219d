"""The MLP (FFN) drawn as W₁ → hidden layer → W₂: two trapezoids (each weight matrix, its tall side facing the
wide layer) around the hidden layer's cells (colour = value), along the flow (left to right, or top to bottom).
"""

from __future__ import annotations

import numpy as np
from manim import DL, DOWN, DR, RIGHT, UL, UR, Polygon, Transform, VGroup

from kit.matrices import CellMatrix
from kit.rows import window_keeping
from kit.style import BODY_SIZE, INK, MLP, MUTED, SMALL_SIZE, ZERO
from kit.text import text

HIDDEN_W = 0.34  # thickness of the hidden layer


class Net(VGroup):
    """W₁ → hidden layer (colours only) → W₂ along the flow: left to right, or top to bottom when vertical.

    length: the hidden layer's long side; narrow: the trapezoids' short side; w_len: their depth along the flow.
    The hidden layer shows a window of its units (keeping `keep`) when they are too many for their cells.
    """

    def __init__(self, d: int, f: int, block, length: float, narrow: float, w_len: float, vertical: bool,
                 keep=(), value_gap: float = 0.06):
        super().__init__()
        self.vertical = vertical
        hmax = float(max(np.abs(block.ffn_pre).max(), np.abs(block.ffn_post).max()))
        cell, win = (min(0.3, length / f), list(range(f))) if f <= length // 0.09 else \
            (0.25, window_keeping(f, int(length // 0.25), keep))
        length = cell * len(win)
        size = (cell, HIDDEN_W) if vertical else (HIDDEN_W, cell)
        values = np.zeros((1, f) if vertical else (f, 1))
        self.hidden = CellMatrix(values, hmax, *size, numbers=False, **({"cols": win} if vertical else {"rows": win}))
        w1, w2 = trapezoid(narrow, length, w_len, vertical), trapezoid(length, narrow, w_len, vertical)
        flow = DOWN if vertical else RIGHT
        w1.next_to(self.hidden, -flow, buff=0.04)
        w2.next_to(self.hidden, flow, buff=value_gap)
        self.shapes = VGroup(w1, w2)
        self.labels = VGroup(*[weight_label(name, shape, w, vertical) for name, shape, w in
                               (("W₁", f"{d}×{f}", w1), ("W₂", f"{f}×{d}", w2))])
        self.add(self.shapes, self.hidden, self.labels)

    def column(self, values):
        """The hidden layer's values [f] in its shape ([f, 1] or [1, f])."""
        v = np.asarray(values, dtype=float)
        return v[None, :] if self.vertical else v[:, None]

    def recolor(self, values) -> Transform:
        """The hidden layer takes the colours of values [f] (a plain Transform: cheap to render)."""
        return Transform(self.hidden.cells, self.hidden.target_for(self.column(values)).cells)

    def cell(self, u: int):
        return self.hidden.cell(0, u) if self.vertical else self.hidden.cell(u, 0)


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
