"""FFNScene: the same small network (d → 4d → GELU → d) runs on every token separately.

Attention moves information between tokens; the FFN computes within one token.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Create,
    LaggedStart,
    Line,
    MoveToTarget,
    Polygon,
    Rectangle,
    SurroundingRectangle,
    Transform,
    VGroup,
)

from common import (
    ACCENT,
    BG,
    BODY_SIZE,
    GAP,
    INK,
    MUTED,
    NUMBER_SIZE,
    OUT_COLOR,
    SAFE_W,
    SMALL_SIZE,
    ZERO,
    CellMatrix,
    FadeIn,
    FadeOut,
    TraceScene,
    caption,
    fit,
    number,
    row_label,
    sentence_strip,
    shown,
    text,
    title,
    value_color,
)

# ---------------------------------------------------------------- layout constants (scene units)
HIDDEN_H = 4.4  # height of the hidden column (4d cells, colors only)
HIDDEN_W = 0.34  # width of the hidden column
VEC_CELL = 0.44  # cell of the tracked token's input/output column (d cells with numbers)
VEC_W = 0.54  # width of those cells
W_WIDTH = 1.25  # width of a weight trapezoid
W_NARROW = 1.5  # height of a trapezoid's d-side (its 4d-side is as tall as the hidden column)
TOP_GAP = 1.0  # room right of the hidden column for the top units' values (closed in the every-token beat)
MAT_CELL_W = 0.48  # matrix cell width in the every-token beat (d columns)
MAT_CELL_H = 0.44  # matrix cell height when there are few tokens
ROWS_H = 5.1  # height available to matrix rows in the every-token beat
LABEL_W = 1.2  # token label width
STEP_TOTAL = 6.0  # seconds for the whole every-token loop (each token gets 0.4-0.6 s)
ROW_BOX = {"color": OUT_COLOR, "stroke_width": 3}
TRAPEZOID = {"color": MUTED, "stroke_width": 2, "fill_color": ZERO, "fill_opacity": 0.55}


class Column(VGroup):
    """One vector as a vertical column of colored cells (optionally with numbers); values_shown() is 1-D."""

    def __init__(self, values, vmax: float, cell_w: float, cell_h: float, places: int = 1,
                 show_numbers: bool = True, **kwargs):
        super().__init__(**kwargs)
        values = np.asarray(values, dtype=float)
        self.vmax = vmax
        self.cells = VGroup()
        self.numbers = VGroup()
        size = min(NUMBER_SIZE, cell_h * 44, cell_w * 36)
        for i, v in enumerate(values):
            sq = Rectangle(width=cell_w, height=cell_h, stroke_width=1, stroke_color=BG, fill_opacity=1,
                           fill_color=value_color(v, vmax))
            sq.move_to(np.array([0, -i * cell_h, 0]))
            self.cells.add(sq)
            if show_numbers:
                self.numbers.add(number(v, places, size=size).move_to(sq))
        self.add(self.cells, self.numbers)

    def target_for(self, values) -> Column:
        """A copy showing new values in the same place; for Transform."""
        target = self.copy()
        for i, v in enumerate(np.asarray(values, dtype=float)):
            target.cells[i].set_fill(value_color(v, self.vmax))
            if len(target.numbers):
                target.numbers[i].set_value(v).move_to(target.cells[i])
        return target

    def values_shown(self) -> np.ndarray:
        return np.array([shown(n) for n in self.numbers])


def trapezoid(left_h: float, right_h: float, width: float, name: str, shape: str) -> VGroup:
    """A weight matrix drawn as a trapezoid (its tall side faces the wide layer), labelled inside."""
    poly = Polygon([-width / 2, left_h / 2, 0], [width / 2, right_h / 2, 0], [width / 2, -right_h / 2, 0],
                   [-width / 2, -left_h / 2, 0], **TRAPEZOID)
    label = VGroup(text(name, BODY_SIZE, INK), text(shape, SMALL_SIZE, MUTED)).arrange(DOWN, buff=0.08)
    fit(label, width=width * 0.8, height=min(left_h, right_h) * 0.8)
    return VGroup(poly, label.move_to(poly))


def funnel(a_top, a_bottom, b_top, b_bottom) -> VGroup:
    """Two thin lines joining one row/column edge to a weight's edge: 'this flows in there'."""
    style = {"color": MUTED, "stroke_width": 1.5}
    return VGroup(Line(a_top, b_top, **style), Line(a_bottom, b_bottom, **style))


