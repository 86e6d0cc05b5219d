"""DepthScene: why deep stacks train — the residual stream is a direct path for activations and gradients."""

from __future__ import annotations

import math

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Axes,
    Create,
    DashedLine,
    DecimalNumber,
    Dot,
    Flash,
    GrowFromEdge,
    LaggedStart,
    Line,
    Rectangle,
    Text,
    VGroup,
    VMobject,
)

from blockmath.trace import NEAR_ZERO
from common import (
    BODY_SIZE,
    DELTA_COLOR,
    FONT,
    GAP,
    H_COLOR,
    INK,
    MUTED,
    NUMBER_SIZE,
    POS,
    SAFE_W,
    SMALL_SIZE,
    ZERO,
    FadeIn,
    FadeOut,
    Number,
    TraceScene,
    fit,
    number,
    text,
    title,
)

# ---------------------------------------------------------------- layout constants (scene units)
PLOT_W = 7.4  # x length of the plot axes
PLOT_H = 3.7  # y length of the plot axes
PANEL_W = 4.7  # width of the legend / readout panel right of the plot
BAR_MAX = 5.0  # bar length for the largest relative change
BAR_H = 0.3  # thickness of one bar
ROW_PITCH = 1.05  # vertical distance between the variants' pairs of bars
COLORS = (H_COLOR, POS, DELTA_COLOR)  # residual + pre-norm, residual + post-norm, no residual (trace.depth order)
FORMULAS = {("pre", True): "x → x + f(LN(x))", ("post", True): "x → LN(x + f(x))",  # one block per (norm, skip)
            ("pre", False): "x → f(LN(x))", ("post", False): "x → LN(f(x))"}  # f: a branch (attention, then FFN)
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(e: int) -> str:
    """Tick label for 10**e: "1", "10", "10⁻⁶"."""
    return {0: "1", 1: "10"}.get(e, "10" + str(e).translate(SUPERSCRIPT))


class SciNumber(Number):
    """A Number that switches to "m × 10ᵉ" outside [0.01, 100); no LaTeX, glyphs from Pango.

    _get_num_string stays float-parseable ("1.27e-06"), so common.shown() still returns the value drawn.
    (Candidate for common.py: gradient norms span many decades.)
    """

    def _get_num_string(self, number) -> str:
        v = abs(float(number))
        if v == 0 or 0.01 <= v < 100:
            return super()._get_num_string(number)
        e = math.floor(math.log10(v))
        m = float(number) / 10**e
        if round(abs(m), self.num_decimal_places) >= 10:  # 9.996e-07 rounds to 10.00: carry into the exponent
            m, e = m / 10, e + 1
        return f"{m:.{self.num_decimal_places}f}e{e}"

    set_value = DecimalNumber.set_value  # its own layout below, not Number's one-path fast update

    def _set_submobjects_from_number(self, number) -> None:
        s = self._get_num_string(number)
        if "e" not in s:
            return super()._set_submobjects_from_number(number)
        self.number = number
        self.submobjects = []
        mantissa, exponent = s.split("e")
        gap = self._font_size / 200  # scene units between "m", "×" and "10"
        digits = VGroup(*map(self._string_to_mob, mantissa))
        ten = VGroup(*map(self._string_to_mob, "10"))
        for g in (digits, ten):
            g.arrange(RIGHT, buff=self.digit_buff_per_font_unit * self._font_size, aligned_edge=DOWN)
        times = self._string_to_mob("×")
        body = VGroup(*digits, times, *ten)
        VGroup(digits, times, ten).arrange(RIGHT, buff=gap, aligned_edge=DOWN)
        times.set_y(ten.get_bottom()[1] + 0.42 * ten.height)
        sup = Text(exponent.replace("-", "−"), font=FONT, font_size=self._font_size * 0.62)
        sup.set_fill(self.get_fill_color(), opacity=self.fill_opacity).set_stroke(width=0)
        sup.next_to(body, RIGHT, buff=0.03).align_to(body[-1], UP).shift(UP * 0.35 * sup.height)
        self.add(*body, *sup)
        self.move_to(np.zeros(3))
        self.initial_height = self.height


def sci(value: float, places: int = 2, size: float = NUMBER_SIZE, color=INK) -> SciNumber:
    """A number readable over many decades (plain in [0.01, 100), else mantissa × 10^exponent)."""
    return SciNumber(value, num_decimal_places=places, font_size=size, color=color, include_sign=False)


