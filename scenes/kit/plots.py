"""Line plots of per-layer values that span many decades: a log-scale y axis with "10⁻⁴" tick labels.

`LogPlot` lays out its axes, tick labels and axis titles inside a `Box` (nothing outside it), maps (layer, value)
to a point (`point`), and draws curves whose corners are exactly the plotted values, so a test can read a curve
back through the tick labels and compare it with the trace.
"""

from __future__ import annotations

import math

import numpy as np
from manim import DOWN, LEFT, RIGHT, Line, VGroup, VMobject

from kit.layout import Box
from kit.style import INK, MUTED, SMALL_SIZE, ZERO
from kit.text import SUPERSCRIPT, text
from kit.widgets import paragraph

TICK_GAP = 0.12  # between a tick label and its axis


def power_of_ten(e: int) -> str:
    """Tick label for 10**e: "1", "10", "10⁻⁶"."""
    return {0: "1", 1: "10"}.get(e, "10" + str(e).translate(SUPERSCRIPT))


def decade_ticks(lo: int, hi: int, most: int = 6) -> list[int]:
    """Exponents to label between lo and hi: every decade, or every 2nd, 3rd… so that at most `most` remain
    (always including 10⁰ when it is in range, so steps stay on round powers)."""
    step = max(1, math.ceil((hi - lo) / (most - 1)))
    anchor = 0 if lo <= 0 <= hi else lo
    return [e for e in range(lo, hi + 1) if (e - anchor) % step == 0]


def layer_ticks(n: int) -> list[int]:
    """Layers to label on an axis of layers 0 … n−1: the first, the last, and round steps between them."""
    step = next(s for s in (1, 2, 4, 6, 12, 24, 48, 96) if (n - 1) / s <= 4)
    ticks = list(range(0, n, step))
    if ticks[-1] != n - 1:
        ticks = ticks[:-1] + [n - 1] if n - 1 - ticks[-1] < step / 2 else ticks + [n - 1]
    return ticks


class LogPlot(VGroup):
    """Axes for values per layer (x: layer 0 … n−1) on a log scale (y), filling `box`.

    y_title sits above the axes, left-aligned; x_title on the layer labels' line, left of "0". Faint grid lines mark
    the labelled decades. `curve(values, color)` draws one line through (layer, value) for every layer.
    floor=True: lo is a floor the values were clipped to; its tick always shows, as "≤10⁻²⁰". most_ticks: at most
    this many decades labelled (fewer for a small plot). x_ticks: the layers to label (default: layer_ticks).
    """

    def __init__(self, box: Box, n: int, lo: float, hi: float, y_title: str, x_title: str = "layer",
                 size: float = SMALL_SIZE, floor: bool = False, most_ticks: int = 6, x_ticks=None):
        super().__init__()
        self.n = n
        self.lo, self.hi = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        if self.hi == self.lo:
            self.hi += 1
        exps = decade_ticks(self.lo, self.hi, most_ticks)
        if floor and self.lo not in exps:  # the floor's tick replaces a tick too close to it
            step = exps[1] - exps[0] if len(exps) > 1 else 1
            exps = [self.lo, *[e for e in exps if e - self.lo >= step]]
        ylabels = {e: text(("≤" if floor and e == self.lo else "") + power_of_ten(e), size, MUTED) for e in exps}
        xlabels = {i: text(str(i), size, MUTED) for i in (layer_ticks(n) if x_ticks is None else x_ticks)}
        self.y_title = paragraph(y_title, size, box.width, INK, align=LEFT)
        self.x_title = text(x_title, size, MUTED)
        label_w = max(max(m.width for m in ylabels.values()), self.x_title.width + 0.2 + xlabels[0].width / 2)
        label_h = max(m.height for m in xlabels.values())
        half_x = max(m.width for m in xlabels.values()) / 2
        a = Box(box.left + label_w + TICK_GAP, box.right - half_x, box.bottom + label_h + TICK_GAP + 0.1,
                box.top - self.y_title.height - 0.25)
        self.axes = VGroup(Line([a.left, a.bottom, 0], [a.right, a.bottom, 0], color=MUTED, stroke_width=2),
                           Line([a.left, a.bottom, 0], [a.left, a.top, 0], color=MUTED, stroke_width=2))
        self.grid = VGroup(*[Line(self.point(0, 10.0**e), self.point(n - 1, 10.0**e), color=ZERO, stroke_width=1.5)
                             for e in exps if e != self.lo])
        for e, m in ylabels.items():
            m.next_to(self.point(0, 10.0**e), LEFT, buff=TICK_GAP)
        for i, m in xlabels.items():
            m.next_to(self.point(i, 10.0**self.lo), DOWN, buff=TICK_GAP)
        self.ylabels, self.xlabels = VGroup(*ylabels.values()), VGroup(*xlabels.values())
        self.y_title.move_to([box.left, a.top + 0.25 + self.y_title.height / 2, 0], aligned_edge=LEFT)
        # the x title sits on the layer labels' line, left of the axis (under the y labels' column)
        self.x_title.move_to([self.xlabels[0].get_left()[0] - 0.2, self.xlabels[0].get_y(), 0], aligned_edge=RIGHT)
        clash = self.x_title.get_top()[1] - (self.ylabels[0].get_bottom()[1] - 0.05)  # the lowest y label
        if clash > 0:
            self.x_title.shift(DOWN * clash)
        self.add(self.grid, self.axes, self.ylabels, self.xlabels, self.x_title, self.y_title)

    @property
    def area(self) -> Box:
        """Where the axes are now (read from the axis lines, so the plot may be moved after it is made)."""
        (x0, y0, _), (x1, _, _) = self.axes[0].get_start(), self.axes[0].get_end()
        return Box(x0, x1, y0, self.axes[1].get_end()[1])

    def point(self, layer: float, value: float) -> np.ndarray:
        """The scene point of (layer, value)."""
        a = self.area
        x = a.left + a.width * layer / max(self.n - 1, 1)
        y = a.bottom + a.height * (math.log10(value) - self.lo) / (self.hi - self.lo)
        return np.array([x, y, 0.0])

    def curve(self, values, color, width: float = 4.0, downward: bool = False) -> VMobject:
        """A line through (i, values[i]) for every layer; downward: drawn from the last layer to layer 0 (the way
        backprop goes), so Create() runs that way."""
        pts = [self.point(i, float(v)) for i, v in enumerate(values)]
        return VMobject(color=color, stroke_width=width).set_points_as_corners(pts[::-1] if downward else pts)
