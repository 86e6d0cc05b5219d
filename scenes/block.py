"""BlockScene: one token's journey through a Transformer block, pre- or post-norm as configured.

Pre-norm:  h = x + Attn(LN₁(x));  out = h + MLP(LN₂(h)): the stream only ever has updates added to it.
Post-norm: h = LN₁(x + Attn(x));  out = LN₂(h + MLP(h)): the stream itself goes through each LayerNorm.
The tracked token's vector rides on the stream; at each fork a copy goes through LN (pre-norm), attention or the
MLP, comes back as Δ and lands on the stream vector column for column. Every beat ends on a complete picture (a
slide): what a beat leaves for its last look goes when the next beat starts (`tidy`).
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, UP, Create, ShowPassingFlash, Transform, VGroup

from blockmath.journey import journey
from kit.base import TraceScene
from kit.diagram import BlockDiagram
from kit.fast import FadeIn, FadeOut
from kit.journey import attention_reads, branch_paths, hidden_strip, place_beside, station_box, strip_links
from kit.stage import (caption_token, closer, column_sum, place_overview, quoted_name, read_column, stage_layout,
                       stream_arrow, stream_card, stream_label)
from kit.layout import content_band
from kit.names import names
from kit.style import ATTN, BODY_SIZE, LN, MLP, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import scientific, shown
from kit.vecstack import VectorStack
from kit.widgets import NBSP, sentence_strip, title

STEP_LABELS = ("− μ", "÷ σ", "× γ + β")  # a LayerNorm's three steps, as the row's label while it runs


def eq(name: str, v: float) -> str:
    return f"{name}{NBSP}={NBSP}{scientific(v, 2)}"  # "σ = 0.85" kept on one line


class BlockScene(TraceScene):
    def construct(self):
        self.journey = journey(self.trace)  # each LayerNorm step by step, the sums at each ⊕
        self.n = names(self.trace.config.norm)
        self.pre = self.n.norm == "pre"
        self.intro()
        self.ride()
        if self.pre:
            self.ln_branch("ln1"), self.attend(), self.land("attn")
            self.ln_branch("ln2"), self.think(), self.land("mlp")
        else:
            self.attend(), self.land("attn"), self.ln_stream("ln1")
            self.think(), self.land("mlp"), self.ln_stream("ln2")
        self.read_out()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        n, tok = self.n, self.trace.tracked_token
        self.header = title(f"The {n.block}", f"{n.attn_step}      {n.mlp_step}")
        self.layout()
        self.play(FadeIn(self.header), FadeIn(self.diagram), FadeIn(self.strip))
        self.swap_caption("A pre-norm block adds two updates to the residual stream, attention's, then the MLP's, "
                          "each after a LayerNorm." if self.pre else "A post-norm block adds attention's update, then "
                          "the MLP's, each followed by a LayerNorm of the stream itself.")
        self.wait(1.2)
        self.swap_caption(f"Every token goes through the same block. Follow {caption_token(tok)}.")
        self.wait(1.0)

    def ride(self):
        self.beat("ride")
        d, shown_n = self.trace.config.d_model, len(self.geo.shown)
        gone = [FadeOut(self.strip)] + ([FadeOut(self.diagram)] if self.stage.map_box is None else [])
        self.play(*gone, Create(self.stream), FadeIn(self.stream_label),
                  FadeIn(self.card, shift=RIGHT * min(1.5, self.card.get_left()[0] - self.stage.band.left + 0.01)),
                  run_time=1.2)
        some = "" if shown_n == d else f"; {shown_n} of them are shown, “…” marks the rest"
        self.snap()
        self.swap_caption(f"Its vector x ({d} numbers{some}) rides on the residual stream.")
        self.wait(0.8)

    def ln_branch(self, key: str):
        """Pre-norm: a copy of the stream vector peels off and goes through LN on the branch."""
        self.beat(key)
        src = self.n.x if key == "ln1" else self.n.h
        self.open_branch("attn" if key == "ln1" else "mlp")
        b, i = self.trace.block, self.trace.tracked
        self.copy = self.peel(b.x[i] if key == "ln1" else b.h_attn[i], src, STREAM, *self.tidy(key))
        self.through_ln(self.copy, key, self.n.ln1 if key == "ln1" else self.n.ln2, LN)
        other = "attention" if key == "ln1" else "the MLP"
        self.swap_caption(f"{self.copy.rows[0][1]} is what {other} reads. The stream still holds {src}, unchanged.",
                          LN)
        self.wait(0.8)

    def ln_stream(self, key: str):
        """Post-norm: the sum on the stream goes through LN on the stream itself."""
        self.beat(key)
        i, n = self.trace.tracked, self.n
        steps = self.journey.ln1 if key == "ln1" else self.journey.ln2
        label = f"{n.x} + {n.attn}" if key == "ln1" else f"{n.h} + {n.mlp}"
        self.settled(*self.tidy(key), *self.card.set_rows([(steps.input[i], label, STREAM)],
                                                          [(steps.input[i], STREAM)]), run_time=0.6)
        self.snap()
        result = n.h if key == "ln1" else n.out
        self.through_ln(self.card, key, result, STREAM if key == "ln1" else RESULT)
        name = "LN₁" if key == "ln1" else "LN₂"
        self.swap_caption(f"{name} sits on the stream: the stream itself now holds {result} = {name}({label}).", LN)
        self.wait(0.8)

    def attend(self):
        self.beat("attention")
        t, i, n = self.trace, self.trace.tracked, self.n
        if self.pre:
            self.play(*self.tidy("attn"), *self.station(self.copy, ATTN, "Attention"), run_time=0.6)
        else:
            self.open_branch("attn")
            self.copy = self.peel(t.block.x[i], n.x, STREAM, *self.tidy("attn"))
            self.play(*self.station(self.copy, ATTN, "Attention"), run_time=0.6)
        reads = self.reads()
        if i == 0:
            what = f"only its own {n.ln1} vector (nothing comes before it)"
        else:
            what = f"its own and the {i} earlier token{'s' + chr(39) if i > 1 else chr(39) + 's'} {n.ln1} vectors"
        self.play(FadeIn(reads), FadeIn(self.arcs), run_time=0.8)
        self.swap_caption(f"Attention: {caption_token(t.tracked_token)} reads {what}, with these weights.")
        self.wait(0.8)
        self.play(*self.copy.morph(t.block.attn_out[i], n.attn, ATTN, recolor=True), run_time=1.2)
        self.snap()
        h, d = t.config.n_heads, t.config.d_model
        if h > 1:
            self.swap_caption(f"Each of its {h} heads weighs them its own way; the table shows their mean.", ATTN)
            self.wait(0.8)
        self.swap_caption(f"Mixed by these weights and projected back to {d} numbers: attention's update {n.attn}.",
                          ATTN)
        self.wait(1.0)
        self.left += [reads, self.arcs, self.box]

    def think(self):
        self.beat("mlp")
        t, i, n, c = self.trace, self.trace.tracked, self.n, self.trace.config
        if self.pre:
            self.play(*self.tidy("mlp"), *self.station(self.copy, MLP, "MLP"), run_time=0.6)
        else:
            self.settled(*self.tidy("mlp"), *self.card.set_rows([(t.block.h_attn[i], n.h, STREAM)]), run_time=0.6)
            self.open_branch("mlp")
            self.copy = self.peel(t.block.h_attn[i], n.h, STREAM)
            self.play(*self.station(self.copy, MLP, "MLP"), run_time=0.6)
        st, inline = self.stage, self.stage.side_mode == "inline"
        width = st.band.right - self.box.title.get_right()[0] - 0.35 if inline else min(st.side.width - 0.2, 4.0)
        hidden = hidden_strip(t.block.ffn_post[i], float(np.abs(t.block.ffn_post[i]).max()), width, inline=inline)
        self.place_side(hidden)
        into, back = strip_links(self.copy.panel, hidden.strip, st.side_mode != "beside", MLP)
        self.play(FadeIn(hidden), Create(into), run_time=0.8)
        self.swap_caption(f"The MLP works on {caption_token(t.tracked_token)} alone: {c.d_model} → {c.d_ff} numbers, "
                          f"GELU, then back to {c.d_model}.")
        self.wait(0.8)
        self.play(Create(back), *self.copy.morph(t.block.ffn_out[i], n.mlp, MLP, recolor=True), run_time=1.2)
        self.snap()
        self.swap_caption(f"What comes back is the MLP's update {n.mlp}.", MLP)
        self.wait(1.0)
        self.left += [hidden, into, back, self.box]

    def land(self, branch: str):
        self.beat("add-" + ("attention" if branch == "attn" else "mlp"))
        i, n, b, j = self.trace.tracked, self.n, self.trace.block, self.journey
        delta, color = (n.attn, ATTN) if branch == "attn" else (n.mlp, MLP)
        start = n.x if branch == "attn" else n.h
        drop = self.copy.panel.get_bottom()[1] - self.card.panel.get_top()[1] - 0.1
        path = self.branch
        anims = [*self.tidy("plus1" if branch == "attn" else "plus2"), FadeOut(path.up), FadeOut(path.down),
                 FadeOut(path.dot), self.copy.animate.shift(DOWN * drop)]
        if branch == "mlp" and self.pre:  # the stream holds h (x + Δattn, stacked): its row says so
            anims += self.card.set_rows([(b.h_attn[i], n.h, STREAM)], tips=(b.h_attn[i], STREAM))
        self.settled(*anims, run_time=0.8)
        self.settled(*self.card.stack_from(self.copy, f"+ {delta}", color), run_time=1.0, scene=True)
        result = (n.h if branch == "attn" else n.out) if self.pre else f"{start} + {delta}"  # what the ⊕ gives
        total = j.sum1[i] if branch == "attn" else j.sum2[i]
        self.play(*self.card.add_row(total, f"= {result}", RESULT if result == n.out else STREAM), run_time=0.8)
        self.snap()
        said = f"{result} = {start} + {delta}" if self.pre else f"the stream now holds {result}"
        also = f" {n.x} itself stays on the stream." if self.pre and branch == "attn" else ""
        self.swap_caption(f"At ⊕, {delta} is added column by column: {said}.{also}")
        self.wait(1.0)
        self.left += [path.tip, path.plus]

    def read_out(self):
        self.beat("read-out")
        i, n, b, j = self.trace.tracked, self.n, self.trace.block, self.journey
        rows = [(b.x[i], n.x, STREAM), (b.attn_out[i], f"+ {n.attn}", ATTN), (b.ffn_out[i], f"+ {n.mlp}", MLP)]
        rows += [(b.out[i], f"= {n.out}", RESULT)] if self.pre else [(j.direct[i], "= sum", STREAM),
                                                                     (b.out[i], n.out, RESULT)]
        layers = [(b.x[i], STREAM), (b.attn_out[i], ATTN), (b.ffn_out[i], MLP)]
        self.settled(*self.tidy("stream"), FadeOut(self.stream_label),
                     *self.card.set_rows(rows, layers, tips=(b.out[i], RESULT)), run_time=0.8)
        self.play(*closer(self.stream, self.card, self.stage.band), run_time=0.8)
        self.snap()
        c = read_column(self.card, differ=not self.pre)
        drawn = [v[self.geo.shown.index(c)] for _, v in self.card.rows_shown()]  # that column, as drawn
        self.swap_caption(f"Read any column: {n.out} = {n.x} + {n.attn} + {n.mlp}." if self.pre else
                          f"Stack {n.x}, {n.attn} and {n.mlp} in each column: their sum is not {n.out}.", RESULT)
        self.wait(1.0)
        self.play(Create(self.card.column_frame(c, RESULT)), run_time=0.6)
        but = "" if self.pre else f", but {n.out} = {drawn[4]:.2f}".replace("-", "−")
        self.swap_caption(f"This column: {column_sum(drawn[:3], drawn[3])}{but}.", RESULT)
        self.wait(1.2)
        if self.pre:
            self.play(ShowPassingFlash(self.stream.copy().set_stroke(RESULT, width=9), time_width=0.5), run_time=1.2)
            self.swap_caption(f"{n.x} is still there, inside {n.out}: the stream is a direct path from input to "
                              "output, and the block only adds to it.", STREAM)
        else:
            self.swap_caption(f"LN₁ and LN₂ sit on the stream, so {n.out} is not {n.x} plus two updates: every path "
                              f"from {n.x} to {n.out} goes through both.", STREAM)
        self.wait(1.6)

    # ---------------------------------------------------------------- steps shared by the beats

    def through_ln(self, card: VectorStack, key: str, result: str, color):
        """A card goes through a LayerNorm: centred (− μ), divided by σ, then × γ + β; its numbers change (in a new
        row under the stream card's, so the sum it normalizes stays in view)."""
        i, stream = self.trace.tracked, card is self.card
        steps = self.journey.ln1 if key == "ln1" else self.journey.ln2
        name = "LN₁" if key == "ln1" else "LN₂"
        self.play(*self.station(card, LN, name, rows=len(card.rows) + 1 if stream else None), run_time=0.6)
        what = "its input" if self.pre else "the sum"
        self.swap_caption(f"{name} centres {what}: it subtracts the mean of its {self.trace.config.d_model} numbers, "
                          f"{eq('μ', steps.mean[i])}.", LN)
        self.play(*card.morph(steps.centered[i], STEP_LABELS[0], LN if stream else None, new_row=stream), run_time=0.9)
        self.snap()
        self.swap_caption(f"Then it scales: divide by their spread {eq('σ', steps.std[i])}, then × γ + β (learned, "
                          "one per column).", LN)
        self.play(*card.morph(steps.normalized[i], STEP_LABELS[1]), run_time=0.9)
        self.snap()
        self.play(*card.morph(steps.out[i], STEP_LABELS[2]), run_time=0.6)
        self.play(*card.morph(steps.out[i], result, color, recolor=not stream), run_time=0.3)
        self.snap()
        self.left.append(self.box)

    def tidy(self, key: str) -> list:
        """What the last beat left for its last look goes; in a tall frame the map marks where the journey is."""
        anims = [FadeOut(m) for m in self.left]
        self.left = []
        if self.stage.map_box is not None:
            ring = self.diagram.ring(key)
            anims.append(FadeIn(ring) if self.map_ring is None else Transform(self.map_ring, ring))
            self.map_ring = self.map_ring or ring
        return anims

    def open_branch(self, branch: str):
        """The fork, the path up to the branch card, and the path down into ⊕."""
        st = self.stage
        self.branch = branch_paths(self.card.panel, st.copy_y, st.card_y, ATTN if branch == "attn" else MLP)
        self.branch.up, self.branch.down, self.branch.tip, self.branch.dot, self.branch.plus = self.branch

    def peel(self, values, label: str, frame_color, *also) -> VectorStack:
        copy = self.card.copy_card(values, STREAM, label, frame_color=frame_color)
        rise = UP * (self.stage.copy_y - self.stage.card_y)
        self.play(*also, Create(self.branch), FadeIn(copy.shift(rise), shift=rise), run_time=1.0)
        self.copy = copy
        self.snap()
        return copy

    def station(self, card: VectorStack, color, name: str, rows: int | None = None):
        self.box = station_box(card, color, name, rows=rows)
        return [FadeIn(self.box)]

    def reads(self) -> VGroup:
        """What attention reads, with the weights (mean over heads), and arcs into the branch card."""
        t, i, st = self.trace, self.trace.tracked, self.stage
        table, self.arcs = attention_reads(st.side_mode, t.tokens, i, t.attn_mean[i], t.block.ln1, t.config.n_heads,
                                           self.copy.panel, self.box.title, st.side, st.band.right, self.place_side)
        self.weights_shown = (table.rows, [shown(n) for n in table.weights])
        return table

    def place_side(self, mob):
        """Beside the branch card, level with it (wide frame), above it (tall frame), or on its title's line."""
        place_beside(mob, self.stage.side_mode, self.stage.side, self.box.title, self.stage.copy_y)

    def snap(self):
        """Record what the cards show now (the tests compare it with the trace)."""
        self.snaps.append((self.beat_name, "stream", self.card.geo.shown, self.card.rows_shown()))
        copy = getattr(self, "copy", None)
        if copy is not None and copy in self.mobjects:
            self.snaps.append((self.beat_name, "copy", copy.geo.shown, copy.rows_shown()))

    def settled(self, *anims, run_time: float = 1.0, scene: bool = False):
        self.play(*anims, run_time=run_time)
        self.card.settle(self if scene else None)

    # ---------------------------------------------------------------- layout

    def layout(self):
        """The overview diagram and the sentence (the intro); the journey's stage: the stream and its card low in
        the band, the branch card above it, room beside or above it for what a branch reads; in a tall frame the
        diagram stays at the top as a map."""
        t, i, j, b, n = self.trace, self.trace.tracked, self.journey, self.trace.block, self.n
        band, f = content_band(self.header), frame()
        self.diagram = BlockDiagram(n.norm) if band.width >= 8.2 else BlockDiagram.compact(n.norm)
        if f.portrait:
            self.diagram.scale(min(1.0, band.width / self.diagram.width))
        vals = [b.x[i], b.attn_out[i], b.ffn_out[i], b.h_attn[i], b.out[i], j.sum1[i], j.sum2[i], j.direct[i]]
        vals += [getattr(s, k)[i] for s in (j.ln1, j.ln2) for k in ("centered", "normalized", "out")]
        labels = [*STEP_LABELS, n.x, n.h, f"+ {n.attn}", f"+ {n.mlp}", f"= {n.out}",
                  quoted_name(t.tracked_token, 20, 1.8)]  # the token's name whole, if it is not too long
        labels += [n.ln1, n.ln2, f"= {n.h}"] if self.pre else [f"= {n.x} + {n.attn}", f"= {n.h} + {n.mlp}", "= sum"]
        s = self.stage = stage_layout(band, self.diagram.height if f.portrait else None, t.config.d_model,
                                      np.array(vals), labels, layers=3, rows=3)
        self.geo = s.geo
        self.card = stream_card(s, b.x[i], n.x, t.tracked_token)
        self.stream = stream_arrow(s.card_y)
        self.stream_label = stream_label(self.stream, self.card)
        strip = sentence_strip(t, width=band.width, size=BODY_SIZE if f.portrait else SMALL_SIZE)
        strip = strip if strip.width <= band.width else sentence_strip(t, width=band.width)
        self.strip = place_overview(self.diagram, strip, band, s)
        self.map_ring, self.left, self.snaps = None, [], []  # snaps: (beat, card, [(label, numbers)]) for the tests
