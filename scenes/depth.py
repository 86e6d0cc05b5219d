"""DepthScene: why deep stacks train. Three 48-block stacks on the same input and weights: forward, do the tokens stay
apart (without the residual they end up pointing one way, cf. Dong et al. 2021); backward, what reaches each layer's
weights; why post-norm needs learning-rate warm-up (Xiong et al. 2020); and which stack can start near the identity.
Every claim is decided by the trace's numbers."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, DashedLine, Dot, GrowFromEdge, LaggedStart, Line, Rectangle, VGroup

from blockmath.trace import NEAR_ZERO
from kit.base import TraceScene
from kit.depthtext import (gap_text, near_zero_words, nobreak, path_words, plain_gap_words, plain_words,
                            post_gap_words, post_words, pre_gap_words, pre_words, takeaway_points, warmup_words)
from kit.fast import FadeIn, FadeOut
from kit.layout import Box, content_band
from kit.names import names
from kit.plots import LogPlot
from kit.style import BG, BODY_SIZE, INK, MUTED, NO_RESIDUAL, POST_NORM, SMALL_SIZE, STREAM, frame
from kit.text import scientific, text
from kit.widgets import paragraph, title

COLORS = {("pre", True): STREAM, ("post", True): POST_NORM, ("pre", False): NO_RESIDUAL}  # one colour per stack
PLAIN_STEPS = ("h = Attn(LN₁(x))", "out = MLP(LN₂(h))")  # a pre-norm block without its residual path
SHORT = {("pre", True): "pre-norm", ("post", True): "post-norm", ("pre", False): "no residual"}  # names in tables
TABLE_PITCH = 0.4  # between the rows of the readout table
FAINT = 0.4  # opacity of the bars for branches at full size
READ, DRAW = 1.1, 1.2  # seconds a caption stays before the next step (narration holds longer); to draw a curve
GRAD_TITLE = "‖∂loss/∂W‖ per layer (log scale)"  # W: all six weight matrices of the layer
GAP_TITLE = "1 − cos between tokens (mean over pairs, log scale)"


def color(c) -> str:
    return COLORS[c.norm, c.skip]


class DepthScene(TraceScene):
    def swap_caption(self, s: str, *args, **kwargs):
        """The caption with its formulas and numbers kept whole on one line (read aloud as written)."""
        return super().swap_caption(nobreak(s), *args, say=kwargs.pop("say", s), **kwargs)

    def construct(self):
        self.intro()
        self.tokens()
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
        self.wait(READ)
        for line in path_words():
            self.swap_caption(*line)
            self.wait(READ)

    def tokens(self):
        self.beat("tokens")
        if len(self.trace.tokens) < 2:
            self.swap_caption("One token: no pair of tokens to compare, so the check of how alike they get is skipped.")
            self.wait(READ)
            return
        floor = any(c.floored for c in self.trace.depth)
        self.gaps = self.plot_beat(GAP_TITLE, lambda c: c.gap_drawn, [[self.pre], [self.plain], [self.post]],
                                   lambda c: [gap_text(c.token_gap[0]), gap_text(c.token_gap[-1])], floor=floor)
        self.play(FadeOut(self.cards), run_time=0.5)
        self.play(FadeIn(self.gaps.plot), FadeIn(self.gaps.table.header))
        self.swap_caption("Forward first: how different the tokens' vectors are at each layer's input (0: they all "
                          "point one way).")
        for c, words in ((self.plain, plain_gap_words), (self.pre, pre_gap_words), (self.post, post_gap_words)):
            self.play(Create(self.gaps.curves[c.label]), FadeIn(self.gaps.table.rows[c.label]), run_time=DRAW)
            self.swap_caption(words(c, self.L), color(c))
            self.wait(READ)

    def direct_path(self):
        self.beat("direct-path")
        self.grads = self.plot_beat(GRAD_TITLE, lambda c: c.weight_grad_norm, [[self.pre], [self.plain, self.post]],
                                    lambda c: [scientific(c.weight_grad_norm[0]), scientific(c.weight_grad_norm[-1])],
                                    downward=True)
        self.plot, self.curves, self.table = self.grads.plot, self.grads.curves, self.grads.table
        self.play(FadeOut(VGroup(self.gaps.plot, *self.gaps.curves.values(), self.gaps.table)) if hasattr(self, "gaps")
                  else FadeOut(self.cards), run_time=0.6)
        self.play(FadeIn(self.plot), FadeIn(self.table.header))
        self.swap_caption(f"Backward at the start: how strongly the loss pushes each layer's weights W, layer "
                          f"{self.L - 1} down to 0.")
        for c in (self.plain, self.pre):
            self.play(Create(self.curves[c.label]), FadeIn(self.table.rows[c.label]), run_time=DRAW)
        for line in plain_words(self.trace.depth_plain_over_pre, self.plain, self.L):
            self.swap_caption(line, NO_RESIDUAL)
            self.wait(READ)
        self.swap_caption(pre_words(self.pre, self.L), STREAM)
        self.wait(READ)

    def pre_vs_post(self):
        self.beat("pre-vs-post")
        self.play(FadeOut(self.curves[self.plain.label]), FadeOut(self.table.rows[self.plain.label]))
        self.play(Create(self.curves[self.post.label]), FadeIn(self.table.rows[self.post.label]), run_time=DRAW)
        self.swap_caption(f"Post-norm, same weights: {post_words(self.post, self.L)}", POST_NORM)
        self.wait(READ)
        self.tops = VGroup(*[Dot(self.plot.point(self.L - 1, c.weight_grad_norm[-1]), radius=0.08, color=color(c))
                             for c in (self.pre, self.post)])  # the two gradients the comparison is about
        for i, line in enumerate(warmup_words(self.trace.depth_post_over_pre, self.post, self.L)):
            self.swap_caption(*line, *([FadeIn(self.tops, scale=2.0)] if i == 0 else []))
            self.wait(READ + 0.5)

    def near_zero(self):
        self.beat("near-zero")
        self.play(FadeOut(VGroup(self.plot, self.curves[self.pre.label], self.curves[self.post.label],
                                 self.table.header, *[self.table.rows[c.label] for c in (self.pre, self.post)],
                                 self.tops)), run_time=0.6)
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
            self.wait(READ)

    def takeaway(self):
        self.beat("takeaway")
        band = content_band(self.header)
        t = self.trace
        points = takeaway_points(self.pre, self.plain, t.depth_near_zero[0], t.depth_plain_over_pre, self.L)
        head = paragraph("Pre-norm's untouched path x + …, in these numbers:", BODY_SIZE, band.width, STREAM)
        marks = [text("•", BODY_SIZE, STREAM) for _ in points]
        for size in (BODY_SIZE, SMALL_SIZE):  # the larger type where every point fits the band
            lines = [paragraph(nobreak(p), size, band.width - 0.5, INK, align=LEFT) for p in points]
            items = VGroup(*[VGroup(m, ln).arrange(RIGHT, buff=0.2, aligned_edge=UP) for m, ln in zip(marks, lines)])
            items.arrange(DOWN, buff=0.35, aligned_edge=LEFT)
            self.summary = VGroup(head, items).arrange(DOWN, buff=0.45, aligned_edge=LEFT).move_to(band.center)
            if self.summary.height <= band.height:
                break
        self.summary.points = points
        self.play(FadeOut(self.chart), FadeIn(head))
        self.play(LaggedStart(*[FadeIn(i, shift=RIGHT * 0.2) for i in items], lag_ratio=0.4), run_time=1.5)
        self.swap_caption("The residual path: every block adds to x instead of replacing it.", STREAM)
        self.wait(READ + 0.5)

    # ---------------------------------------------------------------- widgets

    def plot_beat(self, y_title: str, values, slots, cells, floor: bool = False, downward: bool = False) -> VGroup:
        """A log plot of values(curve) per layer for every stack, and a readout table beside it or under it (cells(curve):
        the texts at layer 0 and at the last layer); stacks in the same slot share a table row's place."""
        table = self.readout_table(slots, cells)
        band = content_band(self.header)
        every = np.concatenate([values(c) for c in self.trace.depth])
        plot = LogPlot(place_table(table, band), self.L, every.min(), every.max(), y_title, floor=floor)
        group = VGroup(plot, table)
        group.plot, group.table = plot, table
        group.curves = {c.label: plot.curve(values(c), color(c), downward=downward) for c in self.trace.depth}
        return group

    def stack_card(self, c, steps: tuple[str, str], one_line: bool) -> VGroup:
        """A stack's name (in its colour) and its block's two steps (on one line, or one under the other)."""
        swatch = Line(LEFT * 0.3, RIGHT * 0.3, color=color(c), stroke_width=8)
        name = VGroup(swatch, text(c.label, BODY_SIZE, color(c))).arrange(RIGHT, buff=0.2)
        formula = VGroup(*[text(s, SMALL_SIZE, MUTED, mono=True) for s in steps])
        formula.arrange(RIGHT, buff=0.5) if one_line else formula.arrange(DOWN, buff=0.1, aligned_edge=LEFT)
        formula.next_to(name, DOWN, buff=0.15, aligned_edge=LEFT).shift(RIGHT * 0.8)
        return VGroup(name, formula)

    def readout_table(self, slots, cells) -> VGroup:
        """Per stack: swatch, short name, then its value at layer 0 and at the last layer (the curve's two ends), as
        cells(curve) gives them; the stacks of one slot sit on the same line."""
        heads = VGroup(text("layer 0", SMALL_SIZE, MUTED), text(f"layer {self.L - 1}", SMALL_SIZE, MUTED))
        rows, lines = {}, [[(None, *heads)]]
        for slot in slots:
            lines.append([])
            for c in slot:
                name = VGroup(Line(LEFT * 0.25, RIGHT * 0.25, color=color(c), stroke_width=6),
                              text(SHORT[c.norm, c.skip], SMALL_SIZE, color(c))).arrange(RIGHT, buff=0.15)
                rows[c.label] = VGroup(name, *[text(s, SMALL_SIZE, INK) for s in cells(c)])
                lines[-1].append(tuple(rows[c.label]))
        widths = [max(row[k].width for line in lines for row in line if row[k] is not None) for k in range(3)]
        x = np.cumsum([0.0, widths[0] + 0.4, widths[1] + 0.4])  # each column's left edge
        for i, line in enumerate(lines):
            for row in line:
                for k, m in enumerate(row):
                    if m is not None:
                        m.move_to([x[k], -i * TABLE_PITCH, 0], aligned_edge=LEFT)
        table = VGroup(heads, *rows.values())
        table.header, table.rows = heads, rows
        return table

    def change_chart(self, box: Box) -> VGroup:
        """Bars of ‖out − x‖ / ‖x‖ per stack, its name left of them: branches at full size (faint) and near zero
        (solid), a dashed mark at 1; an axis title and a key (swatches in the three stacks' colours) above."""
        full, near = self.trace.depth, self.trace.depth_near_zero
        head = paragraph(nobreak("‖out − x‖ / ‖x‖: how far each stack moves its input x"), SMALL_SIZE, box.width, INK)
        key = VGroup(*[VGroup(VGroup(*[Rectangle(width=0.16, height=0.24, stroke_width=0, fill_color=color(c),
                                                 fill_opacity=o) for c in full]).arrange(RIGHT, buff=0.03),
                              text(s, SMALL_SIZE, MUTED)).arrange(RIGHT, buff=0.12)
                       for o, s in ((FAINT, "branches at full size"), (1.0, f"branches × {NEAR_ZERO:g}"))])
        if key.arrange(RIGHT, buff=0.5).width > box.width:
            key.arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        rows = VGroup(*[VGroup() for _ in full])
        for row, f, n in zip(rows, full, near):
            row.name = text(SHORT[f.norm, f.skip], SMALL_SIZE, color(f))
            row.full_value, row.near_value = (text(scientific(c.rel_change), SMALL_SIZE, INK) for c in (f, n))
        one_label = text("1: moved as far as ‖x‖ itself", SMALL_SIZE, MUTED)
        name_w = max(r.name.width for r in rows) + 0.3
        room_w = box.width - name_w  # for a bar and its value
        unit = min(min((room_w - v.width - 0.15) / max(c.rel_change, 1e-9) for r, f, n in zip(rows, full, near)
                       for v, c in ((r.full_value, f), (r.near_value, n))), room_w - 0.2)  # scene units per 1
        room = (box.height - head.height - key.height - one_label.height - 1.2) / len(rows)  # per stack
        bar_h = min(0.6, max(0.22, room * 0.33))
        row_gap = min(1.2, max(0.3, room - 2 * bar_h - 0.06))
        left, y = box.left + name_w, 0.0
        for row, f, n in zip(rows, full, near):
            row.full, row.near = (Rectangle(width=max(c.rel_change * unit, 0.02), height=bar_h,
                                            stroke_width=0, fill_color=color(c), fill_opacity=o)
                                  for c, o in ((f, FAINT), (n, 1.0)))
            row.full.move_to([left, y - bar_h / 2, 0], aligned_edge=LEFT)
            row.near.move_to([left, y - 1.5 * bar_h - 0.06, 0], aligned_edge=LEFT)
            row.name.move_to([left - 0.3, (row.full.get_y() + row.near.get_y()) / 2, 0], aligned_edge=RIGHT)
            row.full_value.next_to(row.full, RIGHT, buff=0.12)
            row.near_value.next_to(row.near, RIGHT, buff=0.12)
            row.name_label, row.full_label, row.near_label = (VGroup(backing(m), m) for m in
                                                              (row.name, row.full_value, row.near_value))
            row.add(row.full, row.near, row.name_label, row.full_label, row.near_label)
            y -= 2 * bar_h + 0.06 + row_gap
        x_one = left + unit
        one = DashedLine([x_one, rows.get_top()[1] + 0.1, 0], [x_one, rows.get_bottom()[1] - 0.1, 0], color=MUTED,
                         stroke_width=2)
        one_label.next_to(one, DOWN, buff=0.1)
        one_label.shift(RIGHT * max(0.0, box.left - one_label.get_left()[0]))
        one_label.shift(LEFT * max(0.0, one_label.get_right()[0] - box.right))
        key.next_to(rows, UP, buff=0.35).set_x(box.center[0])
        head.next_to(key, UP, buff=0.25).set_x(box.center[0])
        chart = VGroup(head, key, one, rows, one_label)  # the mark at 1 runs behind the labels' backings
        chart.shift(UP * (box.center[1] - chart.get_center()[1]))
        chart.frame, chart.rows, chart.one = VGroup(head, key, one, *[r.name_label for r in rows], one_label), rows, one
        return chart


# ---------------------------------------------------------------- layout helpers


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
