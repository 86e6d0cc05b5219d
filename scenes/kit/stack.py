"""A residual add drawn literally: a vector as its base plus a step stacked onto each bar's tip.

`StackedBars` shows `result = base + step`, one row per dimension (a window of them if many): the base's bar
(e.g. h, in STREAM), the step as a thinner segment that starts at the base's tip (e.g. λΔ, in MLP) — it runs back
into the base's bar where the step opposes the base, so cancellation is visible — a tick at the sum (RESULT) with
the sum's value on the right, and a dashed ghost of the base behind it all (it stays when the base part is removed,
so "replace" reads as a loss). The widget never computes a value: the caller passes what the trace holds (the base
part it shows, and the sum), and the step's segment is drawn between them.

    bars = StackedBars(s.h, scale, rows=window(d, slots))
    bars.set_state(s.h, s.out[i])                     # h + λΔ at grid index i
    self.play(bars.sweep(s.out[i0:i1 + 1]))           # λ moving along the trace's grid
    self.play(bars.morph(np.zeros(d), s.delta))       # replace: h's part leaves, h′ = Δ
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, UP, DashedVMobject, Line, Rectangle, UpdateFromAlphaFunc, VGroup

from kit.matrices import Window, number_box, shown_indices
from kit.style import MLP, MUTED, NOTE_SIZE, NUMBER_SIZE, RESULT, STREAM
from kit.text import number, shown, text

BASE_H, STEP_H, TICK_H, GHOST_H = 0.72, 0.36, 0.9, 0.86  # heights as shares of a row
MIN_W = 1e-3  # a zero-length bar keeps this width (scene units) so it still has a shape


class StackedBars(VGroup):
    """result = base + step per dimension, stacked on a shared zero axis; values of the result on the right.

    base: the base vector at the start (its ghost stays where it is drawn now); scale: the value whose bar is
    bar_max long (use one scale for every panel that should compare lengths). rows: the dimensions shown (a window
    with a gap, see kit.matrices.window). numbers=False draws bars only (a small visual). ghost=False and tick=False
    leave out the dashed ghost and the tick at the sum: a plain chart of one vector (e.g. h or Δ beside the stack,
    drawn at the stack's scale: equal `unit()`s make equal values equally long in every panel). span=(left, right):
    how far the bars may reach left and right of the axis (scene units; default bar_max both ways): the widget's
    extent and its number column follow it, so a chart of mostly positive values does not keep an empty left half.
    """

    def __init__(self, base, scale: float, *, base_color=STREAM, step_color=MLP, result_color=RESULT,
                 bar_max: float = 1.4, row_h: float = 0.36, rows: Window = None, places: int = 2,
                 numbers: bool = True, number_size: float = NUMBER_SIZE, ghost: bool = True, tick: bool = True,
                 span: tuple[float, float] | None = None, **kwargs):
        super().__init__(**kwargs)
        base = np.asarray(base, dtype=float)
        self.scale_, self.bar_max, self.row_h = float(scale), bar_max, row_h
        self.span = (bar_max, bar_max) if span is None else (float(span[0]), float(span[1]))
        reach_left, reach_right = self.span
        self.row_window = list(range(len(base))) if rows is None else list(rows)
        self.dims = shown_indices(self.row_window)
        n = len(self.row_window)
        self.axis = Line(UP * row_h * n / 2, DOWN * row_h * n / 2, color=MUTED, stroke_width=2)
        self.axis_length = self.axis.get_length()
        self.ghosts, self.bases, self.steps, self.ticks = VGroup(), VGroup(), VGroup(), VGroup()
        self.numbers, self.gaps = VGroup(), VGroup()
        self.number_w = number_box(places, number_size)[0] if numbers else 0.0
        for i, d in enumerate(self.row_window):
            y = (n / 2 - i - 0.5) * row_h
            if d is None:
                if numbers:
                    self.gaps.add(text("⋮", NOTE_SIZE, MUTED).move_to([reach_right + 0.2 + self.number_w / 2, y, 0]))
                else:  # beside the axis, not on it (a gap row has no bars)
                    self.gaps.add(text("⋮", NOTE_SIZE, MUTED).move_to([0.2, y, 0]))
                continue
            w = self._length(base[d])
            outline = Rectangle(width=max(w, MIN_W), height=row_h * GHOST_H, stroke_width=1.5,
                                stroke_color=base_color, fill_opacity=0)
            outline.move_to([np.sign(base[d]) * w / 2, y, 0])
            self.ghosts.add(DashedVMobject(outline, num_dashes=max(4, int(2 * (w + row_h) / 0.12)), dashed_ratio=0.55))
            for group, h, color, opacity in ((self.bases, BASE_H, base_color, 0.85),
                                             (self.steps, STEP_H, step_color, 0.95)):
                group.add(Rectangle(width=MIN_W, height=row_h * h, stroke_width=0, fill_color=color,
                                    fill_opacity=opacity).move_to([0, y, 0]))
            self.ticks.add(Line([0, y - row_h * TICK_H / 2, 0], [0, y + row_h * TICK_H / 2, 0], color=result_color,
                                stroke_width=3))
            if numbers:
                self.numbers.add(number(base[d], places, size=number_size, color=result_color))
        n_right = reach_right + (0.2 + self.number_w if numbers else 0.0)
        self.extent = Rectangle(width=reach_left + n_right, height=row_h * n, stroke_width=0, fill_opacity=0)
        self.extent.move_to([(n_right - reach_left) / 2, 0, 0])  # invisible: the widget's full reach, for layout
        drawn = (self.ghosts if ghost else None, self.axis, self.bases, self.steps, self.ticks if tick else None)
        self.add(self.extent, *[m for m in drawn if m is not None], self.numbers, self.gaps)
        self.base_shown = base.copy()  # the base part drawn now (all dimensions)
        self.result_shown = base.copy()  # the sum drawn now
        self.set_state(base, base)

    # ---------------------------------------------------------------- geometry

    def _length(self, v: float) -> float:
        return abs(v) / self.scale_ * self.bar_max if self.scale_ > 0 else 0.0

    def unit(self) -> float:
        """Scene units of bar length per unit of value, as drawn now (panels with equal units compare lengths)."""
        return self.bar_max / self.scale_ * self._frame()[1] if self.scale_ > 0 else 0.0

    def _frame(self) -> tuple[float, float]:
        """The axis's x and how much the widget was scaled since it was built."""
        return float(self.axis.get_center()[0]), self.axis.get_length() / self.axis_length

    @staticmethod
    def _span(rect, a: float, b: float) -> None:
        """Stretch rect horizontally to run from x = a to x = b (either order), keeping its height and y."""
        lo, hi = rect.points[:, 0].min(), rect.points[:, 0].max()
        left, right = min(a, b), max(a, b)
        if right - left < MIN_W:
            mid = (left + right) / 2
            left, right = mid - MIN_W / 2, mid + MIN_W / 2
        rect.points[:, 0] = left + (rect.points[:, 0] - lo) * ((right - left) / (hi - lo))

    def _draw(self, base, result) -> None:
        """Bars, segments and ticks for a base part and a sum (all dimensions; the shown ones are drawn)."""
        x0, k = self._frame()
        unit = self.bar_max / self.scale_ * k if self.scale_ > 0 else 0.0
        for j, d in enumerate(self.dims):
            b, r = x0 + base[d] * unit, x0 + result[d] * unit
            self._span(self.bases[j], x0, b)
            self._span(self.steps[j], b, r)
            self.ticks[j].points[:, 0] = r

    def _draw_numbers(self, result) -> None:
        """The sums' values, right-aligned (decimal points line up) in the column right of the bars."""
        x0, k = self._frame()
        for j, d in enumerate(self.dims[:len(self.numbers)]):
            y = float(self.bases[j].points[:, 1].mean())
            num = self.numbers[j].set_value(float(result[d]))
            num.place(np.array([x0 + (self.span[1] + 0.2 + self.number_w) * k - num.width / 2, y, 0]))

    # ---------------------------------------------------------------- state

    def set_state(self, base, result) -> StackedBars:
        """Draw `base` as the base part and `result` (= base + step, from the trace) as the sum."""
        self.base_shown = np.asarray(base, dtype=float).copy()
        self.result_shown = np.asarray(result, dtype=float).copy()
        self._draw(self.base_shown, self.result_shown)
        self._draw_numbers(self.result_shown)
        return self

    def values_shown(self) -> list[float]:
        """The sums on screen, for the shown dimensions (compare with result[dims], rounded as drawn)."""
        return [shown(n) for n in self.numbers]

    def step_directions(self) -> dict[int, int]:
        """For each shown dimension, +1 where the step's segment points away from zero along the base, -1 where it
        runs back into the base's bar (cancellation), 0 where there is no step or no base (as drawn now)."""
        out = {}
        for d in self.dims:
            b, step = self.base_shown[d], self.result_shown[d] - self.base_shown[d]
            out[d] = int(np.sign(b) * np.sign(step))
        return out

    # ---------------------------------------------------------------- animations

    def sweep(self, results, base=None) -> UpdateFromAlphaFunc:
        """Step through precomputed sums (rows of the trace, e.g. h + λΔ along its λ grid), the base held."""
        results = np.asarray(results, dtype=float)
        base = self.base_shown if base is None else np.asarray(base, dtype=float)

        def step(mob, alpha):
            mob.set_state(base, results[min(int(round(alpha * (len(results) - 1))), len(results) - 1)])

        return UpdateFromAlphaFunc(self, step)

    def morph(self, base, result) -> UpdateFromAlphaFunc:
        """Slide the bars to a new base part and sum (e.g. the base removed: result = the step alone). The bars move
        smoothly; the numbers switch to the new sums halfway (no value between the two is ever shown)."""
        b0, r0 = self.base_shown.copy(), self.result_shown.copy()
        b1, r1 = np.asarray(base, dtype=float), np.asarray(result, dtype=float)

        def step(mob, alpha):
            if alpha >= 1.0:
                mob.set_state(b1, r1)
                return
            mob._draw(b0 + (b1 - b0) * alpha, r0 + (r1 - r0) * alpha)  # positions only: no number is made up
            mob._draw_numbers(r1 if alpha >= 0.5 else r0)

        return UpdateFromAlphaFunc(self, step)

    def cross_out(self) -> VGroup:
        """An X over the drawn bars (not over the numbers or a heading, never past the panel): this state is gone."""
        x0, k = self._frame()
        left = min([x0] + [b.get_left()[0] for b in self.bases])
        right = max([x0] + [b.get_right()[0] for b in self.bases])
        mid, half = (left + right) / 2, max((right - left) / 2 + 0.12, 0.3)
        left, right = max(mid - half, self.extent.get_left()[0]), min(mid + half, x0 + (self.span[1] + 0.1) * k)
        lo, hi = self.axis.get_bottom()[1], self.axis.get_top()[1]
        return VGroup(Line([left, lo, 0], [right, hi, 0], color=MLP, stroke_width=5),
                      Line([left, hi, 0], [right, lo, 0], color=MLP, stroke_width=5))


def ghost_swatch(color=STREAM, width: float = 0.3, height: float = 0.16) -> DashedVMobject:
    """A small dashed outline like a StackedBars ghost, to key "dashed: the base" in a legend."""
    box = Rectangle(width=width, height=height, stroke_width=1.5, stroke_color=color, fill_opacity=0)
    return DashedVMobject(box, num_dashes=max(4, int(2 * (width + height) / 0.12)), dashed_ratio=0.55)


def legend_swatch(color, width: float = 0.3, height: float = 0.16, opacity: float = 0.9) -> Rectangle:
    """A small filled rectangle in a component's colour, to key a legend entry to the bars."""
    return Rectangle(width=width, height=height, stroke_width=0, fill_color=color, fill_opacity=opacity)

