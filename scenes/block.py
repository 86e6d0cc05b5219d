"""BlockScene: one token's journey through a Transformer block, pre- or post-norm as configured.

Pre-norm:  h = x + Attn(LN₁(x));  out = h + MLP(LN₂(h)): the stream only ever has updates added to it.
Post-norm: h = LN₁(x + Attn(x));  out = LN₂(h + MLP(h)): the stream itself goes through each LayerNorm.
The tracked token's vector rides on the stream; at each fork a copy goes through LN (pre-norm), attention or the
MLP, comes back as Δ and lands on the stream vector column for column.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arrow, Create, ShowPassingFlash, VGroup

from blockmath.journey import journey
from kit.base import TraceScene
from kit.columns import fit_stack
from kit.diagram import BlockDiagram
from kit.fast import FadeIn, FadeOut
from kit.journey import attention_reads, branch_paths, hidden_strip, place_beside, station_box, strip_links
from kit.layout import Box, content_band, safe_box
from kit.names import names
from kit.style import ATTN, BODY_SIZE, LN, MLP, NOTE_SIZE, RESULT, STREAM, frame
from kit.text import scientific, shown, text
from kit.vecstack import VectorStack
from kit.widgets import title

STEP_LABELS = ("− μ", "÷ σ", "× γ + β")  # a LayerNorm's three steps, as the row's label while it runs
TABLE_W = 3.4  # what attention reads / the MLP's hidden layer, beside the card in a wide frame


def f2(v: float) -> str:
    return scientific(v, 2)


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
        self.play(FadeIn(self.header), FadeIn(self.diagram))
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

    def ride(self):
        self.beat("ride")
        d, shown = self.trace.config.d_model, len(self.geo.shown)
        self.play(*self.to_map(), Create(self.stream), FadeIn(self.stream_label),
                  FadeIn(self.card, shift=RIGHT * min(1.5, self.card.get_left()[0] - self.band.left + 0.01)),
                  run_time=1.2)
        some = "" if shown == d else f"; {shown} of them are shown, “…” marks the rest"
        self.snap()
        self.swap_caption(f"Its vector x ({d} numbers{some}) rides on the residual stream.")
        self.wait(1.0)

    def ln_branch(self, key: str):
        """Pre-norm: a copy of the stream vector peels off and goes through LN on the branch."""
        self.beat(key)
        branch = "attn" if key == "ln1" else "mlp"
        src = self.n.x if key == "ln1" else self.n.h
        if key == "ln2":  # the stream holds x + Δattn: its rows say so, the marks show h
            b, i = self.trace.block, self.trace.tracked
            self.settled(*self.card.set_rows([(b.x[i], self.n.x, STREAM), (b.attn_out[i], f"+ {self.n.attn}", ATTN)],
                                             tips=(b.h_attn[i], STREAM)))
        self.open_branch(branch)
        self.copy = self.peel(self.stream_value(src), src, STREAM)
        self.through_ln(self.copy, key, self.n.ln1 if key == "ln1" else self.n.ln2, LN)

    def ln_stream(self, key: str):
        """Post-norm: the sum on the stream goes through LN on the stream itself."""
        self.beat(key)
        j, i = self.journey, self.trace.tracked
        steps = j.ln1 if key == "ln1" else j.ln2
        label = f"{self.n.x} + {self.n.attn}" if key == "ln1" else f"{self.n.h} + {self.n.mlp}"
        self.settled(*self.card.set_rows([(steps.input[i], label, STREAM)], [(steps.input[i], STREAM)]), run_time=0.6)
        self.snap()
        self.through_ln(self.card, key, self.n.h if key == "ln1" else self.n.out, STREAM if key == "ln1" else RESULT)

    def attend(self):
        self.beat("attention")
        t, i, n = self.trace, self.trace.tracked, self.n
        if not self.pre:
            self.open_branch("attn")
            self.copy = self.peel(t.block.x[i], n.x, STREAM)
        self.play(*self.station(self.copy, ATTN, "Attention"), run_time=0.6)
        reads = self.reads()
        if i == 0:
            what = f"only its own {n.ln1} vector (nothing comes before it)"
        else:
            what = f"its own and the {i} earlier token{'s' + chr(39) if i > 1 else chr(39) + 's'} {n.ln1} vectors"
        self.play(FadeIn(reads), FadeIn(self.arcs), run_time=0.8)
        self.swap_caption(f"Attention: {quoted(t.tracked_token)} reads {what}, with these weights.")
        self.wait(1.0)
        self.play(self.copy.morph(t.block.attn_out[i], n.attn, ATTN, recolor=True), run_time=1.2)
        self.snap()
        who = "Attention mixes them by these weights" if t.config.n_heads == 1 else \
            "Each head mixes them by its own weights"
        self.swap_caption(f"{who}; projected back to {t.config.d_model} numbers, that is attention's update {n.attn}.",
                          ATTN)
        self.wait(0.8)
        self.play(FadeOut(reads), FadeOut(self.arcs), run_time=0.5)

    def think(self):
        self.beat("mlp")
        t, i, n, c = self.trace, self.trace.tracked, self.n, self.trace.config
        if not self.pre:
            self.open_branch("mlp")
            self.copy = self.peel(t.block.h_attn[i], n.h, STREAM)
        self.play(*self.station(self.copy, MLP, "MLP"), run_time=0.6)
        inline = self.side_mode == "inline"
        width = self.band.right - self.box.title.get_right()[0] - 0.35 if inline else min(self.side.width - 0.2, 4.0)
        hidden = hidden_strip(t.block.ffn_post[i], float(np.abs(t.block.ffn_post[i]).max()), width, inline=inline)
        self.place_side(hidden)
        into, back = strip_links(self.copy.panel, hidden.strip, self.side_mode != "beside", MLP)
        self.play(FadeIn(hidden), Create(into), run_time=0.8)
        self.swap_caption(f"The MLP works on {quoted(t.tracked_token)} alone: {c.d_model} → {c.d_ff} numbers, GELU, "
                          f"then back to {c.d_model}.")
        self.wait(1.0)
        self.play(Create(back), self.copy.morph(t.block.ffn_out[i], n.mlp, MLP, recolor=True), run_time=1.2)
        self.snap()
        self.swap_caption(f"What comes back is the MLP's update {n.mlp}.", MLP)
        self.wait(0.8)
        self.play(FadeOut(hidden), FadeOut(into), FadeOut(back), run_time=0.5)

    def land(self, branch: str):
        self.beat("add-" + ("attention" if branch == "attn" else "mlp"))
        i, n, j = self.trace.tracked, self.n, self.journey
        delta = n.attn if branch == "attn" else n.mlp
        color = ATTN if branch == "attn" else MLP
        drop = self.copy.panel.get_bottom()[1] - self.card.panel.get_top()[1] - 0.1
        self.play(FadeOut(self.box), self.copy.animate.shift(DOWN * drop), run_time=0.8)
        self.settled(*self.card.stack_from(self.copy, f"+ {delta}", color), run_time=1.2, scene=True)
        if branch == "attn":
            total, label = (j.sum1[i], f"= {n.h}") if self.pre else (j.sum1[i], "=")
        else:
            total, label = (j.sum2[i], f"= {n.out}") if self.pre else (j.sum2[i], "=")
        self.play(*self.card.add_row(total, label, RESULT if label == f"= {n.out}" else STREAM), run_time=0.8)
        self.snap()
        start = n.x if branch == "attn" else n.h
        if self.pre:
            result = n.h if branch == "attn" else n.out
            self.swap_caption(f"At ⊕, {delta} is added column by column: {result} = {start} + {delta}."
                              + (f" {n.x} itself stays on the stream." if branch == "attn" else ""))
        else:
            self.swap_caption(f"At ⊕, {delta} is added column by column: the stream now holds {start} + {delta}.")
        self.wait(1.0)
        self.play(FadeOut(self.branch), run_time=0.5)

    def read_out(self):
        self.beat("read-out")
        i, n, b, j = self.trace.tracked, self.n, self.trace.block, self.journey
        if not self.pre:
            rows = [(j.sum2[i], f"{n.h} + {n.mlp}", STREAM), (b.out[i], n.out, RESULT)]
            self.settled(*self.card.set_rows(rows, [(b.out[i], RESULT)]), run_time=0.6)
        self.play(*self.closer(), run_time=0.8)
        self.snap()
        if self.pre:
            self.swap_caption(f"Read any column: {n.out} = {n.x} + {n.attn} + {n.mlp}. The input is still in the "
                              "output, plus two updates.", RESULT)
            self.wait(1.6)
            self.play(ShowPassingFlash(self.stream.copy().set_stroke(RESULT, width=9), time_width=0.5), run_time=1.2)
            self.swap_caption(f"{n.x} is added to, never replaced: the gradient reaches {n.x} directly and flows back "
                              "through deep stacks.", STREAM)
            self.wait(1.6)
            self.swap_caption("A block whose updates start near zero leaves its input almost unchanged, so deep "
                              "stacks can start that way.", STREAM)
        else:
            self.swap_caption(f"{n.out} = LN₂({n.h} + {n.mlp}) is centred and scaled as a whole: it is not {n.x} plus "
                              "two updates.", RESULT)
            self.wait(1.6)
            self.swap_caption("No path from x to out skips a LayerNorm: post-norm needs a warm-up of its learning "
                              "rate.", STREAM)
            self.wait(1.6)
            self.swap_caption("Pre-norm puts LN on the branches and leaves the stream a direct path: GPT-2 and most "
                              "LLMs since use it.", STREAM)
        self.wait(1.8)

    # ---------------------------------------------------------------- steps shared by the beats

    def through_ln(self, card: VectorStack, key: str, result: str, color):
        """A card goes through a LayerNorm: centred (− μ), divided by σ, then × γ + β; its numbers change."""
        i = self.trace.tracked
        steps = self.journey.ln1 if key == "ln1" else self.journey.ln2
        name = "LN₁" if key == "ln1" else "LN₂"
        self.play(*self.station(card, LN, name), run_time=0.6)
        mu, sd = f2(steps.mean[i]), f2(steps.std[i])
        what = "its input" if self.pre else "the sum"
        self.swap_caption(f"{name} centres {what}: it subtracts the mean of its {self.trace.config.d_model} numbers, "
                          f"μ = {mu}.", LN)
        self.play(card.morph(steps.centered[i], STEP_LABELS[0]), run_time=0.9)
        self.snap()
        self.swap_caption(f"Then it scales: divide by their spread σ = {sd}, then × γ + β (learned, one per column).",
                          LN)
        self.play(card.morph(steps.normalized[i], STEP_LABELS[1]), run_time=0.9)
        self.snap()
        self.play(card.morph(steps.out[i], STEP_LABELS[2]), run_time=0.7)
        self.play(card.morph(steps.out[i], result, color, recolor=card is not self.card), run_time=0.4)
        self.snap()
        self.wait(0.6)
        if card is self.card:
            self.play(FadeOut(self.box), run_time=0.5)

    def open_branch(self, branch: str):
        """The fork, the path up to the branch card, and the path down into ⊕."""
        self.branch = branch_paths(self.card.panel, self.copy_y, self.card_y, ATTN if branch == "attn" else MLP)

    def peel(self, values, label: str, frame_color) -> VectorStack:
        copy = self.card.copy_card(values, STREAM, label, frame_color=frame_color)
        rise = UP * (self.copy_y - self.card_y)
        self.play(Create(self.branch), FadeIn(copy.shift(rise), shift=rise), run_time=1.2)
        self.copy = copy
        self.snap()
        return copy

    def station(self, card: VectorStack, color, name: str):
        new = station_box(card, color, name)
        anims = [FadeIn(new)]
        if getattr(self, "box", None) is not None and self.box in self.mobjects:
            anims.append(FadeOut(self.box))
        self.box = new
        return anims

    def reads(self) -> VGroup:
        """What attention reads, with the weights (mean over heads), and arcs into the branch card."""
        t, i = self.trace, self.trace.tracked
        table, self.arcs = attention_reads(self.side_mode, t.tokens, i, t.attn_mean[i], t.block.ln1, t.config.n_heads,
                                           self.copy.panel, self.box.title, self.side, self.band.right, self.place_side)
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

    def closer(self):
        """The stream and its card move to the middle of the free band; the card grows to fill it (the last look)."""
        band = self.band if self.map_box is None else Box(self.band.left, self.band.right, self.band.bottom,
                                                          self.map_box.bottom - 0.4)
        card = self.card
        k = max(1.0, min(1.4, (band.width - 1.0) / card.width, band.height / card.height))
        w = card.width * k
        x = float(np.clip(card.get_center()[0], band.left + w / 2 + 0.4, band.right - w / 2 - 0.6))
        dy = band.center[1] - card.get_center()[1]
        target = card.get_center() + np.array([x - card.get_center()[0], dy, 0])
        return [self.stream.animate.shift(UP * dy), FadeOut(self.stream_label), card.animate.scale(k).move_to(target)]

    def to_map(self):
        """The overview diagram leaves (wide frame) or shrinks into a map at the top of the band (tall frame)."""
        if self.map_box is None:
            return [FadeOut(self.diagram)]
        target = self.diagram.copy().scale(min(1.0, self.map_box.width / self.diagram.width))
        target.move_to(self.map_box.center).align_to(np.array([0, self.map_box.top, 0]), UP)
        return [self.diagram.animate.become(target)]

    # ---------------------------------------------------------------- layout

    def layout(self):
        """The overview diagram; then the journey: the stream (and its card) at the bottom of the band, the branch
        card above it, what attention or the MLP reads beside it (wide frame) or above it (tall frame)."""
        t, i, j, b = self.trace, self.trace.tracked, self.journey, self.trace.block
        f, n = frame(), self.n
        band = self.band = content_band(self.header)
        self.diagram = BlockDiagram(n.norm) if band.width >= 8.2 else BlockDiagram.compact(n.norm)
        self.diagram.scale(max(1.0, min(1.5, band.width / self.diagram.width, band.height / self.diagram.height)))
        self.diagram.move_to(band.center)
        self.map_box = None
        if f.portrait:  # the diagram stays on as a map at the top
            self.map_box = Box(band.left, band.right, band.top - self.diagram.height, band.top)
            band = Box(band.left, band.right, band.bottom, self.map_box.bottom - 0.6)
        vals = [b.x[i], b.attn_out[i], b.ffn_out[i], b.h_attn[i], b.out[i], j.sum1[i], j.sum2[i]]
        vals += [s.centered[i] for s in (j.ln1, j.ln2)] + [s.normalized[i] for s in (j.ln1, j.ln2)]
        vals += [s.out[i] for s in (j.ln1, j.ln2)]
        labels = [*STEP_LABELS, f"+ {n.attn}", f"+ {n.mlp}", f"= {n.out}", f"“{t.tracked_token[:3]}”"]
        labels += [n.ln1, n.ln2] if self.pre else [f"{n.x} + {n.attn}", f"{n.h} + {n.mlp}"]
        rows = 4 if self.pre else 3
        self.side_mode = "above" if f.portrait else ("beside" if band.width > 10 else "inline")
        side_w = TABLE_W + 0.6 if self.side_mode == "beside" else 0.0
        for size in (24, 20, 18, 17):  # the largest numbers that leave the bars room to be read
            g = fit_stack(t.config.d_model, band.width - side_w - 0.95, float(np.abs(vals).max()), labels,
                          layers=3 if self.pre else 2, max_size=size, low=min(0.0, float(np.min(vals))),
                          high=max(0.0, float(np.max(vals))))
            fixed = 1.67 + (rows + 1) * g.row_h + (2.4 if f.portrait else 0.0)  # both cards and frames, but the bars
            bar_h = (band.height - fixed) / 4
            if bar_h >= 0.42:
                break
        self.geo = g = replace(g, bar_h=float(np.clip(bar_h, 0.25, 0.6)))
        self.card = VectorStack(g, b.x[i], STREAM, n.x, name=f"“{t.tracked_token}”", name_color=RESULT,
                                waterfall=True)
        self.card_y = band.bottom + g.height(rows) - 0.12 - g.up
        lo, hi = band.left + side_w + 0.37, band.right - 0.58  # room for the card, the fork and the ⊕
        x = float(np.clip(band.center[0], lo + g.width / 2, hi - g.width / 2)) if hi - lo > g.width else lo + g.width / 2
        self.card.shift(np.array([x - self.card.panel.get_center()[0], self.card_y, 0]))
        if f.portrait:
            self.copy_y = self.card_y + g.up + 0.12 + 0.45 + 0.12 + 0.12 + g.row_h + 0.1 + g.down
        else:
            self.copy_y = band.top - 0.3 - 0.12 - 0.12 - g.up
        self.stream = Arrow(np.array([safe_box().left, self.card_y, 0]), np.array([safe_box().right, self.card_y, 0]),
                            buff=0, color=STREAM, stroke_width=6, tip_length=0.22, max_tip_length_to_length_ratio=0.05)
        self.stream_label = text("residual stream", NOTE_SIZE, STREAM)
        self.stream_label.next_to(self.stream, UP, buff=0.1).align_to(self.stream, LEFT)
        if self.stream_label.get_right()[0] > self.card.panel.get_left()[0] - 0.5:
            self.stream_label = VGroup()  # no room: the overview diagram named the stream
        copy_top = self.copy_y + g.up + 0.12 + 0.12 + 0.3  # the card, its station's frame and name
        if f.portrait:
            self.side = Box(band.left, band.right, copy_top + 0.3, band.top)
        else:
            self.side = Box(band.left, self.card.panel.get_left()[0] - 0.7, self.card_y + 0.45, band.top)
        self.snaps = []  # (beat, card, [(row label, numbers as drawn)]) for the tests
