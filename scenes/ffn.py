"""FFNScene: the same small network (d_model → d_ff → GELU → d_model) runs on every token separately.

Attention moves information between tokens; the MLP (the FFN) computes within one token.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arrow, LaggedStart, Line, ReplacementTransform, Transform, \
    TransformFromCopy, VGroup

from kit.base import TraceScene
from kit.fast import FadeIn
from kit.layout import Box, content_band, line_height
from kit.matrices import CellMatrix, number_box
from kit.network import HIDDEN_W, Net, hidden_window, key
from kit.names import names
from kit.rows import BIG_CELL, EDGE, end_window, number_size_for, pair_cells_width, pair_label_width, pair_middle, \
    quoted, row_box, token_matrix, token_panels
from kit.style import ATTN, LN, MLP, MUTED, NOTE_SIZE, NUMBER_SIZE, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import text
from kit.widgets import baseline_text, center_on_line, nb, paragraph, set_baseline, title_fitting

HEAD_GAP = 0.2  # between a matrix (or vector) and its heading's baseline
STEP_TOTAL = 6.0  # seconds for the whole every-token loop (each token 0.3-0.6 s)
VALUE_GAP = 1.0  # room after the hidden layer for the most active units' values
GELU_GAP = 0.9  # between the hidden layer before GELU and after it (room for "GELU")
WINDOW_NOTE = " (… = columns not shown)"
IN_SHARE = 0.75  # the input vector is at most this share of the hidden layer's length (d_ff > d_model shows)


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
        d, f = self.trace.config.d_model, self.trace.config.d_ff
        chain = nb(f"{d} → {f} → GELU → {d}")  # no line break inside it
        self.header = title_fitting(["FFN: each token on its own", "FFN: token by token"],
                                    f"one MLP, {chain}, for every token")
        self.band = content_band(self.header)
        self.build_every_token()  # first: its column window is the input's in every beat
        self.build_alone()
        self.play(FadeIn(self.header))
        self.play(FadeIn(self.alone))
        self.swap_caption(self.intro_caption.format(d=d))
        self.wait(1.0)
        self.play(FadeIn(self.focus))
        self.swap_caption(f"Follow {self.tok} through the MLP.")
        self.wait(0.6)

    def one_token(self):
        self.beat("one-token")
        b, tr, d, f = self.trace.block, self.trace.tracked, self.trace.config.d_model, self.trace.config.d_ff
        self.build_network()
        net, (h_in, h_hidden, h_out) = self.net, self.heads
        row = self.m_in.row(tr)
        self.vanish(*[m for m in VGroup(self.alone, self.focus).family_members_with_points()
                      if m not in set(row.get_family())])
        self.play(self.morph(row, self.in_vec.cells), FadeIn(VGroup(self.in_vec.numbers, self.in_vec.gaps)),
                  FadeIn(h_in), run_time=1.0)
        self.swap_caption(f"Its {d} numbers are the MLP's input.")
        self.wait(0.6)
        self.play(FadeIn(VGroup(net.shapes, net.labels, net.pre)), FadeIn(h_hidden), FadeIn(self.key))
        self.swap_caption(f"W₁ ({d}×{f}) and a bias b₁ turn them into {f} hidden numbers (colour = value).", MLP)
        self.play(net.recolor(b.ffn_pre[tr], net.pre), run_time=1.2)
        self.wait(0.6)
        net.paint(b.ffn_pre[tr])
        self.swap_caption("GELU lets positive values through and squashes negative ones toward 0: blue turns grey.",
                          MLP, FadeIn(self.gelu_marks))
        self.play(TransformFromCopy(net.pre.cells, net.hidden.cells), run_time=0.8)
        self.play(net.recolor(b.ffn_post[tr]), run_time=1.4)
        self.wait(0.8)
        k = len(self.trace.ffn_top_units)
        self.play(LaggedStart(*[FadeIn(VGroup(*m)) for m in zip(self.top_boxes, self.top_leads, self.top_numbers)],
                              lag_ratio=0.3, run_time=1.0), FadeIn(self.key_top))
        most = "The most active hidden unit" if k == 1 else f"The {k} most active hidden units"
        self.swap_caption(f"{most} for {self.tok}: the largest values after GELU, boxed.", MLP)
        self.wait(1.2)
        self.play(FadeIn(self.out_vec), FadeIn(h_out))
        self.swap_caption(f"W₂ ({f}×{d}) and b₂ bring them back to {d} numbers: {self.n.mlp}, the MLP's output.",
                          MLP)
        self.wait(1.0)
        self.swap_caption(f"{self.n.mlp} is added to the stream: {self.n.mlp_step}.")
        self.wait(1.2)

    def every_token(self):
        self.beat("every-token")
        b, tr = self.trace.block, self.trace.tracked
        ins, outs, net = self.inputs, self.outputs, self.net2
        self.vanish(self.top_boxes, self.top_leads, self.top_numbers, *self.heads, self.net.labels, self.net.pre,
                    self.net.hidden.gaps,
                    self.gelu_marks, self.key, self.key_top, self.in_vec.numbers, self.in_vec.gaps,
                    self.out_vec.numbers, self.out_vec.gaps)
        first = self.out_rows[tr]
        net.paint(b.ffn_post[tr])
        self.play(self.morph(self.in_vec.cells, ins.row(tr)), self.morph(self.out_vec.cells, first[0]),
                  self.morph(self.net.shapes, net.shapes), self.morph(self.net.hidden.cells, net.hidden.cells),
                  run_time=1.2)
        rest = [m for m in ins.family_members_with_points() if m not in set(ins.row(tr).get_family())]
        self.play(FadeIn(VGroup(*rest, self.mat_heads, net.labels, net.hidden.gaps, first[1:], outs.gaps, self.flow,
                                self.mlp_note)))
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
                    self.in_box, self.out_box, self.link, self.mlp_note)
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
        self.vmax = float(max(np.abs(t.block.ln2).max(), np.abs(t.block.ffn_out).max()))
        self.intro_caption = ("The FFN (the block's MLP) reads " + (f"{n.ln2}, the normalized stream" if n.norm == "pre"
                              else f"{n.h}, the stream itself (post-norm)") + ": {d} numbers per token.")

    def head(self, s: str, color, mob, side, size: float = SMALL_SIZE):
        """A heading over (UP), under (DOWN) or left of (LEFT) mob, on a baseline."""
        h = baseline_text(s, size, color)
        if np.array_equal(side, UP):
            return set_baseline(h, mob.get_top()[1] + HEAD_GAP).set_x(mob.get_center()[0])
        if np.array_equal(side, DOWN):
            return h.next_to(mob, DOWN, buff=0.12).set_x(mob.get_center()[0])
        return center_on_line(h.next_to(mob, LEFT, buff=0.25), mob.get_center()[1])

    def build_alone(self):
        """The input matrix alone for the first beat: the window it has in the every-token beat, larger cells."""
        t, d, tr = self.trace, self.trace.config.d_model, self.trace.tracked
        k = len(self.inputs.cols_shown)
        note = [paragraph(f"each row has {d} numbers (the MLP reads all {d}); … marks the {d - k} not shown",
                          NOTE_SIZE, self.band.width, MUTED)] if k < d else []
        box = self.band.below(line_height(SMALL_SIZE) + HEAD_GAP).inset(EDGE, 0)
        box = Box(box.left, box.right, box.bottom + (note[0].height + 0.15 if note else 0.0), box.top)
        self.m_in = token_matrix(t.block.ln2, box, self.vmax, labels=t.tokens, keep_row=tr, highlight=tr,
                                 cols=self.inputs.col_window, rows=self.inputs.row_window, max_cell=BIG_CELL,
                                 max_number=SMALL_SIZE)
        head = self.head(self.in_name, self.in_color, self.m_in.cells, UP)
        if note:
            note[0].next_to(self.m_in, DOWN, buff=0.15)
        self.focus = row_box(self.m_in, tr)
        self.alone = VGroup(self.m_in, head, *note)
        VGroup(self.alone, self.focus).shift(self.band.center - VGroup(self.alone, self.focus).get_center())

    def build_network(self):
        """Input vector → W₁ → hidden layer before and after GELU → W₂ → output vector for the tracked token (left
        to right, top to bottom in a tall frame), its most active units, and a key to the colours and boxes."""
        t, b, tr = self.trace, self.trace.block, self.trace.tracked
        d, f, band = t.config.d_model, t.config.d_ff, self.band
        lh, nh = line_height(SMALL_SIZE), line_height(NOTE_SIZE)
        self.key, self.key_top = key(self.net2.hidden.vmax)
        key_h = self.key.height + 0.3
        heads = [self.in_name, f"{f} hidden", "after GELU", self.n.mlp]
        if self.stacked:  # top to bottom: rows, headings on the left
            head_w = max(text(s, SMALL_SIZE).width for s in heads) + 0.3
            length = band.width - head_w
            least = number_box(1, NUMBER_SIZE)[0] + 0.08  # a readable cell's width
        else:  # left to right: columns, headings above, "before"/"after" under the hidden layer
            length = min(band.height - (lh + HEAD_GAP) - (nh + 0.15) - key_h, 5.0)
            least = number_box(1, NUMBER_SIZE)[1] + 0.1  # a readable cell's height
        unit, units = hidden_window(f, length, t.ffn_top_units)
        room = unit * len(units) * max(d / f, IN_SHARE)  # the input: shorter than the hidden layer
        win = end_window(d, max(int(room // least), 3))
        if self.stacked:
            cell_w, cell_h = float(min(0.6, room / len(win))), 0.5
            shape, vec_win = (lambda v: np.asarray(v)[None, :]), {"cols": win}
            rest = band.height - key_h - 2 * cell_h - 2 * HIDDEN_W - 0.45 - VALUE_GAP - 0.4
            w_len = float(np.clip(rest / 2, 0.9, 2.6))
            gelu_gap, value_gap = 0.45, VALUE_GAP
        else:
            cell_w, cell_h = max(0.56, number_box(1, NUMBER_SIZE)[0] + 0.12), float(min(0.34, room / len(win)))
            shape, vec_win = (lambda v: np.asarray(v)[:, None]), {"rows": win}
            rest = band.width - 2 * EDGE - 2 * cell_w - 2 * HIDDEN_W - GELU_GAP - VALUE_GAP - 0.4
            w_len = float(np.clip(rest / 2, 0.8, 1.8))
            gelu_gap, value_gap = GELU_GAP, VALUE_GAP
        vec = dict(vmax=self.vmax, cell_w=cell_w, cell_h=cell_h, number_size=number_size_for(cell_w, cell_h),
                   **vec_win)
        self.in_vec, self.out_vec = CellMatrix(shape(b.ln2[tr]), **vec), CellMatrix(shape(b.ffn_out[tr]), **vec)
        narrow = self.in_vec.cells.width if self.stacked else self.in_vec.cells.height
        self.net = net = Net(d, f, b, length, narrow, w_len, self.stacked, t.ffn_top_units, value_gap, gelu_gap)
        whole = VGroup(self.in_vec, net, self.out_vec).arrange(DOWN if self.stacked else RIGHT, buff=0.1)
        if self.stacked:
            whole.move_to(band.center + RIGHT * head_w / 2 + UP * key_h / 2)
            sides = [(m, LEFT) for m in (self.in_vec.cells, net.pre, self.out_vec.cells)]
            self.heads = [self.head(s, c, *at) for (s, c), at in zip(((self.in_name, self.in_color),
                                                                       (heads[1], MLP), (self.n.mlp, MLP)), sides)]
            self.gelu_marks = VGroup(self.head("after GELU", MLP, net.hidden, LEFT))
        else:
            whole.move_to(band.center + DOWN * ((lh + HEAD_GAP) - (nh + 0.15) - key_h) / 2)
            pair = VGroup(net.pre, net.hidden)
            self.heads = [self.head(self.in_name, self.in_color, self.in_vec.cells, UP),
                          self.head(f"{f} hidden units", MLP, pair, UP), self.head(self.n.mlp, MLP,
                                                                                   self.out_vec.cells, UP)]
            gelu = text("GELU", SMALL_SIZE, MLP).move_to(pair.get_center())
            arrow = Arrow(net.pre.get_right() + RIGHT * 0.08, net.hidden.get_left() + LEFT * 0.08, buff=0, color=MLP,
                          stroke_width=2, tip_length=0.12, max_tip_length_to_length_ratio=0.3)
            arrow.next_to(gelu, DOWN, buff=0.08)
            self.gelu_marks = VGroup(gelu, arrow, self.head("before", MUTED, net.pre, DOWN, NOTE_SIZE),
                                     self.head("after", MUTED, net.hidden, DOWN, NOTE_SIZE))
        self.key.next_to(whole, DOWN, buff=0.3 + (0 if self.stacked else nh + 0.15)).set_x(band.center[0])
        self.key_top.next_to(self.key, RIGHT, buff=0.4)
        VGroup(self.key, self.key_top).set_x(band.center[0])
        self.build_top_units()

    def build_top_units(self):
        """The most active units after GELU: boxed, their values beside them (under them in a tall frame)."""
        t = self.trace
        self.top_boxes, self.top_leads, self.top_numbers = self.net.mark_units(
            list(t.ffn_top_units), t.block.ffn_post[t.tracked], self.band.left, self.band.right)

    def build_every_token(self):
        """Inputs | network | outputs side by side (stacked in a tall frame); boxes and links for every row."""
        t, b, tr = self.trace, self.trace.block, self.trace.tracked
        d, f, band = t.config.d_model, t.config.d_ff, self.band.below(line_height(SMALL_SIZE) + HEAD_GAP)
        note = f"the MLP reads all {d} numbers of each row"
        foot = paragraph(note + WINDOW_NOTE, NOTE_SIZE, band.width).height + 0.2  # its room, at its longest
        band = Box(band.left, band.right, band.bottom + foot, band.top)
        if self.stacked:
            top, mid, bottom = band.split([1, 0.5, 1], gap=0.3 + line_height(SMALL_SIZE) + HEAD_GAP, vertical=True)
            self.inputs = token_matrix(b.ln2, top.inset(EDGE, 0), self.vmax, labels=t.tokens, keep_row=tr,
                                       highlight=tr)
            length = self.inputs.cells.width
            net = Net(d, f, b, length, narrow_side(length, d, f), (mid.height - HIDDEN_W) / 2, True, (), 0.06)
            net.move_to(mid.center).set_x(self.inputs.cells.get_center()[0])
        else:
            cells = pair_cells_width(band, t.tokens)
            self.inputs = token_matrix(b.ln2, Box(band.left + EDGE, band.right - EDGE - pair_middle() - cells,
                                                  band.bottom, band.top), self.vmax, labels=t.tokens, keep_row=tr,
                                       highlight=tr, cells_width=cells, max_label_w=pair_label_width())
            length = max(self.inputs.cells.height * 0.8, min(band.height, 3.0))  # a few tokens: still a network
            w_len = (pair_middle() - HIDDEN_W - 0.06 - 0.04 - 2 * 0.2) / 2
            net = Net(d, f, b, length, narrow_side(length, d, f), w_len, False, (), 0.06)
        outs = self.inputs.target_for(b.ffn_out)
        if self.stacked:
            outs.next_to(mid.bottom * UP, DOWN, buff=0.3 + line_height(SMALL_SIZE) + HEAD_GAP).align_to(self.inputs, LEFT)
            self.flow = VGroup(*[Arrow(a, z, buff=0.08, color=MUTED, stroke_width=3, max_tip_length_to_length_ratio=0.3)
                                 for a, z in ((self.inputs.cells.get_bottom(), net.get_top()),
                                              (net.get_bottom(), outs.cells.get_top() + UP * (HEAD_GAP + 0.25)))])
        else:
            outs.remove(outs.labels)
            outs.labels = VGroup()
            net.next_to(self.inputs, RIGHT, buff=0.2)
            outs.next_to(net, RIGHT, buff=0.2).align_to(self.inputs, UP)
            net.set_y(self.inputs.cells.get_center()[1])
            self.flow = VGroup()
        everything = VGroup(self.inputs, net, outs)
        shift = band.center - everything.get_center()
        (everything.shift(shift) if not self.stacked else everything.shift(RIGHT * shift[0]))
        self.flow.shift(RIGHT * shift[0] if self.stacked else shift)
        self.net2, self.outputs = net, outs
        note += WINDOW_NOTE if None in self.inputs.col_window else ""
        self.mlp_note = paragraph(note, NOTE_SIZE, band.width, MUTED).next_to(everything, DOWN, buff=0.2)
        self.mlp_note.set_x(band.center[0])
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
        """Attention (each token reads itself and earlier ones; width = weight) beside the MLP (row to same row),
        the two panels on one geometry."""
        t, h = self.trace, self.trace.config.n_heads
        w, tr = t.attn_mean, t.tracked  # [T, T] head-averaged attention weights
        heads = "1 head" if h == 1 else f"mean over {h} heads"
        weights = [1, 1] if not frame().square else [1.3, 1]  # square: room for the lines
        (attn, left, right), (mlp, l2, r2) = token_panels(t, self.band.split(weights), [
            ("Attention: between tokens", f"width = attention weight ({heads}, untrained)", ATTN),
            (("MLP: within each token", "MLP: within a token"), "one network, row by row", MLP)])[0]
        rows = [r for r in left]
        self.weight_pairs = [(i, j) for i in rows for j in rows if j <= i]  # what each line shows, for the tests
        self.weight_lines = VGroup(*[Line(left[j].get_right() + RIGHT * 0.1, right[i].get_left() + LEFT * 0.1,
                                          color=ATTN, stroke_width=weight_width(w[i, j]),
                                          stroke_opacity=1.0 if i == tr else 0.25) for i, j in self.weight_pairs])
        self.attn_panel = attn.add(self.weight_lines)
        self.mlp_panel = mlp.add(VGroup(*[Arrow(l2[i].get_right() + RIGHT * 0.1, r2[i].get_left() + LEFT * 0.1,
                                                buff=0, color=MLP, stroke_width=2.5, tip_length=0.12,
                                                max_tip_length_to_length_ratio=0.2) for i in rows]))

    # ---------------------------------------------------------------- helpers

    def morph(self, src, dst) -> ReplacementTransform:
        """src (taken off the scene, wherever it sat, and left as it was) turns into dst, which stays."""
        self.remove(*src.get_family())
        return ReplacementTransform(src.copy(), dst)


def narrow_side(length: float, d: int, f: int) -> float:
    """A trapezoid's d-side beside an f-side `length` long: in proportion, but tall enough for its label."""
    return float(max(0.9, length * min(1.0, d / f)))


def weight_width(w: float) -> float:
    """Stroke width of an attention line for weight w in [0, 1] (proportional, with a hairline floor)."""
    return 0.4 + 7.0 * float(w)
