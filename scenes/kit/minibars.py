"""A small picture of a vector, for many vectors side by side: one thin bar per dimension, no numbers.

The bars hang on a vertical centre line, top to bottom in dimension order; a positive value grows to the right in
the given colour, a negative one to the left in a darker shade (as in VectorBars). `scale` is the value that
fills half_width, shared by the vectors that are compared, so their bars can be compared by length. `ChartRow` sets
such pictures side by side (one per x), scales them in place (weights) and gathers them (a sum).
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, Line, Rectangle, VGroup, interpolate_color

from kit.style import BG, MUTED

MIN_BAR = 0.004  # a zero still shows as a sliver


class MiniBars(VGroup):
    def __init__(self, values, scale: float, half_width: float, row_h: float, color, **kwargs):
        super().__init__(**kwargs)
        values = np.asarray(values, dtype=float)
        self.scale_, self.half_width, self.color_ = float(scale), float(half_width), color
        n = len(values)
        self.axis = Line(np.array([0, row_h * n / 2, 0]), np.array([0, -row_h * n / 2, 0]), color=MUTED,
                         stroke_width=1)
        self.bars = VGroup(*[Rectangle(width=1.0, height=row_h * 0.75, stroke_width=0, fill_opacity=0.95)
                             .move_to(np.array([0, (n / 2 - i - 0.5) * row_h, 0])) for i in range(n)])
        self.axis_length = self.axis.get_length()
        self.add(self.axis, self.bars)
        self.set_values(values)

    def set_values(self, values):
        """Resize the bars to new values (in the panel's current size and place)."""
        k = self.axis.get_length() / self.axis_length  # how much the panel was scaled since it was built
        x0 = self.axis.get_center()[0]
        for bar, v in zip(self.bars, np.asarray(values, dtype=float)):
            w = max(abs(v) / self.scale_ * self.half_width, MIN_BAR) * k if self.scale_ > 0 else MIN_BAR * k
            lo, hi = bar.points.min(axis=0), bar.points.max(axis=0)
            left = x0 if v >= 0 else x0 - w
            bar.points[:, 0] = left + (bar.points[:, 0] - lo[0]) * (w / (hi[0] - lo[0]))
            bar.set_fill(self.color_ if v >= 0 else interpolate_color(self.color_, BG, 0.45))
        return self

    def target_for(self, values) -> MiniBars:
        """A copy showing new values in the same place (for Transform)."""
        return self.copy().set_values(values)

    def values_shown(self) -> np.ndarray:
        """The values the bars draw (signed length over half_width times scale), for tests."""
        k = self.axis.get_length() / self.axis_length
        x0 = self.axis.get_center()[0]
        out = []
        for bar in self.bars:
            lo, hi = bar.points.min(axis=0), bar.points.max(axis=0)
            sign = -1.0 if hi[0] <= x0 + 1e-9 and lo[0] < x0 - 1e-9 else 1.0
            out.append(sign * (hi[0] - lo[0]) / k / self.half_width * self.scale_)
        return np.array(out)


class ChartRow(VGroup):
    """MiniBars side by side, centred at (x, y) for each x, one scale (the largest value fills half_width), the
    chart `height` tall whatever the vector's length."""

    def __init__(self, vectors, xs, y: float, scale: float, half_width: float, height: float, color):
        super().__init__(*[MiniBars(v, scale, half_width, height / len(v), color).move_to(np.array([x, y, 0]))
                           for v, x in zip(vectors, xs)])

    def scaled(self, vectors) -> VGroup:
        """Copies showing other vectors in the same places (e.g. the values times their weights), for Transform."""
        return VGroup(*[c.target_for(v) for c, v in zip(self, vectors)])

    def ghost(self, opacity: float = 0.35) -> VGroup:
        """A faint copy: what the charts showed, left behind when they change."""
        return self.copy().set_opacity(opacity)

    def feet(self, buff: float = 0.05) -> list:
        """The point under each chart (where lines gathering them start)."""
        return [c.get_bottom() + DOWN * buff for c in self]