def spread(ys: list[float], min_gap: float) -> list[float]:
    """Layout only: nudge label heights apart (keeping their order) so labels never overlap."""
    order = sorted(range(len(ys)), key=lambda i: -ys[i])
    out = list(ys)
    for _ in range(20):
        moved = False
        for a, b in pairwise(order):
            if out[a] - out[b] < min_gap:
                push = (min_gap - (out[a] - out[b])) / 2
                out[a] += push
                out[b] -= push
                moved = True
        if not moved:
            break
    return out


class FFNScene(TraceScene):
    def construct(self):
        self.intro()
        self.one_token()
        self.every_token()
        self.takeaway()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        self.header = title("FFN: each token thinks on its own",
                            "the same small network, d → 4d → GELU → d, on every token")
        self.strip = sentence_strip(self.trace).next_to(self.header, DOWN, buff=0.3)
        c = self.trace.config
        self.play(FadeIn(self.header), FadeIn(self.strip))
        self.swap_caption(f"A small network: {c.d_model} numbers in, {c.d_ff} hidden, {c.d_model} out.")
        self.wait(1.0)

    def one_token(self):
        self.beat("one-token")
        b, tr, tok = self.trace.block, self.trace.tracked, self.trace.tracked_token
        self.build_network()
        self.play(FadeIn(self.in_vec), FadeIn(self.in_head))
        self.swap_caption(f"Follow “{tok}”: its {len(self.in_vec.cells)} numbers, the FFN's input.")
        self.wait(0.8)

        self.play(FadeIn(self.net), FadeIn(self.hidden_head))
        self.swap_caption(f"W₁ widens them to {len(self.hidden.cells)} hidden units (color = value).")
        self.play(Create(self.funnel_in), run_time=0.5)
        pre = self.hidden.target_for(b.ffn_pre[tr])
        self.play(LaggedStart(*[Transform(c, t) for c, t in zip(self.hidden.cells, pre.cells)], lag_ratio=0.04,
                              run_time=1.2))
        self.wait(0.4)

        post = self.hidden.target_for(b.ffn_post[tr])
        gelu_head = text("after GELU", SMALL_SIZE, ACCENT).move_to(self.hidden_head)
        self.swap_caption("GELU: negative units (blue) are squashed toward 0, positive ones pass.")
        self.play(Transform(self.hidden.cells, post.cells), FadeOut(self.hidden_head), FadeIn(gelu_head),
                  run_time=1.5)
        self.hidden_head = gelu_head
        self.wait(0.8)

        self.play(LaggedStart(*[FadeIn(VGroup(box, lead, num)) for box, lead, num in
                                zip(self.top_boxes, self.top_leads, self.top_numbers)], lag_ratio=0.3, run_time=1.2))
        self.swap_caption(f"Most active units: what this layer is refining about “{tok}”.", ACCENT)
        self.wait(1.6)

        self.play(Create(self.funnel_out), run_time=0.5)
        self.play(FadeIn(self.out_vec), FadeIn(self.out_head))
        self.swap_caption(f"W₂ folds them back into {len(self.out_vec.cells)} numbers: the FFN's output.", OUT_COLOR)
        self.wait(1.5)

    def every_token(self):
        self.beat("every-token")
        b, tr = self.trace.block, self.trace.tracked
        self.build_every_token_layout()
        # the tracked token's column becomes its row; the network slides over, the other rows fade in
        in_row = VGroup(self.inputs.row(tr), self.inputs.row_numbers(tr))
        out_row = VGroup(self.outputs.row(tr), self.outputs.row_numbers(tr))
        taken = {id(m) for m in (*in_row[0], *in_row[1])}
        in_rest = VGroup(*[m for m in (*self.inputs.cells, *self.inputs.numbers, *self.inputs.labels)
                           if id(m) not in taken])
        in_col, out_col = VGroup(self.in_vec.cells, self.in_vec.numbers), VGroup(self.out_vec.cells, self.out_vec.numbers)
        self.swap_caption("Now every token, one after another, through the same network.", INK,
                          FadeOut(self.strip), FadeOut(self.top_boxes), FadeOut(self.top_leads),
                          FadeOut(self.top_numbers), FadeOut(self.funnel_in), FadeOut(self.funnel_out),
                          FadeOut(self.in_head), FadeOut(self.out_head), FadeOut(self.hidden_head))
        self.play(MoveToTarget(self.net), Transform(in_col, in_row.copy()), Transform(out_col, out_row.copy()),
                  run_time=1.2)
        self.remove(self.in_vec, self.out_vec, in_col, out_col)
        self.add(in_row, out_row)
        self.hidden_targets = [self.hidden.target_for(b.ffn_post[r]) for r in range(len(self.trace.tokens))]
        self.play(FadeIn(in_rest), FadeIn(self.mat_heads), FadeIn(self.net_label))
        self.remove(in_rest, in_row)
        self.add(self.inputs)
        self.swap_caption("Each output row is computed from its own input row only.")

        link = self.links[tr].copy()  # the funnels follow the highlighted rows
        self.play(FadeIn(self.in_box), FadeIn(self.out_box), FadeIn(link))
        self.bring_to_front(self.net)  # the network changes on every step: after the matrices, so they are drawn once
        shown_rows = [out_row]
        step = float(np.clip(STEP_TOTAL / len(self.trace.tokens), 0.4, 0.6))
        for t in range(len(self.trace.tokens)):
            self.play(self.in_box.animate.move_to(self.box_at(self.inputs, t, True)),
                      self.out_box.animate.move_to(self.box_at(self.outputs, t, False)),
                      Transform(link, self.links[t]),
                      Transform(self.hidden.cells, self.hidden_targets[t].cells), run_time=step * 0.6)
            if t != tr:
                row = VGroup(self.outputs.row(t), self.outputs.row_numbers(t))
                self.play(FadeIn(row), run_time=step * 0.4)
                shown_rows.append(row)
            else:
                self.wait(step * 0.4)
        self.remove(*shown_rows)
        self.add(self.outputs)
        self.play(FadeOut(self.in_box), FadeOut(self.out_box), FadeOut(link))
        self.wait(0.8)

    def takeaway(self):
        self.beat("takeaway")
        self.build_contrast()
        self.play(FadeOut(VGroup(self.inputs, self.outputs, self.net, self.mat_heads, self.net_label)))
        self.play(FadeIn(self.attn_panel), FadeIn(self.ffn_panel))
        self.swap_caption("attention = looking at others  ·  FFN = processing itself", OUT_COLOR)
        self.wait(3.0)

    # ---------------------------------------------------------------- layout

    def build_network(self):
        """Input column → W₁ → hidden column → W₂ → output column for the tracked token, plus top units."""
        t, b, tr = self.trace, self.trace.block, self.trace.tracked
        d, f = t.config.d_model, t.config.d_ff
        self.vmax = float(max(np.abs(b.ln2).max(), np.abs(b.ffn_out).max()))
        self.hmax = float(max(np.abs(b.ffn_pre).max(), np.abs(b.ffn_post).max()))
        vec_h = min(VEC_CELL, 3.6 / d)
        self.in_vec = Column(b.ln2[tr], self.vmax, VEC_W, vec_h)
        self.out_vec = Column(b.ffn_out[tr], self.vmax, VEC_W, vec_h)
        self.hidden = Column(np.zeros(f), self.hmax, HIDDEN_W, HIDDEN_H / f, show_numbers=False)
        self.w1 = trapezoid(W_NARROW, HIDDEN_H, W_WIDTH, "W₁", f"{d}×{f}")
        self.w2 = trapezoid(HIDDEN_H, W_NARROW, W_WIDTH, "W₂", f"{f}×{d}")
        self.w1.next_to(self.hidden, LEFT, buff=0.08)
        self.w2.next_to(self.hidden, RIGHT, buff=TOP_GAP)
        self.net = VGroup(self.w1, self.hidden, self.w2)
        row = VGroup(self.in_vec, self.net, self.out_vec).arrange(RIGHT, buff=0.9)

        top = self.strip.get_bottom()[1] - 0.55  # room for the column heads
        bottom = caption("Ag").get_top()[1] + 0.2
        row.move_to(np.array([0, (top + bottom) / 2, 0]))
        self.funnel_in = funnel(self.in_vec.get_corner(UP + RIGHT), self.in_vec.get_corner(DOWN + RIGHT),
                                self.w1[0].get_vertices()[0], self.w1[0].get_vertices()[3])
        self.funnel_out = funnel(self.w2[0].get_vertices()[1], self.w2[0].get_vertices()[2],
                                 self.out_vec.get_corner(UP + LEFT), self.out_vec.get_corner(DOWN + LEFT))
        head_y = self.hidden.get_top()[1] + 0.3
        self.in_head = text(f"input “{t.tracked_token}”", SMALL_SIZE, OUT_COLOR)
        self.hidden_head = text(f"{f} hidden", SMALL_SIZE, INK)
        self.out_head = text("output", SMALL_SIZE, OUT_COLOR)
        for head, col in ((self.in_head, self.in_vec), (self.hidden_head, self.hidden), (self.out_head, self.out_vec)):
            fit(head, width=2.4).move_to(np.array([col.get_center()[0], head_y, 0]))

        # the most active hidden units: boxed, with their values (after GELU) to the right
        post = b.ffn_post[tr]
        units = list(t.ffn_top_units)
        self.top_boxes = VGroup(*[SurroundingRectangle(self.hidden.cells[u], color=ACCENT, buff=0.03, stroke_width=3)
                                  for u in units])
        self.top_numbers = VGroup(*[number(post[u], 2, size=SMALL_SIZE, color=ACCENT) for u in units])
        ys = spread([self.hidden.cells[u].get_center()[1] for u in units], 0.34)
        x0 = self.hidden.get_right()[0] + 0.28
        self.top_leads = VGroup()
        for u, num, y in zip(units, self.top_numbers, ys):
            num.move_to(np.array([x0 + num.width / 2, y, 0]))
            cell = self.hidden.cells[u]
            self.top_leads.add(Line(cell.get_right() + RIGHT * 0.03, num.get_left() + LEFT * 0.05, color=ACCENT,
                                    stroke_width=2))

    def build_every_token_layout(self):
        """Inputs matrix | the network (gap closed) | outputs matrix, one row per token, placed once."""
        t, b = self.trace, self.trace.block
        n = len(t.tokens)
        cell_h = min(MAT_CELL_H, ROWS_H / n)
        self.inputs = CellMatrix(b.ln2, t.tokens, self.vmax, MAT_CELL_W, label_width=LABEL_W, cell_h=cell_h,
                                 highlight=t.tracked)
        self.outputs = CellMatrix(b.ffn_out, None, self.vmax, MAT_CELL_W, cell_h=cell_h)
        net = self.net
        net.generate_target()
        net.target[2].next_to(net.target[1], RIGHT, buff=0.08)  # W₂ slides in next to the hidden column
        layout = VGroup(self.inputs, net.target, self.outputs).arrange(RIGHT, buff=0.5)
        fit(layout, width=SAFE_W)
        top = self.header.get_bottom()[1] - 0.65
        bottom = caption("Ag").get_top()[1] + 0.2
        layout.move_to(np.array([0, (top + bottom) / 2, 0]))
        head_y = max(self.inputs.get_top()[1], net.target.get_top()[1]) + 0.3
        self.mat_heads = VGroup(text("inputs, one row per token", SMALL_SIZE, INK),
                                text("outputs", SMALL_SIZE, OUT_COLOR))
        for head, m in zip(self.mat_heads, (self.inputs, self.outputs)):
            fit(head, width=m.cells.width + 0.6).move_to(np.array([m.cells.get_center()[0], head_y, 0]))
        self.net_label = text("same W₁, W₂\nfor every token", SMALL_SIZE, ACCENT)
        self.net_label.next_to(net.target, UP, buff=0.15)

        w1, w2 = net.target[0][0], net.target[2][0]
        self.in_box = self.box_at(self.inputs, t.tracked, True)
        self.out_box = self.box_at(self.outputs, t.tracked, False)
        self.links = []
        for r in range(n):
            ib, ob = self.box_at(self.inputs, r, True), self.box_at(self.outputs, r, False)
            self.links.append(VGroup(
                funnel(ib.get_corner(UP + RIGHT), ib.get_corner(DOWN + RIGHT), w1.get_vertices()[0], w1.get_vertices()[3]),
                funnel(w2.get_vertices()[1], w2.get_vertices()[2], ob.get_corner(UP + LEFT), ob.get_corner(DOWN + LEFT))))

    def box_at(self, m: CellMatrix, r: int, with_label: bool) -> Rectangle:
        """Highlight rectangle around row r (and its label)."""
        row = m.row(r)
        left = m.labels.get_left()[0] if with_label and len(m.labels) else row.get_left()[0]
        width = row.get_right()[0] - left
        box = Rectangle(width=width + 0.12, height=row.height + 0.04, **ROW_BOX)
        return box.move_to(np.array([left + width / 2, row.get_center()[1], 0]))

    def build_contrast(self):
        """Two small diagrams: attention links tokens to each other; the FFN maps each token to itself."""
        t = self.trace
        n = len(t.tokens)
        row_h = min(0.6, 4.6 / n)
        weights = t.attn_mean  # [T, T] line opacity: the core's head-averaged attention weights

        def columns():
            left = VGroup(*[row_label(tok, row_h, LABEL_W, color=OUT_COLOR if i == t.tracked else INK)
                            for i, tok in enumerate(t.tokens)])
            right = left.copy()
            for i, (a, c) in enumerate(zip(left, right)):
                a.move_to(np.array([-1.6, -i * row_h, 0]), aligned_edge=RIGHT)
                c.move_to(np.array([1.6, -i * row_h, 0]), aligned_edge=LEFT)
            return left, right

        left, right = columns()
        lines = VGroup()
        for i in range(n):
            for j in range(i + 1):
                lines.add(Line(np.array([-1.45, -j * row_h, 0]), np.array([1.45, -i * row_h, 0]), color=ACCENT,
                               stroke_width=2.5, stroke_opacity=float(np.clip(0.15 + 0.85 * weights[i, j], 0, 1))))
        attn_head = text("attention: tokens read each other", SMALL_SIZE, ACCENT)
        attn = VGroup(left, lines, right)
        attn_head.next_to(attn, UP, buff=0.3)
        self.attn_panel = VGroup(attn_head, attn)

        left, right = columns()
        arrows = VGroup(*[Arrow(np.array([-1.45, -i * row_h, 0]), np.array([1.45, -i * row_h, 0]), buff=0,
                                color=OUT_COLOR, stroke_width=2.5, tip_length=min(0.16, row_h * 0.45),
                                max_tip_length_to_length_ratio=0.1) for i in range(n)])
        ffn_head = text("FFN: each token on its own", SMALL_SIZE, OUT_COLOR)
        ffn = VGroup(left, arrows, right)
        ffn_head.next_to(ffn, UP, buff=0.3)
        self.ffn_panel = VGroup(ffn_head, ffn)

        both = VGroup(self.attn_panel, self.ffn_panel).arrange(RIGHT, buff=GAP * 2, aligned_edge=UP)
        fit(both, width=SAFE_W)
        top = self.header.get_bottom()[1] - 0.3
        bottom = caption("Ag").get_top()[1] + 0.2
        fit(both, height=top - bottom)
        both.move_to(np.array([0, (top + bottom) / 2, 0]))

    # ---------------------------------------------------------------- helpers

