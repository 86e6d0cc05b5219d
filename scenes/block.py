"""BlockScene: one token's journey through a Transformer block, pre- or post-norm as configured.

Pre-norm:  h = x + Attn(LN₁(x));  out = h + MLP(LN₂(h)): the stream only ever has updates added to it.
Post-norm: h = LN₁(x + Attn(x));  out = LN₂(h + MLP(h)): the stream itself goes through each LayerNorm.
The tracked token's vector rides on the stream; at each fork a copy goes through LN (pre-norm), attention or the
MLP, comes back as Δ and lands on the stream vector column for column. Every beat ends on a complete picture (a
slide): what a beat leaves for its last look goes when the next beat starts (`tidy`).
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, ShowPassingFlash, Transform, VGroup

from blockmath.journey import journey
from kit.base import TraceScene
from kit.diagram import BlockDiagram
from kit.fast import FadeIn, FadeOut
from kit.journey import (attention_reads, branch_paths, column_sum, hidden_strip, place_beside, quoted_name,
                         stage_layout, station_box, stream_arrow, strip_links)
from kit.layout import content_band
from kit.names import names
from kit.style import ATTN, BODY_SIZE, LN, MLP, NOTE_SIZE, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import scientific, shown, text
from kit.vecstack import VectorStack
from kit.widgets import sentence_strip, title

STEP_LABELS = ("− μ", "÷ σ", "× γ + β")  # a LayerNorm's three steps, as the row's label while it runs
NB = "\u00a0"  # keeps "σ = 0.85" on one line of a caption


def eq(name: str, v: float) -> str:
    return f"{name}{NB}={NB}{scientific(v, 2)}"


def quoted(token: str) -> str:
    """The token in quotes for a caption, or "the tracked token" when it is too long to sit in a line."""
    s = f"“{token}”"
    return s if text(s, BODY_SIZE).width <= frame().safe_width * 0.45 else "the tracked token"


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
        if self.pre:
            self.swap_caption("A pre-norm block adds two updates to the residual stream.")
            self.wait(0.8)
            self.swap_caption("First attention's (communication), then the MLP's (thinking), each after a LayerNorm.")
        else:
            self.swap_caption("A post-norm block adds two updates to the residual stream: attention's, then the MLP's.")
            self.wait(0.8)
            self.swap_caption("After each add, a LayerNorm on the stream itself normalizes it: LN₁, then LN₂.")
        self.wait(1.0)
        self.swap_caption(f"Every token goes through the same block. Follow {quoted(tok)}.")
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
        self.wait(1.0)

    def ln_branch(self, key: str):
        """Pre-norm: a copy of the stream vector peels off and goes through LN on the branch."""
        self.beat(key)
        src = self.n.x if key == "ln1" else self.n.h
        self.open_branch("attn" if key == "ln1" else "mlp")
        self.copy = self.peel(self.stream_value(src), src, STREAM, *self.tidy(key))
        self.through_ln(self.copy, key, self.n.ln1 if key == "ln1" else self.n.ln2, LN)
        other = "attention" if key == "ln1" else "the MLP"
        self.swap_caption(f"{self.copy.rows[0][1]} is what {other} reads. The stream still holds {src}, unchanged.",
                          LN)
        self.wait(1.0)

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
        self.wait(1.0)

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
        self.swap_caption(f"Attention: {quoted(t.tracked_token)} reads {what}, with these weights.")
        self.wait(1.0)
        self.play(*self.copy.morph(t.block.attn_out[i], n.attn, ATTN, recolor=True), run_time=1.2)
        self.snap()
        h, d = t.config.n_heads, t.config.d_model
        if h > 1:
            self.swap_caption(f"Each of its {h} heads weighs them its own way; the table shows their mean.", ATTN)
            self.wait(1.0)
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
        inline = self.side_mode == "inline"
        band = self.stage.band
        width = band.right - self.box.title.get_right()[0] - 0.35 if inline else min(self.side.width - 0.2, 4.0)
        hidden = hidden_strip(t.block.ffn_post[i], float(np.abs(t.block.ffn_post[i]).max()), width, inline=inline)
        self.place_side(hidden)
        into, back = strip_links(self.copy.panel, hidden.strip, self.side_mode != "beside", MLP)
        self.play(FadeIn(hidden), Create(into), run_time=0.8)
        self.swap_caption(f"The MLP works on {quoted(t.tracked_token)} alone: {c.d_model} → {c.d_ff} numbers, GELU, "
                          f"then back to {c.d_model}.")
        self.wait(1.0)
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
        self.settled(*self.card.stack_from(self.copy, f"+ {delta}", color), run_time=1.2, scene=True)
        total = j.sum1[i] if branch == "attn" else j.sum2[i]
        if self.pre:
            label = f"= {n.h}" if branch == "attn" else f"= {n.out}"
        else:
            label = f"= {start} + {delta}"
        self.play(*self.card.add_row(total, label, RESULT if label == f"= {n.out}" else STREAM), run_time=0.8)
        self.snap()
        if self.pre:
            result = n.h if branch == "attn" else n.out
            self.swap_caption(f"At ⊕, {delta} is added column by column: {result} = {start} + {delta}."
                              + (f" {n.x} itself stays on the stream." if branch == "attn" else ""))
        else:
            self.swap_caption(f"At ⊕, {delta} is added column by column: the stream now holds {start} + {delta}.")
        self.wait(1.2)
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
        self.play(*self.closer(), run_time=0.8)
        self.snap()
        c = self.column()
        ring = self.card.column_frame(c, RESULT)
        drawn = dict(self.card.rows_shown())
        k = self.geo.shown.index(c)
        terms = [drawn[lab][k] for lab in (n.x, f"+ {n.attn}", f"+ {n.mlp}")]
        if self.pre:
            self.swap_caption(f"Read any column: {n.out} = {n.x} + {n.attn} + {n.mlp}.", RESULT)
            self.wait(1.2)
            self.play(Create(ring), run_time=0.6)
            self.swap_caption(f"This column: {column_sum(terms, drawn[f'= {n.out}'][k])}.", RESULT)
            self.wait(1.4)
            self.play(ShowPassingFlash(self.stream.copy().set_stroke(RESULT, width=9), time_width=0.5), run_time=1.2)
            self.swap_caption(f"{n.x} is still there, inside {n.out}: the stream is a direct path from input to "
                              "output, and the block only adds to it.", STREAM)
        else:
            self.swap_caption(f"Stack {n.x}, {n.attn} and {n.mlp} in each column: their sum is not {n.out}.", RESULT)
            self.wait(1.2)
            self.play(Create(ring), run_time=0.6)
            self.swap_caption(f"This column: {column_sum(terms, drawn['= sum'][k])}, but {n.out} "
                              f"= {drawn[n.out][k]:.2f}.".replace("-", "−"), RESULT)
            self.wait(1.4)
            self.swap_caption(f"LN₁ and LN₂ sit on the stream, so {n.out} is not {n.x} plus two updates: every path "
                              f"from {n.x} to {n.out} goes through both.", STREAM)
        self.wait(2.0)

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
        self.play(*card.morph(steps.out[i], STEP_LABELS[2]), run_time=0.7)
        self.play(*card.morph(steps.out[i], result, color, recolor=not stream), run_time=0.4)
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
        self.branch = branch_paths(self.card.panel, self.copy_y, self.card_y, ATTN if branch == "attn" else MLP)
        self.branch.up, self.branch.down, self.branch.tip, self.branch.dot, self.branch.plus = self.branch

    def peel(self, values, label: str, frame_color, *also) -> VectorStack:
        copy = self.card.copy_card(values, STREAM, label, frame_color=frame_color)
        rise = UP * (self.copy_y - self.card_y)
        self.play(*also, Create(self.branch), FadeIn(copy.shift(rise), shift=rise), run_time=1.2)
        self.copy = copy
        self.snap()
        return copy

    def station(self, card: VectorStack, color, name: str, rows: int | None = None):
        self.box = station_box(card, color, name, rows=rows)
        return [FadeIn(self.box)]

    def reads(self) -> VGroup:
        """What attention reads, with the weights (mean over heads), and arcs into the branch card."""
        t, i = self.trace, self.trace.tracked
        table, self.arcs = attention_reads(self.side_mode, t.tokens, i, t.attn_mean[i], t.block.ln1, t.config.n_heads,
                                           self.copy.panel, self.box.title, self.side, self.stage.band.right,
                                           self.place_side)
        self.weights_shown = (table.rows, [shown(n) for n in table.weights])
        return table

    def place_side(self, mob):
        """Beside the branch card, level with it (wide frame), above it (tall frame), or on its title's line."""
        place_beside(mob, self.side_mode, self.side, self.box.title, self.copy_y)

    def snap(self):
        """Record what the cards show now (the tests compare it with the trace)."""
        self.snaps.append((self.beat_name, "stream", self.card.geo.shown, self.card.rows_shown()))
        copy = getattr(self, "copy", None)
        if copy is not None and copy in self.mobjects:
            self.snaps.append((self.beat_name, "copy", copy.geo.shown, copy.rows_shown()))

    def settled(self, *anims, run_time: float = 1.0, scene: bool = False):
        self.play(*anims, run_time=run_time)
        self.card.settle(self if scene else None)

    def stream_value(self, name: str):
        i, b = self.trace.tracked, self.trace.block
        return b.x[i] if name == self.n.x else b.h_attn[i]

    def column(self) -> int:
        """The column to read out (its three terms add up, as drawn, to the sum drawn under them, if any does): the
        largest output (pre-norm), or where the sum and out differ most (post-norm)."""
        rows = np.round([v[self.geo.shown] for v, *_ in self.card.rows], 2)  # as drawn
        exact = np.abs(np.round(rows[:3].sum(axis=0), 2) - rows[3]) < 1e-9
        size = np.abs(rows[3]) if self.pre else np.abs(rows[3] - rows[4])
        return self.geo.shown[int(np.argmax(size + 100 * exact))]

    def closer(self):
        """The stream and its card move to the middle of the band; the card grows to fill it (the last look)."""
        band, card = self.stage.band, self.card
        k = max(1.0, min(1.4, (band.width - 1.0) / card.width, band.height / card.height))
        x = float(np.clip(band.center[0], band.left + card.width * k / 2, band.right - card.width * k / 2))
        dy = band.center[1] - card.get_center()[1]
        return [self.stream.animate.shift(UP * dy), card.animate.scale(k).move_to(np.array([x, band.center[1], 0]))]

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
        g = self.geo = s.geo
        name = quoted_name(t.tracked_token, g.label_size, g.label_w - 0.1)
        self.card = VectorStack(g, b.x[i], STREAM, n.x, name=name, name_color=RESULT, waterfall=True)
        self.card.shift(np.array([s.card_x - self.card.panel.get_center()[0], s.card_y, 0]))
        self.card_y, self.copy_y, self.side, self.side_mode = s.card_y, s.copy_y, s.side, s.side_mode
        self.stream = stream_arrow(s.card_y)
        self.stream_label = text("residual stream", NOTE_SIZE, STREAM)
        self.stream_label.next_to(self.stream, UP, buff=0.1).align_to(self.stream, LEFT)
        if self.stream_label.get_right()[0] > self.card.panel.get_left()[0] - 0.6:
            self.stream_label = VGroup()  # no room: the overview diagram named the stream
        self.strip = sentence_strip(t, width=band.width, size=BODY_SIZE if f.portrait else SMALL_SIZE)
        if self.strip.width > band.width:
            self.strip = sentence_strip(t, width=band.width)
        if self.strip.width > band.width or self.strip.height > s.band.height:
            self.strip = VGroup()  # no room for the sentence: the caption names the token
        if f.portrait:  # the diagram is the map from the start; the sentence under it
            self.diagram.move_to(s.map_box.center)
            self.strip.move_to(s.band.center)
        else:
            room = band.height - self.strip.height - 0.6
            if room < self.diagram.height:  # no room for the sentence: the caption names the token
                self.strip, room = VGroup(), band.height
            d = self.diagram
            d.scale(max(1.0, min(1.5, band.width / d.width, room / d.height)))
            VGroup(d, *[self.strip][: len(self.strip)]).arrange(DOWN, buff=0.6).move_to(band.center)
        self.map_ring, self.left, self.snaps = None, [], []  # snaps: (beat, card, [(label, numbers)]) for the tests
