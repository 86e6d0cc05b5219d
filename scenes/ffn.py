"""FFNScene: the same small network (d_model → d_ff → GELU → d_model) runs on every token separately.

Attention moves information between tokens; the MLP (the FFN) computes within one token.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arrow, LaggedStart, Line, ReplacementTransform, SurroundingRectangle, \
    Transform, VGroup

from kit.base import TraceScene
from kit.fast import FadeIn, FadeOut
from kit.layout import Box, content_band, line_height
from kit.matrices import CellMatrix, fit_cells
from kit.network import HIDDEN_W, Net, spread
from kit.names import names
from kit.rows import LABEL_MAX_W, quoted, row_box, token_matrix, token_panel
from kit.style import ATTN, LN, MLP, MUTED, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import number, text
from kit.widgets import baseline_text, center_on_line, label_text, set_baseline, title

HEAD_GAP = 0.2  # between a matrix (or vector) and its heading's baseline
STEP_TOTAL = 6.0  # seconds for the whole every-token loop (each token 0.3-0.6 s)
VALUE_GAP = 1.0  # room after the hidden layer for the strongest units' values


class FFNScene(TraceScene):
    def construct(self):
        self.words()
        self.input_rows()
        self.one_token()
        self.every_token()
        self.contrast()

    # ---------------------------------------------------------------- beats

    def input_rows(self):
        self.beat("input")
        t, d = self.trace, self.trace.config.d_model
        f = t.config.d_ff
        chain = "\u00a0".join(f"{d} → {f} → GELU → {d}".split(" "))  # no line break inside it
        self.header = title("FFN: each token on its own", f"one MLP, {chain}, for every token")
        self.band = content_band(self.header)
        vmax = float(max(np.abs(t.block.ln2).max(), np.abs(t.block.ffn_out).max()))
        box = self.band.below(line_height(SMALL_SIZE) + HEAD_GAP)
        self.m_in = token_matrix(t.block.ln2, box, vmax, labels=t.tokens, keep_row=t.tracked, highlight=t.tracked)
        self.m_in.move_to(box.center)
        head = self.head(self.in_name, self.in_color, self.m_in.cells, UP)
        self.focus = row_box(self.m_in, t.tracked)
        self.play(FadeIn(self.header))
        self.play(FadeIn(self.m_in), FadeIn(head))
        self.swap_caption(self.intro_caption.format(d=d))
        self.wait(1.0)
        self.play(FadeIn(self.focus))
        self.swap_caption(f"Follow {self.tok} through the MLP.")
        self.wait(0.6)
        self.intro_rest = VGroup(self.m_in, head, self.focus)

    def one_token(self):
        self.beat("one-token")
        b, tr, d, f = self.trace.block, self.trace.tracked, self.trace.config.d_model, self.trace.config.d_ff
        self.build_network()
        row = self.m_in.row(tr)
        self.vanish(*[m for m in self.intro_rest.family_members_with_points() if m not in set(row.get_family())])
        self.play(self.morph(row, self.in_vec.cells), FadeIn(VGroup(self.in_vec.numbers, self.in_vec.gaps)),
                  FadeIn(self.heads[0]), run_time=1.0)
        self.swap_caption(f"Its {d} numbers are the MLP's input.")
        self.wait(0.6)
        self.play(FadeIn(self.net), FadeIn(self.heads[1]))
        self.swap_caption(f"W₁ ({d}×{f}) and a bias b₁ turn them into {f} hidden numbers (colour = value).", MLP)
        self.play(self.net.recolor(b.ffn_pre[tr]), run_time=1.2)
        self.wait(0.6)
        gelu = self.head("after GELU", MLP, *self.heads_at[1])
        self.swap_caption("GELU squashes negative values toward 0 and lets positive ones through.", MLP,
                          FadeOut(self.heads[1]), FadeIn(gelu))
        self.play(self.net.recolor(b.ffn_post[tr]), run_time=1.4)
        self.heads[1] = gelu
        self.wait(0.6)
        k = len(self.trace.ffn_top_units)
        self.play(LaggedStart(*[FadeIn(VGroup(*m)) for m in zip(self.top_boxes, self.top_leads, self.top_numbers)],
                              lag_ratio=0.3, run_time=1.0))
        strongest = "The strongest hidden unit" if k == 1 else f"The {k} strongest hidden units"
        self.swap_caption(f"{strongest} for {self.tok} (largest absolute value after GELU).", MLP)
        self.wait(1.2)
        self.play(FadeIn(self.out_vec), FadeIn(self.heads[2]))
        self.swap_caption(f"W₂ ({f}×{d}) and b₂ bring them back to {d} numbers: {self.n.mlp}, the MLP's output.",
                          MLP)
        self.wait(1.0)
        self.swap_caption(f"{self.n.mlp} is added to the stream: {self.n.mlp_step}.")
        self.wait(1.2)

    def every_token(self):
        self.beat("every-token")
        b, tr = self.trace.block, self.trace.tracked
        self.build_every_token()
        ins, outs, net = self.inputs, self.outputs, self.net2
        self.vanish(self.top_boxes, self.top_leads, self.top_numbers, *self.heads, self.net.labels, self.net.hidden.gaps,
                    self.in_vec.numbers, self.in_vec.gaps, self.out_vec.numbers, self.out_vec.gaps)
        first = self.out_rows[tr]
        self.play(self.morph(self.in_vec.cells, ins.row(tr)), self.morph(self.out_vec.cells, first[0]),
                  self.morph(self.net.shapes, net.shapes), self.morph(self.net.hidden.cells, net.hidden.cells),
                  run_time=1.2)
        rest = [m for m in ins.family_members_with_points() if m not in set(ins.row(tr).get_family())]
        self.play(FadeIn(VGroup(*rest, self.mat_heads, net.labels, net.hidden.gaps, first[1:], outs.gaps, self.flow)))
        self.swap_caption("The same W₁, b₁, W₂, b₂ for every token: one network, used on each row by itself.", MLP)
        self.play(FadeIn(self.in_box), FadeIn(self.out_box), FadeIn(self.link))
        step = float(np.clip(STEP_TOTAL / len(ins.rows_shown), 0.3, 0.6))
        for r in ins.rows_shown:
            anims = [Transform(self.in_box, row_box(ins, r)), Transform(self.out_box, row_box(outs, r, self.stacked)),
                     net.recolor(b.ffn_post[r])]
            if self.links:
                anims.append(Transform(self.link, self.links[r]))
            if r != tr:
                anims.append(FadeIn(self.out_rows[r]))
            self.play(*anims, run_time=step)
        self.swap_caption("Each output row comes from its own input row only, whatever the other tokens are.")
        self.wait(1.2)

    def contrast(self):
        self.beat("contrast")
        self.vanish(self.inputs, self.outputs, *self.out_rows.values(), self.net2, self.mat_heads, self.flow,
                    self.in_box, self.out_box, self.link)
        self.build_contrast()
        one = len(self.trace.tokens) == 1
        self.play(FadeIn(self.attn_panel))
        self.swap_caption(f"With one token, attention can only read {self.tok} itself." if one else
                          "Attention moves information between tokens: each one (right) reads itself and earlier "
                          "ones (left); width = weight.", ATTN)
        self.wait(1.6)
        self.play(FadeIn(self.mlp_panel))
        self.swap_caption("The MLP computes within one token: each row through the same network, on its own.", MLP)
        self.wait(1.6)
        self.swap_caption("Attention moves information between tokens; the MLP computes within each one.", RESULT)
        self.wait(2.0)

    # ---------------------------------------------------------------- layout

    def words(self):
        """Names true for the norm placement (kit.names), the same in every clip."""
        t = self.trace
        self.n = n = names(t.config.norm)
        self.tok, self.stacked = quoted(t.tracked_token), frame().portrait
        self.in_name, self.in_color = n.ln2, (LN if n.norm == "pre" else STREAM)
        self.intro_caption = ("The FFN (the block's MLP) reads " + (f"{n.ln2}, the normalized stream" if n.norm == "pre"
                              else f"{n.h}, the stream itself (post-norm)") + ": {d} numbers per token.")

    def head(self, s: str, color, mob, side, size: float = SMALL_SIZE):
        """A heading over (UP) or left of (LEFT) mob, on a baseline."""
        h = baseline_text(s, size, color)
        if np.array_equal(side, UP):
            return set_baseline(h, mob.get_top()[1] + HEAD_GAP).set_x(mob.get_center()[0])
        return center_on_line(h.next_to(mob, LEFT, buff=0.25), mob.get_center()[1])

    def build_network(self):
        """Input vector → W₁ → hidden layer → W₂ → output vector for the tracked token, and its strongest units."""
        t, b, tr = self.trace, self.trace.block, self.trace.tracked
        d, f, band = t.config.d_model, t.config.d_ff, self.band
        vmax = self.m_in.vmax
        heads = line_height(SMALL_SIZE) + HEAD_GAP
        head_w = max(text(s, SMALL_SIZE).width for s in (self.in_name, f"{f} hidden", "after GELU", self.n.mlp)) + 0.3
        if self.stacked:  # top to bottom: rows, headings on the left
            room = band.width - head_w
            fit = fit_cells(1, d, vector_room(room, d, f, 0.45), 0.56)
            shape, win = (lambda v: np.asarray(v)[None, :]), {"cols": fit.cols}
            length, w_len = room, min(1.8, (band.height - 2 * fit.cell_h - VALUE_GAP - HIDDEN_W) / 2 - 0.3)
        else:  # left to right: columns, headings above
            length = min(band.height - heads, 4.8)
            fit = fit_cells(d, 1, 0.56, vector_room(length, d, f, 0.3))
            shape, win = (lambda v: np.asarray(v)[:, None]), {"rows": fit.rows}
            w_len = 1.3
        vec = dict(vmax=vmax, cell_w=fit.cell_w, cell_h=fit.cell_h, number_size=fit.number_size, **win)
        self.in_vec, self.out_vec = CellMatrix(shape(b.ln2[tr]), **vec), CellMatrix(shape(b.ffn_out[tr]), **vec)
        narrow = max(self.in_vec.width if self.stacked else self.in_vec.height, 0.9)
        self.net = Net(d, f, self.trace.block, length, narrow, w_len, self.stacked, t.ffn_top_units, VALUE_GAP)
        flow = DOWN if self.stacked else RIGHT
        VGroup(self.in_vec, self.net, self.out_vec).arrange(flow, buff=0.1)
        whole = VGroup(self.in_vec, self.net, self.out_vec)
        whole.move_to(band.center + (RIGHT * head_w / 2 if self.stacked else DOWN * heads / 2))
        side = LEFT if self.stacked else UP
        self.heads_at = [(m, side) for m in (self.in_vec.cells, self.net.hidden, self.out_vec.cells)]
        self.heads = [self.head(s, c, *at) for (s, c), at in
                      zip(((self.in_name, self.in_color), (f"{f} hidden", MLP), (self.n.mlp, MLP)), self.heads_at)]
        post, units = b.ffn_post[tr], list(t.ffn_top_units)
        self.top_boxes = VGroup(*[SurroundingRectangle(self.net.cell(u), color=MLP, buff=0.03, stroke_width=3)
                                  for u in units])
        self.top_numbers = VGroup(*[number(post[u], 2, SMALL_SIZE, MLP) for u in units])
        axis = 0 if self.stacked else 1
        centres = spread([self.net.cell(u).get_center()[axis] for u in units],
                         (self.top_numbers.width + 0.3) if self.stacked else 0.34)
        self.top_leads = VGroup()
        for u, num, c in zip(units, self.top_numbers, centres):
            cell = self.net.cell(u)
            if self.stacked:
                num.move_to([c, cell.get_bottom()[1] - 0.55, 0])
                self.top_leads.add(Line(cell.get_bottom() + DOWN * 0.03, num.get_top() + UP * 0.05, color=MLP))
            else:
                num.move_to([cell.get_right()[0] + 0.3 + num.width / 2, c, 0])
                self.top_leads.add(Line(cell.get_right() + RIGHT * 0.03, num.get_left() + LEFT * 0.05, color=MLP))

    def build_every_token(self):
        """Inputs | network | outputs side by side (stacked in a tall frame); boxes and links for every row."""
        t, b, tr = self.trace, self.trace.block, self.trace.tracked
        d, f, band = t.config.d_model, t.config.d_ff, self.band.below(line_height(SMALL_SIZE) + HEAD_GAP)
        if self.stacked:
            top, mid, bottom = band.split([1, 0.5, 1], gap=0.3 + line_height(SMALL_SIZE) + HEAD_GAP, vertical=True)
            self.inputs = token_matrix(b.ln2, top, self.m_in.vmax, labels=t.tokens, keep_row=tr, highlight=tr)
            length = self.inputs.cells.width
            net = Net(d, f, b, length, narrow_side(length, d, f), (mid.height - HIDDEN_W) / 2, True, (), 0.06)
            net.move_to(mid.center).set_x(self.inputs.cells.get_center()[0])
        else:
            lw = min(LABEL_MAX_W, max(label_text(w, SMALL_SIZE, LABEL_MAX_W).width for w in t.tokens)) + 0.15
            net_w = 2 * 1.0 + HIDDEN_W + 0.12 + 2 * 0.5
            cells = (band.width - lw - net_w) / 2
            for _ in range(3):  # the labels' width is an estimate: narrower cells until the row fits the band
                self.inputs = token_matrix(b.ln2, Box(band.left, band.left + lw + cells, band.bottom, band.top),
                                           self.m_in.vmax, labels=t.tokens, keep_row=tr, highlight=tr,
                                           cells_width=cells)
                length = max(self.inputs.cells.height * 0.8, min(band.height, 3.0))  # a few tokens: still a network
                net = Net(d, f, b, length, narrow_side(length, d, f), 1.0, False, (), 0.06)
                over = self.inputs.width + net.width + self.inputs.cells.width + 2 * 0.5 - band.width
                if over <= 0:
                    break
                cells -= over / 2 + 0.01
        outs = self.inputs.target_for(b.ffn_out)
        if self.stacked:
            outs.next_to(mid.bottom * UP, DOWN, buff=0.3 + line_height(SMALL_SIZE) + HEAD_GAP).align_to(self.inputs, LEFT)
            self.flow = VGroup(*[Arrow(a, z, buff=0.08, color=MUTED, stroke_width=3, max_tip_length_to_length_ratio=0.3)
                                 for a, z in ((self.inputs.cells.get_bottom(), net.get_top()),
                                              (net.get_bottom(), outs.cells.get_top() + UP * (HEAD_GAP + 0.25)))])
        else:
            outs.remove(outs.labels)
            outs.labels = VGroup()
            net.next_to(self.inputs, RIGHT, buff=0.5)
            outs.next_to(net, RIGHT, buff=0.5).align_to(self.inputs, UP)
            net.set_y(self.inputs.cells.get_center()[1])
            self.flow = VGroup()
        everything = VGroup(self.inputs, net, outs)
        shift = band.center - everything.get_center()
        (everything.shift(shift) if not self.stacked else everything.shift(RIGHT * shift[0]))
        self.flow.shift(RIGHT * shift[0] if self.stacked else shift)
        self.net2, self.outputs = net, outs
        self.out_rows = {r: VGroup(outs.row(r), outs.row_numbers(r), *([outs.label(r)] if self.stacked else []))
                         for r in outs.rows_shown}
        self.mat_heads = VGroup(self.head(self.in_name, self.in_color, self.inputs.cells, UP),
                                self.head(self.n.mlp, MLP, outs.cells, UP))
        self.in_box, self.out_box = row_box(self.inputs, tr), row_box(outs, tr, self.stacked)
        self.links = {} if self.stacked else {r: self.link_for(r) for r in self.inputs.rows_shown}
        self.link = self.links[tr] if self.links else VGroup()

    def link_for(self, r: int) -> VGroup:
        """Thin lines from row r of the inputs into W₁ and from W₂ into row r of the outputs."""
        a, z, (w1, w2) = row_box(self.inputs, r), row_box(self.outputs, r, False), self.net2.shapes
        style = {"color": MUTED, "stroke_width": 1.5}
        v1, v2 = w1.get_vertices(), w2.get_vertices()
        return VGroup(Line(a.get_corner(UP + RIGHT), v1[0], **style), Line(a.get_corner(DOWN + RIGHT), v1[3], **style),
                      Line(v2[1], z.get_corner(UP + LEFT), **style), Line(v2[2], z.get_corner(DOWN + LEFT), **style))

    def build_contrast(self):
        """Attention (each token reads itself and earlier ones; width = weight) beside the MLP (row to same row)."""
        t = self.trace
        w, tr = t.attn_mean, t.tracked  # [T, T] head-averaged attention weights
        attn_box, mlp_box = self.band.split([1, 1])
        self.attn_panel, (left, right, rows) = token_panel("attention: tokens read each other", ATTN, t, attn_box)
        self.weight_lines = VGroup(*[Line(left[j].get_right() + RIGHT * 0.1, right[i].get_left() + LEFT * 0.1,
                                          color=ATTN, stroke_width=weight_width(w[i, j]),
                                          stroke_opacity=1.0 if i == tr else 0.25)
                                     for i in rows for j in rows if j <= i])
        self.weight_pairs = [(i, j) for i in rows for j in rows if j <= i]  # what each line shows, for the tests
        self.attn_panel.add(self.weight_lines)
        self.mlp_panel, (left, right, rows) = token_panel("MLP: each token on its own", MLP, t, mlp_box)
        self.mlp_panel.add(VGroup(*[Arrow(left[i].get_right() + RIGHT * 0.1, right[i].get_left() + LEFT * 0.1, buff=0,
                                          color=MLP, stroke_width=2.5, tip_length=0.12,
                                          max_tip_length_to_length_ratio=0.2) for i in rows]))

    # ---------------------------------------------------------------- helpers

    def morph(self, src, dst) -> ReplacementTransform:
        """src (taken off the scene, wherever it sat, and left as it was) turns into dst, which stays."""
        self.remove(*src.get_family())
        return ReplacementTransform(src.copy(), dst)

    def vanish(self, *mobs, run_time: float = 0.6):
        """Fade mobjects out and take them (and their parts, wherever they sit) off the scene."""
        self.play(FadeOut(VGroup(*mobs)), run_time=run_time)
        self.remove(*[m for mob in mobs for m in mob.get_family()])


def vector_room(length: float, d: int, f: int, per: float) -> float:
    """Room for a d-long vector beside an f-long hidden layer `length` long: in proportion (W₁'s trapezoid widens
    as d → f does), but at least what its numbers need (`per` each)."""
    return float(min(length, max(length * d / f, per * d)))


def narrow_side(length: float, d: int, f: int) -> float:
    """A trapezoid's d-side beside an f-side `length` long: in proportion, but tall enough for its label."""
    return float(max(0.9, length * min(1.0, d / f)))


def weight_width(w: float) -> float:
    """Stroke width of an attention line for weight w in [0, 1] (proportional, with a hairline floor)."""
    return 0.4 + 7.0 * float(w)