class DepthScene(TraceScene):
    def construct(self):
        self.intro()
        self.activations()
        self.gradients()
        self.near_zero()
        self.takeaway()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        L = self.trace.config.depth
        self.curves = self.trace.depth
        self.plotted = {c.label: (list(map(float, c.act_norm)), list(map(float, c.grad_norm))) for c in self.curves}
        self.header = title("Depth: why residual stacks train",
                            f"{L} blocks, same input, same weights; the core measures every layer")
        self.legend = VGroup(*[self.legend_row(c.label, col) for c, col in zip(self.curves, COLORS)])
        self.legend.arrange(DOWN, aligned_edge=LEFT, buff=0.35)
        formulas = VGroup(*[text(FORMULAS[c.norm, c.skip], BODY_SIZE, MUTED, mono=True) for c in self.curves])
        for f, row in zip(formulas, self.legend):
            f.next_to(row, RIGHT, buff=0.6).align_to(self.legend.get_left() + RIGHT * 6.0, LEFT)
        self.formulas = formulas
        VGroup(self.legend, formulas).move_to(np.zeros(3))
        self.play(FadeIn(self.header))
        self.play(LaggedStart(*[FadeIn(VGroup(r, f), shift=RIGHT * 0.3) for r, f in zip(self.legend, formulas)],
                              lag_ratio=0.3))
        self.swap_caption("Three ways to stack blocks (f: a branch, attention or FFN; LN: LayerNorm).")
        self.wait(1.5)
        self.swap_caption("Only the stacks with “x + …” keep a direct path for x: the residual stream.", H_COLOR)
        self.wait(1.5)

    def activations(self):
        self.beat("activations")
        L = self.trace.config.depth
        top = max(max(c.act_norm) for c in self.curves)
        ymax = math.ceil(top)
        step = 1 if ymax <= 6 else math.ceil(ymax / 5)
        ticks = {float(v): f"{v:g}" for v in range(0, ymax + 1, step)}
        self.act_plot = self.plot_frame([0, ymax], ticks, "size of each layer's input  ‖x‖  (mean over tokens)",
                                        last_x=L, x_note=f"{L} = output")
        self.act_lines = VGroup(*[self.curve(self.act_plot.c2p, c.act_norm, col) for c, col in zip(self.curves, COLORS)])
        panel_target = self.legend.copy().scale(SMALL_SIZE / BODY_SIZE)
        panel_target.next_to(self.act_plot, RIGHT, buff=GAP).align_to(self.act_plot, UP).shift(DOWN * 0.5)
        self.play(FadeOut(self.formulas), run_time=0.5)
        self.play(self.legend.animate.become(panel_target), run_time=0.8)
        self.play(FadeIn(self.act_plot), run_time=0.7)
        self.swap_caption("Forward: the size of x entering each layer (layer 0 first).")
        self.play(LaggedStart(*[Create(line) for line in self.act_lines], lag_ratio=0.4, run_time=2.5))
        self.swap_caption("Without the residual, x shrinks at the first block; with it, x keeps its scale.")
        self.wait(2.0)

    def gradients(self):
        self.beat("gradients")
        L = self.trace.config.depth
        logs = [np.log10(c.grad_norm) for c in self.curves]
        lo = math.floor(min(v.min() for v in logs))
        hi = max(math.ceil(max(v.max() for v in logs)), 1)
        step = 1 if hi - lo <= 6 else 2
        ticks = {float(e): power_of_ten(e) for e in sorted({*range(0, hi + 1, step), *range(0, lo - 1, -step)})}
        self.grad_plot = self.plot_frame([lo, hi], ticks, "gradient reaching each layer  ‖∂loss/∂x‖  (log scale)",
                                         last_x=L - 1, x_note="")
        self.grad_plot.move_to(self.act_plot, aligned_edge=UP)
        # drawn from the top layer down to layer 0, the way backprop goes
        self.grad_lines = VGroup(*[self.curve(self.grad_plot.c2p, v, col, reverse=True) for v, col in zip(logs, COLORS)])
        self.play(FadeOut(self.act_lines), FadeOut(self.act_plot), FadeIn(self.grad_plot))
        self.swap_caption(f"Backward: the gradient flows from the loss (layer {L - 1}) down to layer 0.")
        self.play(LaggedStart(*[Create(line) for line in self.grad_lines], lag_ratio=0.4, run_time=3.0))
        # readouts: gradient at the top layer and at layer 0, under each legend entry
        self.grad_at_top, self.grad_at_layer0, readouts = [], [], VGroup()
        for c, row, col in zip(self.curves, self.legend, COLORS):
            n_top, n_0 = sci(c.grad_norm[-1], 2, SMALL_SIZE), sci(c.grad_norm[0], 2, SMALL_SIZE, col)
            r = VGroup(text(f"layer {L - 1}:", SMALL_SIZE * 0.85, MUTED), n_top, text("→  layer 0:", SMALL_SIZE * 0.85, MUTED), n_0)
            r.arrange(RIGHT, buff=0.12)
            self.grad_at_top.append(n_top)
            self.grad_at_layer0.append(n_0)
            readouts.add(r)
        self.readouts = readouts
        # make room: one readout line under each legend entry, the whole panel inside the safe area
        target = self.legend.copy()
        for i, row in enumerate(target):
            row.shift(DOWN * 0.45 * i)
            readouts[i].next_to(row, DOWN, aligned_edge=LEFT, buff=0.12).shift(RIGHT * 0.45)
        overflow = max(0.0, VGroup(target, readouts).get_right()[0] - SAFE_W / 2)
        VGroup(target, readouts).shift(LEFT * overflow)
        self.play(self.legend.animate.become(target))
        dots = VGroup(*[Dot(self.grad_plot.c2p(0, v[0]), radius=0.07, color=col) for v, col in zip(logs, COLORS)])
        self.play(FadeIn(readouts), FadeIn(dots))
        self.play(Flash(dots[2], color=DELTA_COLOR, line_length=0.25, flash_radius=0.2))
        self.swap_caption("Without the residual the gradient collapses on its way to layer 0: early layers can't learn.",
                          DELTA_COLOR)
        self.wait(2.0)
        self.swap_caption("With the residual, every layer gets a gradient about as large as the top one.", H_COLOR)
        self.wait(2.0)
        self.grad_dots = dots

    def near_zero(self):
        self.beat("near-zero")
        L = self.trace.config.depth
        self.play(FadeOut(VGroup(self.grad_plot, self.grad_lines, self.grad_dots, self.readouts, self.legend)))
        near, gpt2 = self.trace.depth_near_zero, self.curves
        vmax = max(max(c.rel_change for c in near), max(c.rel_change for c in gpt2), 1.0)
        head = text(f"how much the whole {L}-block stack changes its input:  ‖out − x‖ / ‖x‖", SMALL_SIZE, INK)
        key = VGroup(
            VGroup(Rectangle(width=0.4, height=BAR_H, stroke_width=0, fill_color=MUTED, fill_opacity=0.45),
                   text(f"GPT-2 start (branches × 1/√{2 * L})", SMALL_SIZE * 0.85, MUTED)).arrange(RIGHT, buff=0.12),
            VGroup(Rectangle(width=0.4, height=BAR_H, stroke_width=0, fill_color=INK, fill_opacity=0.95),
                   text(f"near-zero start (branches × {NEAR_ZERO:g})", SMALL_SIZE * 0.85, INK)).arrange(RIGHT, buff=0.12),
        ).arrange(RIGHT, buff=0.6)
        rows, self.rel_change_numbers, self.rel_change_gpt2_numbers = VGroup(), [], []
        for i, (g, n, col) in enumerate(zip(gpt2, near, COLORS)):  # bars start at x = 0; one row per variant
            y = -i * ROW_PITCH
            bar_g = self.bar(g.rel_change, vmax, col, 0.4).move_to([0, y + (BAR_H + 0.06) / 2, 0], aligned_edge=LEFT)
            bar_n = self.bar(n.rel_change, vmax, col, 0.95).move_to([0, y - (BAR_H + 0.06) / 2, 0], aligned_edge=LEFT)
            num_g, num_n = number(g.rel_change, 2, SMALL_SIZE, MUTED), number(n.rel_change, 2, SMALL_SIZE, col)
            num_g.move_to([BAR_MAX + 0.3, bar_g.get_y(), 0], aligned_edge=LEFT)
            num_n.move_to([BAR_MAX + 0.3, bar_n.get_y(), 0], aligned_edge=LEFT)
            self.rel_change_gpt2_numbers.append(num_g)
            self.rel_change_numbers.append(num_n)
            label = VGroup(fit(text(n.label, SMALL_SIZE, col), width=3.6))
            if n.norm == "post" and n.skip:  # why its bar stays long: out = LN(x + f(x)) renormalizes x
                label.add(text("(a LayerNorm sits on its path)", SMALL_SIZE * 0.85, MUTED))
            label.arrange(DOWN, aligned_edge=RIGHT, buff=0.08).move_to([-0.3, y, 0], aligned_edge=RIGHT)
            rows.add(VGroup(label, VGroup(bar_g, bar_n), num_g, num_n))
        one = DashedLine(rows.get_top() + UP * 0.15, rows.get_bottom() + DOWN * 0.15, color=MUTED, stroke_width=2)
        one.set_x(BAR_MAX / vmax)
        one_label = text("1 = as large as x itself", SMALL_SIZE * 0.8, MUTED).next_to(one, DOWN, buff=0.08)
        chart = VGroup(head, key, VGroup(rows, one, one_label)).arrange(DOWN, buff=0.35)
        fit(chart, width=SAFE_W).next_to(self.header, DOWN, buff=0.45)
        self.rel_chart = chart
        self.play(FadeIn(head), FadeIn(key), FadeIn(VGroup(*[r[0] for r in rows])), FadeIn(one), FadeIn(one_label))
        self.swap_caption("With GPT-2's start, every stack moves its input a lot by the end.")
        self.play(LaggedStart(*[GrowFromEdge(r[1][0], LEFT) for r in rows], lag_ratio=0.2),
                  FadeIn(VGroup(*[r[2] for r in rows])))
        self.wait(1.0)
        self.swap_caption(f"Now start every branch near zero (× {NEAR_ZERO:g}):")
        self.play(LaggedStart(*[GrowFromEdge(r[1][1], LEFT) for r in rows], lag_ratio=0.2),
                  FadeIn(VGroup(*[r[3] for r in rows])))
        self.play(Flash(rows[0][3], color=H_COLOR, line_length=0.2, flash_radius=0.35))
        self.swap_caption("residual + pre-norm: output ≈ input.  no residual: everything still changes.", H_COLOR)
        self.wait(2.0)
        self.swap_caption("Layers can start near zero: the stack begins as a shallow model and grows into depth.",
                          H_COLOR)
        self.wait(2.0)

    def takeaway(self):
        self.beat("takeaway")
        self.swap_caption("The residual stream is a direct path: gradients reach every layer, so deep stacks train.",
                          H_COLOR)
        self.wait(2.5)

    # ---------------------------------------------------------------- helpers

    def legend_row(self, label: str, color) -> VGroup:
        swatch = Line(LEFT * 0.3, RIGHT * 0.3, color=color, stroke_width=8)
        return VGroup(swatch, text(label, BODY_SIZE, color)).arrange(RIGHT, buff=0.2)

    def plot_frame(self, y_range, ticks: dict[float, str], y_label: str, last_x: int, x_note: str) -> VGroup:
        """Axes (no numbers: Text tick labels), faint grid lines at the labelled y ticks, axis titles."""
        lo, hi = y_range  # the axes run 0 .. hi - lo so that the x axis sits at the bottom (y = lo), not at y = 0
        axes = Axes(x_range=[0, last_x, 12], y_range=[0, hi - lo, 1], x_length=PLOT_W, y_length=PLOT_H,
                    tips=False, axis_config={"include_numbers": False, "color": MUTED, "stroke_width": 2})

        def c2p(x: float, y: float):
            return axes.c2p(x, y - lo)

        grid = VGroup(*[Line(c2p(0, y), c2p(last_x, y), color=ZERO, stroke_width=1.5) for y in ticks if y != lo])
        ylabels = VGroup(*[text(s, SMALL_SIZE, MUTED).next_to(c2p(0, y), LEFT, buff=0.15) for y, s in ticks.items()])
        xs = list(range(0, last_x + 1, 12)) + ([last_x] if last_x % 12 else [])
        xlabels = VGroup(*[text(str(x), SMALL_SIZE, MUTED).next_to(c2p(x, lo), DOWN, buff=0.15) for x in xs])
        if last_x % 12 and len(xs) > 1 and xlabels[-1].get_left()[0] < xlabels[-2].get_right()[0] + 0.15:
            xlabels.remove(xlabels[-2])
        x_title = text("layer" + (f"   ({x_note})" if x_note else ""), SMALL_SIZE, MUTED)
        x_title.next_to(xlabels, DOWN, buff=0.1).align_to(axes, RIGHT)
        y_title = text(y_label, SMALL_SIZE, INK).next_to(axes, UP, buff=0.25).align_to(ylabels, LEFT)
        g = VGroup(grid, axes, ylabels, xlabels, x_title, y_title)
        g.axes, g.c2p = axes, c2p
        g.next_to(self.header, DOWN, buff=0.35).to_edge(LEFT, buff=0.45)
        return g

    @staticmethod
    def curve(c2p, ys, color, reverse: bool = False) -> VMobject:
        pts = [c2p(i, float(y)) for i, y in enumerate(ys)]
        if reverse:
            pts = pts[::-1]
        return VMobject(color=color, stroke_width=3.5).set_points_as_corners(pts)

    @staticmethod
    def bar(value: float, vmax: float, color, opacity: float) -> Rectangle:
        return Rectangle(width=max(value / vmax * BAR_MAX, 0.02), height=BAR_H, stroke_width=0, fill_color=color,
                         fill_opacity=opacity)

