"""NormPlacementScene: pre-norm vs post-norm — where LayerNorm sits, and what that does to the residual stream.

Pre-norm:  h = x + Attn(LN₁(x));  out = h + MLP(LN₂(h))   (LN on the branches; the stream only gets updates added).
Post-norm: h = LN₁(x + Attn(x));  out = LN₂(h + MLP(h))   (LN on the stream; it is normalized after every add).
The same input and weights go through both (trace.placements); the tracked token's stream is followed step by step.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, Dot, Indicate, SurroundingRectangle, VGroup

from blockmath.journey import journeys
from kit.base import TraceScene
from kit.diagram import BlockDiagram
from kit.fast import FadeIn, FadeOut
from kit.layout import Box, content_band
from kit.matrices import CellMatrix, fit_cells
from kit.names import names
from kit.style import BODY_SIZE, INK, LN, MUTED, NOTE_SIZE, NUMBER_SIZE, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import number, shown, text
from kit.widgets import center_on_line, label_text, paragraph, title

HEADS = {"pre": ("Pre-norm", "GPT-2 and most LLMs since"), "post": ("Post-norm", "the original Transformer, 2017")}
WHERE = {"pre": "LN on the branches", "post": "LN on the stream"}
ROW_GAP = 0.5  # between the pre-norm rows and the post-norm rows of the table


def stage_labels(norm: str) -> tuple[str, str, str]:
    n = names(norm)
    if norm == "pre":
        return n.x, f"{n.h} = {n.x} + {n.attn}", f"{n.out} = {n.h} + {n.mlp}"
    return n.x, f"{n.h} = LN₁({n.x} + {n.attn})", f"{n.out} = LN₂({n.h} + {n.mlp})"


def f2(v: float) -> str:
    return f"{v:.2f}"


class NormPlacementScene(TraceScene):
    def construct(self):
        self.journeys = journeys(self.trace)  # both placements step by step: sums, stages, spreads
        self.intro()
        self.diagrams()
        self.pre_branch()
        self.post_stream()
        self.stream_values()
        self.takeaway()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        self.header = title("Pre-norm vs post-norm", "where LayerNorm sits (same input, same weights)")
        self.band = content_band(self.header)
        self.play(FadeIn(self.header))
        self.swap_caption("Two ways to wire the same block around the residual stream.")
        self.wait(0.8)

    def diagrams(self):
        self.beat("diagrams")
        self.build_diagrams()
        for k in ("pre", "post"):
            d = self.diagram[k]
            self.play(FadeIn(self.heads[k]), Create(d.stream), run_time=0.8)
            self.play(*[FadeIn(m) for m in d if m is not d.stream], FadeIn(self.formulas[k]), run_time=0.9)
        self.swap_caption("Same boxes, same ⊕: only where the two LayerNorms sit differs.")
        self.wait(1.0)

    def pre_branch(self):
        self.beat("pre-norm")
        d = self.diagram["pre"]
        self.swap_caption("Pre-norm: LN₁ and LN₂ sit on the branches. The stream itself is never normalized.", LN)
        rings = VGroup(*[SurroundingRectangle(d.boxes[k], color=RESULT, buff=0.07) for k in ("ln1", "ln2")])
        self.play(Create(rings), *[Indicate(d.boxes[k], color=RESULT) for k in ("ln1", "ln2")])
        self.play(self.pulse(d))
        self.wait(1.2)
        self.play(FadeOut(rings), run_time=0.4)

    def post_stream(self):
        self.beat("post-norm")
        d = self.diagram["post"]
        self.swap_caption("Post-norm: LN₁ and LN₂ sit on the stream, which is normalized again after every add.", LN)
        rings = VGroup(*[SurroundingRectangle(d.boxes[k], color=RESULT, buff=0.07) for k in ("ln1", "ln2")])
        self.play(Create(rings), *[Indicate(d.boxes[k], color=RESULT) for k in ("ln1", "ln2")])
        self.play(self.pulse(d))
        self.wait(1.2)
        self.play(FadeOut(rings), run_time=0.4)

    def stream_values(self):
        self.beat("stream-values")
        t, i = self.trace, self.trace.tracked
        j = self.journeys
        if not frame().portrait:
            self.play(FadeOut(VGroup(*self.heads.values(), *self.diagram.values(), *self.formulas.values())))
        self.build_table()
        pre, post = self.rows["pre"], self.rows["post"]
        self.play(FadeIn(self.table_heads), FadeIn(self.sigma_head), FadeIn(pre[0]), FadeIn(post[0]))
        sp = {k: j[k].spread[:, i] for k in j}  # [stages]: pre x, h, out; post x, x+Δattn, h, h+Δmlp, out
        tok = t.tracked_token
        self.swap_caption(f"Follow the stream of “{tok}” through both: the same x, with spread σ = {f2(sp['pre'][0])}."
                          if text(tok, BODY_SIZE).width < 2.5 else
                          f"Follow the tracked token through both: the same x, with spread σ = {f2(sp['pre'][0])}.")
        self.snap()
        self.wait(1.0)
        self.play(FadeIn(pre[1]), run_time=0.8)
        self.play(FadeIn(pre[2]), run_time=0.8)
        self.snap()
        self.swap_caption(f"Pre-norm only adds to its stream: σ goes {f2(sp['pre'][0])} → {f2(sp['pre'][1])} → "
                          f"{f2(sp['pre'][2])}.", STREAM)
        self.wait(1.8)
        for r, (add, ln) in ((1, (1, 2)), (2, (3, 4))):
            self.play(FadeIn(post[r]), run_time=0.8)
            self.snap()
            key = "LN₁" if r == 1 else "LN₂"
            self.swap_caption(f"Post-norm adds, then {key} normalizes the stream itself: σ {f2(sp['post'][add])} → "
                              f"{f2(sp['post'][ln])}.", LN)
            anims = self.normalize(r)
            old, new = post[r], self.rows["post"][r]
            ring = SurroundingRectangle(VGroup(old[0], old[2], old[3], new[2], new[3]), color=LN, buff=0.06)
            self.play(Create(ring), *anims, run_time=1.4)
            self.snap()
            self.wait(1.2)
            self.play(FadeOut(ring), run_time=0.4)

    def takeaway(self):
        self.beat("takeaway")
        self.swap_caption("Pre-norm: LN on the branches, the stream keeps every update.", RESULT)
        self.wait(1.6)
        self.swap_caption("Post-norm: LN on the stream, which is normalized after every add.", RESULT)
        self.wait(1.6)
        self.swap_caption("At initialization, post-norm's weight gradients are largest near the output (Xiong et al., "
                          "2020).", RESULT)
        self.wait(2.0)
        self.swap_caption("So post-norm needs a learning-rate warm-up; pre-norm's untouched stream can train without "
                          "one.", RESULT)
        self.wait(2.0)
        self.swap_caption("GPT-2 and most LLMs since use pre-norm: LN on the branches.", RESULT)
        self.wait(2.0)

    # ---------------------------------------------------------------- helpers

    def pulse(self, d: BlockDiagram):
        """A dot running along a diagram's stream (what the residual stream passes through)."""
        dot = Dot(d.stops[0].get_center(), radius=0.08, color=RESULT)
        self.add(dot)
        return dot.animate(run_time=1.4, remover=True).move_to(d.stops[-1])

    def normalize(self, r: int):
        """Post-norm's row r goes from the sum on the stream to its LayerNorm (cells, σ and label switch)."""
        t, i = self.trace, self.trace.tracked
        after = t.placements["post"].h_attn if r == 1 else t.placements["post"].out
        sigma = self.journeys["post"].spread[2 if r == 1 else 4, i]
        m, lab, sig = self.post_matrix, self.labels["post"][r], self.sigmas["post"][r]
        values = m.values_full.copy()
        values[r] = after[i]
        new_label = self.row_label(stage_labels("post")[r], m, r)
        new_sigma = self.sigma_number(sigma, m, r)
        m.values_full = values
        anims = [m.animate_to(values, rows=[r]), FadeOut(lab), FadeIn(new_label), FadeOut(sig), FadeIn(new_sigma)]
        self.labels["post"][r], self.sigmas["post"][r] = new_label, new_sigma
        self.rows["post"][r] = VGroup(*self.rows["post"][r][:-2], new_label, new_sigma)
        return anims

    def snap(self):
        """Record the table as drawn: (row label, values shown, σ shown) per visible row (for the tests)."""
        self.snaps = getattr(self, "snaps", [])
        for k in ("pre", "post"):
            m = self.matrices[k]
            vals = m.values_shown()
            for r in range(3):
                if self.labels[k][r] in self.mobjects or any(self.labels[k][r] in x.get_family()
                                                               for x in self.mobjects):
                    self.snaps.append((k, self.labels[k][r].text_info.source, m.cols_shown,
                                       list(vals[r]), shown(self.sigmas[k][r])))

    # ---------------------------------------------------------------- layout

    def build_diagrams(self):
        """Pre above post; each with its name, its diagram and its formulas (beside it in a wide frame)."""
        band, wide = self.band, frame().landscape
        self.diagram, self.heads, self.formulas = {}, {}, {}
        groups = []
        for k in ("pre", "post"):
            n = names(k)
            head = VGroup(text(HEADS[k][0], BODY_SIZE, INK, weight="BOLD"), text(HEADS[k][1], NOTE_SIZE, MUTED))
            formulas = VGroup(*[text(s, SMALL_SIZE, INK, mono=True) for s in (n.attn_step, n.mlp_step)])
            formulas.arrange(DOWN, aligned_edge=LEFT, buff=0.15)
            head.arrange(RIGHT, buff=0.25, aligned_edge=DOWN)
            if wide:  # the name above, the diagram and its formulas side by side
                d = BlockDiagram(k)
                if d.width + formulas.width + 0.6 > band.width:
                    d = BlockDiagram.compact(k)
                row = VGroup(d, formulas).arrange(RIGHT, buff=0.6)
                g = VGroup(head, row).arrange(DOWN, buff=0.25, aligned_edge=LEFT)
            else:  # name, diagram, formulas, one under the other
                d = BlockDiagram.compact(k, stream_label=frame().portrait)
                if not frame().portrait:
                    formulas.arrange(RIGHT, buff=0.4)
                g = VGroup(head, d, formulas).arrange(DOWN, buff=0.2 if frame().portrait else 0.1)
            self.diagram[k], self.heads[k], self.formulas[k] = d, head, formulas
            groups.append(g)
        both = VGroup(*groups)
        gap = (band.height - sum(g.height for g in groups)) / 2
        both.arrange(DOWN, buff=float(np.clip(gap, 0.15, 1.2)), aligned_edge=LEFT if wide else np.zeros(3))
        both.move_to(band.center)
        self.table_band = band
        if frame().portrait:  # the diagrams stay at the top; the table goes under them
            both.arrange(DOWN, buff=0.35).move_to(band.center).align_to(np.array([0, band.top, 0]), UP)
            self.table_band = Box(band.left, band.right, band.bottom, both.get_bottom()[1] - 0.5)

    def build_table(self):
        """One matrix per placement, rows x, after the attention step, after the MLP step; σ of each row at the
        right. Post-norm's rows first show the sum on the stream, then its LayerNorm."""
        t, i, band = self.trace, self.trace.tracked, self.table_band
        pl, j = t.placements, self.journeys
        sigma_w = 0.8
        for size in (SMALL_SIZE, NOTE_SIZE):  # the row labels' size: the larger one if every column still fits
            label_w = max(text(s, size).width for k in ("pre", "post") for s in stage_labels(k)) + 0.15
            if band.width - label_w - sigma_w >= t.config.d_model * 0.5:
                break
        self.label_size, self.label_w = size, label_w
        heads_h = 2 * 0.45 + ROW_GAP + 0.45  # the two headings, the gap, a note under the table
        fit = fit_cells(6, t.config.d_model, band.width - label_w - sigma_w, band.height - heads_h, places=2,
                        max_cell=0.62)
        stages = {"pre": [pl["pre"].x[i], pl["pre"].h_attn[i], pl["pre"].out[i]],
                  "post": [pl["post"].x[i], j["post"].sum1[i], j["post"].sum2[i]]}  # post: the sums first
        sig = {"pre": j["pre"].spread[:, i], "post": j["post"].spread[[0, 1, 3], i]}
        vmax = float(max(np.abs(np.array(v)).max() for v in stages.values()))
        self.matrices, self.labels, self.sigmas, self.rows = {}, {}, {}, {}
        heads, blocks = VGroup(), VGroup()
        for k in ("pre", "post"):
            m = CellMatrix(np.array(stages[k]), vmax, fit.cell_w, fit.cell_h, cols=fit.cols, places=2,
                           number_size=fit.number_size)
            m.values_full = np.array(stages[k])
            head = VGroup(text(HEADS[k][0], SMALL_SIZE, INK, weight="BOLD"), text(WHERE[k], SMALL_SIZE, LN))
            head.arrange(RIGHT, buff=0.25, aligned_edge=DOWN)
            head.next_to(m, UP, buff=0.2).align_to(m.get_left() + LEFT * label_w, LEFT)
            self.matrices[k] = m
            heads.add(head)
            blocks.add(VGroup(head, m))
        blocks.arrange(DOWN, buff=ROW_GAP, aligned_edge=RIGHT)
        width = label_w + self.matrices["pre"].width + sigma_w  # labels | cells | σ, centred in the band
        blocks.set_y(band.center[1])
        blocks.shift(RIGHT * (band.center[0] - width / 2 + label_w - self.matrices["pre"].get_left()[0]))
        for k in ("pre", "post"):
            m = self.matrices[k]
            self.labels[k] = [self.row_label(s, m, r) for r, s in enumerate(self.first_labels(k))]
            self.sigmas[k] = [self.sigma_number(sig[k][r], m, r) for r in range(3)]
            self.rows[k] = [VGroup(m.row(r), m.row_numbers(r), self.labels[k][r], self.sigmas[k][r])
                            for r in range(3)]
            self.rows[k][0].add(m.gaps)  # the "…" column belongs to no row: it comes with the first
        self.post_matrix = self.matrices["post"]
        self.table_heads = heads
        self.sigma_head = VGroup(text("σ", SMALL_SIZE, MUTED).move_to(
            [self.sigmas["pre"][0].get_center()[0], heads[0].get_center()[1], 0]))
        d = t.config.d_model
        if len(fit.cols) < d:  # the spread is over every dimension, not only those shown
            note = paragraph(f"σ: the spread of all {d} numbers, not only those shown", NOTE_SIZE,
                             band.right - heads[1].get_left()[0], MUTED, align=LEFT)
            self.sigma_head.add(note.next_to(blocks, DOWN, buff=0.2).align_to(heads[1], LEFT))

    def first_labels(self, norm: str) -> tuple[str, str, str]:
        n = names(norm)
        if norm == "pre":
            return stage_labels("pre")
        return n.x, f"{n.x} + {n.attn}", f"{n.h} + {n.mlp}"

    def row_label(self, s: str, m: CellMatrix, r: int):
        y = m.cell(r, m.cols_shown[0]).get_center()[1]
        lab = label_text(s, self.label_size, self.label_w, STREAM)
        center_on_line(lab, y)
        return lab.align_to(m.get_left() + LEFT * 0.15, RIGHT)

    def sigma_number(self, v: float, m: CellMatrix, r: int):
        y = m.cell(r, m.cols_shown[0]).get_center()[1]
        return number(v, 2, NUMBER_SIZE, MUTED).move_to([m.get_right()[0] + 0.5, y, 0])

