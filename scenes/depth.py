"""DepthScene: why deep stacks train — the residual stream is a direct path, so gradients reach every layer and
layers can start near zero; and why post-norm stacks need learning-rate warm-up (Xiong et al. 2020)."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, DashedLine, Dot, GrowFromEdge, LaggedStart, Line, Rectangle, VGroup

from blockmath.trace import NEAR_ZERO
from kit.base import TraceScene
from kit.fast import FadeIn, FadeOut
from kit.layout import Box, content_band
from kit.names import names
from kit.plots import LogPlot
from kit.style import BG, BODY_SIZE, INK, MUTED, NO_RESIDUAL, POST_NORM, SMALL_SIZE, STREAM, frame
from kit.text import scientific, text
from kit.widgets import title

COLORS = {("pre", True): STREAM, ("post", True): POST_NORM, ("pre", False): NO_RESIDUAL}  # one colour per stack
PLAIN_STEPS = ("h = Attn(LN₁(x))", "out = MLP(LN₂(h))")  # a pre-norm block without its residual path
SHORT = {("pre", True): "pre-norm", ("post", True): "post-norm", ("pre", False): "no residual"}  # names in tables
TABLE_PITCH = 0.4  # between the rows of the readout table
FAINT = 0.4  # opacity of the bars for branches at full size
Y_TITLE = "‖∂loss/∂W‖ per layer (log scale)"  # W: all six weight matrices of the layer


def color(c) -> str:
    return COLORS[c.norm, c.skip]


def factor(r: float) -> str:
    """A ratio as drawn in a caption: "3.4", "27", "2.3 × 10⁴"."""
    return f"{r:.1f}" if r < 10 else f"{r:.0f}" if r < 1000 else scientific(r, 1)


class DepthScene(TraceScene):
    def construct(self):
        self.intro()
        self.direct_path()
        self.pre_vs_post()
        self.near_zero()
        self.takeaway()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        self.pre, self.post, self.plain = self.trace.depth
        self.L = self.trace.config.depth
        self.header = title("Why deep stacks train")
        steps = {c.label: (names(c.norm).attn_step, names(c.norm).mlp_step) if c.skip else PLAIN_STEPS
                 for c in self.trace.depth}
        widest = max(text("   ".join(v), SMALL_SIZE, mono=True).width for v in steps.values())
        one_line = widest < frame().safe_width - 1  # each stack's two steps side by side, or one under the other
        cards = VGroup(*[self.stack_card(c, steps[c.label], one_line) for c in self.trace.depth])
        cards.arrange(DOWN, buff=0.45, aligned_edge=LEFT)
        self.cards = cards.move_to(content_band(self.header).center)
        self.play(FadeIn(self.header))
        self.play(LaggedStart(*[FadeIn(c, shift=RIGHT * 0.3) for c in cards], lag_ratio=0.3))
        self.swap_caption(f"Three stacks of {self.L} blocks: same input, same weights, before any training.")
        self.wait(1.5)
        self.swap_caption("Only the stacks with “x + …” keep a direct path for x: the residual stream.", STREAM)
        self.wait(1.5)

    def direct_path(self):
        self.beat("direct-path")
        band = content_band(self.header)
        self.table = self.readout_table()
        plot_box = place_table(self.table, band)
        values = np.concatenate([c.weight_grad_norm for c in self.trace.depth])
        self.plot = LogPlot(plot_box, self.L, values.min(), values.max(), Y_TITLE)
        self.curves = {c.label: self.plot.curve(c.weight_grad_norm, color(c), downward=True) for c in self.trace.depth}
        self.play(FadeOut(self.cards), run_time=0.5)
        self.play(FadeIn(self.plot), FadeIn(self.table.header))
        self.swap_caption(f"Backprop at the start: how strongly the loss pushes each layer's weights W, layer "
                          f"{self.L - 1} down to 0.")
        for c in (self.plain, self.pre):
            self.play(Create(self.curves[c.label]), FadeIn(self.table.rows[c.label]), run_time=2.0)
        k = self.plain.weakest_layer
        self.weakest = Dot(self.plot.point(k, self.plain.weight_grad_norm[k]), radius=0.08, color=NO_RESIDUAL)
        self.swap_caption(plain_words(self.plain, self.L), NO_RESIDUAL, FadeIn(self.weakest, scale=2.0))
        self.wait(2.0)
        self.swap_caption(pre_words(self.pre, self.L), STREAM)
        self.wait(2.0)

    def pre_vs_post(self):
        self.beat("pre-vs-post")
        post_name = names("post")
        self.play(self.curves[self.plain.label].animate.set_stroke(opacity=0.3), FadeOut(self.weakest),
                  self.table.rows[self.plain.label].animate.set_opacity(0.4))
        self.swap_caption(f"Post-norm, same weights: a LayerNorm on the stream after every add, "
                          f"{post_name.attn_step}.", POST_NORM)
        self.play(Create(self.curves[self.post.label]), FadeIn(self.table.rows[self.post.label]), run_time=2.0)
        self.swap_caption(post_words(self.post, self.L), POST_NORM)
        self.wait(2.0)
        self.tops = VGroup(*[Dot(self.plot.point(self.L - 1, c.weight_grad_norm[-1]), radius=0.08, color=color(c))
                             for c in (self.pre, self.post)])  # the two gradients the comparison is about
        for i, line in enumerate(warmup_words(self.trace.depth_post_over_pre, self.L)):
            self.swap_caption(*line, *([FadeIn(self.tops, scale=2.0)] if i == 0 else []))
            self.wait(2.5)

    def near_zero(self):
        self.beat("near-zero")
        self.play(FadeOut(VGroup(self.plot, *self.curves.values(), self.table, self.tops)), run_time=0.6)
        self.chart = self.change_chart(content_band(self.header))
        self.play(FadeIn(self.chart.frame))
        self.swap_caption(f"How far each {self.L}-block stack moves its input, ‖out − x‖ / ‖x‖, with branches at full "
                          f"size.")
        self.play(LaggedStart(*[GrowFromEdge(r.full, LEFT) for r in self.chart.rows], lag_ratio=0.2),
                  *[FadeIn(r.full_label) for r in self.chart.rows])
        self.wait(1.0)
        self.swap_caption(f"Now every branch starts near zero: its output weights × {NEAR_ZERO:g}.")
        self.play(LaggedStart(*[GrowFromEdge(r.near, LEFT) for r in self.chart.rows], lag_ratio=0.2),
                  *[FadeIn(r.near_label) for r in self.chart.rows])
        for line in near_zero_words(self.trace.depth_near_zero):
            self.swap_caption(*line)
            self.wait(2.0)

    def takeaway(self):
        self.beat("takeaway")
        self.swap_caption(takeaway_words(self.pre, self.trace.depth_near_zero[0]), STREAM)
        self.wait(2.5)

    # ---------------------------------------------------------------- widgets

    def stack_card(self, c, steps: tuple[str, str], one_line: bool) -> VGroup:
        """A stack's name (in its colour) and its block's two steps (on one line, or one under the other)."""
        swatch = Line(LEFT * 0.3, RIGHT * 0.3, color=color(c), stroke_width=8)
        name = VGroup(swatch, text(c.label, BODY_SIZE, color(c))).arrange(RIGHT, buff=0.2)
        formula = VGroup(*[text(s, SMALL_SIZE, MUTED, mono=True) for s in steps])
        formula.arrange(RIGHT, buff=0.5) if one_line else formula.arrange(DOWN, buff=0.1, aligned_edge=LEFT)
        formula.next_to(name, DOWN, buff=0.15, aligned_edge=LEFT).shift(RIGHT * 0.8)
        return VGroup(name, formula)

    def readout_table(self) -> VGroup:
        """Per stack: swatch, short name, then ‖∂loss/∂W‖ at layer 0 and at the last layer (the curve's two ends)."""
        heads = VGroup(text("layer 0", SMALL_SIZE, MUTED), text(f"layer {self.L - 1}", SMALL_SIZE, MUTED))
        rows, cells = {}, [[None, *heads]]
        for c in (self.pre, self.plain, self.post):  # post-norm last: its row appears in the second beat
            name = VGroup(Line(LEFT * 0.25, RIGHT * 0.25, color=color(c), stroke_width=6),
                          text(SHORT[c.norm, c.skip], SMALL_SIZE, color(c))).arrange(RIGHT, buff=0.15)
            v0, vt = (text(scientific(v), SMALL_SIZE, INK) for v in (c.weight_grad_norm[0], c.weight_grad_norm[-1]))
            rows[c.label] = VGroup(name, v0, vt)
            cells.append([name, v0, vt])
        widths = [max(row[k].width for row in cells if row[k] is not None) for k in range(3)]
        x = np.cumsum([0.0, widths[0] + 0.4, widths[1] + 0.4])  # each column's left edge
        for i, row in enumerate(cells):
            for k, m in enumerate(row):
                if m is not None:
                    m.move_to([x[k], -i * TABLE_PITCH, 0], aligned_edge=LEFT)
        table = VGroup(heads, *rows.values())
        table.header, table.rows = heads, rows
        return table

    def change_chart(self, box: Box) -> VGroup:
        """Bars of ‖out − x‖ / ‖x‖ per stack: branches at full size (faint) and near zero (solid), a mark at 1."""
        full, near = self.trace.depth, self.trace.depth_near_zero
        vmax = max(1.0, *(c.rel_change for c in (*full, *near)))
        key = VGroup(*[VGroup(Rectangle(width=0.4, height=0.22, stroke_width=0, fill_color=INK, fill_opacity=o),
                              text(s, SMALL_SIZE, MUTED)).arrange(RIGHT, buff=0.12)
                       for o, s in ((FAINT, "branches at full size"), (1.0, f"branches × {NEAR_ZERO:g}"))])
        if key.arrange(RIGHT, buff=0.5).width > box.width:
            key.arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        stacked = not frame().landscape  # names above their bars unless the frame is wide
        rows = VGroup(*[VGroup() for _ in full])
        for row, f, n in zip(rows, full, near):
            row.name = text(SHORT[f.norm, f.skip], SMALL_SIZE, color(f))
            row.full_value, row.near_value = (text(scientific(c.rel_change), SMALL_SIZE, INK) for c in (f, n))
        name_w = 0.0 if stacked else max(r.name.width for r in rows) + 0.3
        name_h = rows[0].name.height + 0.1 if stacked else 0.0
        room = (box.height - key.height - 1.3) / len(rows) - name_h - 0.46  # for a row's two bars
        bar_h = min(0.45, max(0.22, room / 2))
        row_gap = min(1.0, max(0.4, (box.height - key.height - 1.3) / len(rows) - name_h - 2 * bar_h - 0.06))
        value_w = max(max(r.full_value.width, r.near_value.width) for r in rows) + 0.15
        left, bar_max, y = box.left + name_w, box.width - name_w - value_w, 0.0
        for row, f, n in zip(rows, full, near):
            if stacked:
                row.name.move_to([left, y, 0], aligned_edge=UP + LEFT)
                y -= row.name.height + 0.1
            row.full, row.near = (Rectangle(width=max(c.rel_change / vmax * bar_max, 0.02), height=bar_h,
                                            stroke_width=0, fill_color=color(c), fill_opacity=o)
                                  for c, o in ((f, FAINT), (n, 1.0)))
            row.full.move_to([left, y - bar_h / 2, 0], aligned_edge=LEFT)
            row.near.move_to([left, y - 1.5 * bar_h - 0.06, 0], aligned_edge=LEFT)
            if not stacked:
                row.name.move_to([left - 0.3, (row.full.get_y() + row.near.get_y()) / 2, 0], aligned_edge=RIGHT)
            row.full_value.next_to(row.full, RIGHT, buff=0.12)
            row.near_value.next_to(row.near, RIGHT, buff=0.12)
            row.name_label, row.full_label, row.near_label = (VGroup(backing(m), m) for m in
                                                              (row.name, row.full_value, row.near_value))
            row.add(row.full, row.near, row.name_label, row.full_label, row.near_label)
            y -= 2 * bar_h + 0.06 + row_gap
        x_one = left + bar_max / vmax
        one = DashedLine([x_one, rows.get_top()[1] + 0.1, 0], [x_one, rows.get_bottom()[1] - 0.1, 0], color=MUTED,
                         stroke_width=2)
        one_label = text("1: moved as far as ‖x‖ itself", SMALL_SIZE, MUTED).next_to(one, DOWN, buff=0.1)
        one_label.shift(RIGHT * max(0.0, box.left - one_label.get_left()[0]))
        one_label.shift(LEFT * max(0.0, one_label.get_right()[0] - box.right))
        key.next_to(rows, UP, buff=0.4).set_x(box.center[0])
        chart = VGroup(key, one, rows, one_label)  # the mark at 1 runs behind the labels' backings
        chart.shift(UP * (box.center[1] - chart.get_center()[1]))
        chart.frame, chart.rows, chart.one = VGroup(key, one, *[r.name_label for r in rows], one_label), rows, one
        return chart


# ---------------------------------------------------------------- what the captions say, decided by the numbers


def backing(m) -> Rectangle:
    """An opaque patch of background behind a label, so a guide line running behind it stops short of the text."""
    return Rectangle(width=m.width + 0.12, height=m.height + 0.1, stroke_width=0, fill_color=BG,
                     fill_opacity=1).move_to(m)


def place_table(table: VGroup, band: Box) -> Box:
    """Put the readout table right of the plot in a wide frame, under it otherwise; the box left for the plot."""
    if frame().landscape:
        table.move_to([band.right - table.width / 2, band.center[1], 0])
        return Box(band.left, band.right - table.width - 0.6, band.bottom, band.top)
    table.move_to([band.center[0], band.bottom + table.height / 2, 0])
    return Box(band.left, band.right, band.bottom + table.height + 0.35, band.top)


def plain_words(c, L: int) -> str:
    k, w = c.weakest_layer, c.weakest_over_top
    if w <= 0.5:
        verb = "collapses" if w <= 0.01 else "shrinks"
        return (f"Without the residual, the gradient {verb}: layer {k}'s is {factor(1 / w)} times smaller than "
                f"layer {L - 1}'s.")
    return f"Without the residual, every layer still gets at least half of layer {L - 1}'s gradient here."


def pre_words(c, L: int) -> str:
    if c.weakest_over_top >= 0.5:
        return f"With the residual, the direct path carries it down: every layer gets at least half of layer {L - 1}'s."
    return f"With the residual, layer 0's gradient is {factor(1 / c.top_over_bottom)} times layer {L - 1}'s."


def post_words(c, L: int) -> str:
    r = c.top_over_bottom
    if c.weight_trend == "grows":
        return f"Post-norm's gradients grow toward the output: layer {L - 1}'s is {factor(r)} times layer 0's."
    if c.weight_trend == "shrinks":
        return f"Post-norm's gradients shrink toward the output: layer 0's is {factor(1 / r)} times layer {L - 1}'s."
    return f"Post-norm: layer {L - 1}'s gradient is within 2× of layer 0's here."


def warmup_words(q: float, L: int) -> list[tuple[str, object]]:
    if q >= 2:
        return [(f"At layer {L - 1}, post-norm's gradient is {factor(q)} times pre-norm's.", POST_NORM),
                ("Large top-layer gradients at the start: why post-norm needs learning-rate warm-up (Xiong et al. "
                 "2020).", POST_NORM),
                ("Pre-norm's top gradients stay smaller: it trains without warm-up, one reason most LLMs use it.",
                 STREAM)]
    return [(f"At layer {L - 1}, post-norm's gradient is within 2× of pre-norm's here; Xiong et al. found it larger.",
             INK)]


def near_zero_words(near) -> list[tuple[str, object]]:
    pre, post, plain = near
    if pre.rel_change < 0.1:
        lines = [("Residual + pre-norm: out ≈ x. The stack starts as (almost) the identity: a shallow model.", STREAM)]
    else:
        lines = [(f"Residual + pre-norm still moves x by {scientific(pre.rel_change)} of its size.", STREAM)]
    if post.rel_change >= 0.1:
        lines.append(("Post-norm still moves x: LayerNorms sit on its stream, so it cannot start as the identity.",
                      POST_NORM))
    if plain.rel_change >= 0.9 and plain.act_norm[-1] < 0.1 * plain.act_norm[0]:
        lines.append(("Without the residual there is no identity to start from: near-zero branches erase x.",
                      NO_RESIDUAL))
    return lines


def takeaway_words(pre, pre_near) -> str:
    parts = (["gradients reach every layer"] if pre.weakest_over_top >= 0.5 else []) + \
        (["layers can start near zero"] if pre_near.rel_change < 0.1 else [])
    if parts:
        return f"The residual stream is a direct path: {', and '.join(parts)}."
    return "The residual stream is a direct path for x: every layer adds to it instead of replacing it."
