"""AttentionScene: attention moves information between tokens.

The tracked token reads itself and earlier tokens (causal mask) with softmax weights (untrained here); each head
mixes the tokens' value vectors by those weights; the heads' mixes, joined and projected by Wₒ, are the
communication update Δattn, added to the stream. Every number and bar comes from the trace (`trace.attn_parts`).
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, FadeTransform, SurroundingRectangle, Transform, VGroup

from kit.base import TraceScene
from kit.fast import FadeIn, FadeOut
from kit.flow import LABEL_H, ROW_MIN, Notes, arrow_piece, bars, flow, framed, funnel
from kit.layout import Box, content_band
from kit.matrices import VectorBars, number_box, shown_indices
from kit.minibars import ChartRow
from kit.names import names
from kit.style import (ATTN, ATTN_2, BODY_SIZE, CELL_NUMBER_MIN, INK, LN, MUTED, NOTE_SIZE, RESULT, SMALL_SIZE,
                       STREAM, frame)
from kit.text import text
from kit.tokens import ELIDE_W, LABEL_GAP, ROW_H, TokenRow
from kit.weights import WeightTable, reading_layout
from kit.widgets import label_text, paragraph, plus_node, title

HEAD_COLORS = (ATTN, ATTN_2)
MIN_COL = max(number_box(2, CELL_NUMBER_MIN)[0] + 0.1, 0.65)  # a weight must fit its cell, a value chart its column
NOTES = ("head0", "head1", "masked", "window", "untrained")  # the notes over the arcs, added in this order


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def before(n: int) -> str:
    return "the token before it" if n == 1 else f"the {n} tokens before it"


def short(token: str) -> str:
    """A token as captions quote it: cut with "…" when it is long (a caption must wrap into its lines)."""
    return label_text(token, BODY_SIZE, 3.2).text_info.source


class AttentionScene(TraceScene):
    def construct(self):
        self.intro()
        self.causal_mask()
        self.head_weights(0)
        self.matrix()
        self.untrained()
        self.weighted_sum(0)
        if self.n_shown > 1:
            self.head_weights(1)
            self.weighted_sum(1)
        self.join_heads()
        self.add_to_stream()
        self.takeaway()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        tr = self.trace
        self.parts, self.nm, self.t, self.T = tr.attn_parts, names(tr.config.norm), tr.tracked, len(tr.tokens)
        self.H, self.tok = self.parts.weights.shape[0], short(tr.tracked_token)
        self.n_shown = min(self.H, len(HEAD_COLORS))
        self.header = title("Attention mixes tokens")
        self.lay, self.status = plan(tr, content_band(self.header), self.H)
        self.dy = self.lay.dy  # beats 00-04 sit lower: centred with the matrix
        band, row = self.lay.band, self.lay.row
        self.dx = (row.left - band.left - (band.right - row.right)) / 2  # beats 00-01: centred (no row labels yet)
        self.row = row.shift(DOWN * self.dy + LEFT * self.dx)
        self.play(FadeIn(self.header), run_time=0.6)
        self.play(FadeIn(self.row), *self.notes("window"), run_time=0.8)
        self.swap_caption(f"Attention lets tokens read other tokens. “{self.tok}” is the only token here: what can it "
                          "read?" if self.T == 1 else
                          f"Attention lets tokens read other tokens. Follow “{self.tok}”: what does it read?")
        self.wait(0.8)

    def causal_mask(self):
        self.beat("causal-mask")
        tok, t, T = self.tok, self.t, self.T
        after = "the one after it" if T - 1 - t == 1 else f"the {T - 1 - t} after it"
        self.swap_caption(f"“{tok}” is the only token, so it can read only itself." if T == 1 else
                          f"Causal mask: “{tok}” comes first, so it reads only itself, never {after}." if t == 0 else
                          f"Causal mask: “{tok}” reads itself and {before(t)}, never {after}." if T > t + 1 else
                          f"Causal mask: “{tok}” is last, so it reads itself and "
                          + ("the token before it." if t == 1 else f"all {t} tokens before it."),
                          INK, *self.row.mask(), *self.notes("window", "masked"))
        self.reach = self.row.reach(f"what “{self.tok}” reads")
        self.play(Create(self.reach[0]), FadeIn(self.reach[1]), run_time=0.6)
        self.wait(1.2)

    def head_weights(self, h: int):
        self.beat(f"head-{h + 1}")
        tok, t, lay = self.tok, self.t, self.lay
        if h == 0:
            self.play(FadeOut(self.reach), self.row.animate.shift(RIGHT * self.dx), run_time=0.6)
        arcs = self.links(h)
        weights = WeightTable(self.parts.weights[h], lay.row, [t], lay.y_weights, ROW_H, {t}).shift(DOWN * self.dy)
        self.weights_rows = getattr(self, "weights_rows", []) + [weights]
        who = f"Head {h + 1}" if self.H > 1 else "The head"
        if h == 0:
            self.arcs, self.weights = arcs, weights
            self.play(*self.notes("head0", "masked", "window"), *[Create(a) for a in arcs], run_time=1.2)
            self.play(FadeIn(weights), run_time=0.6)
            self.swap_caption(f"{who} has only “{tok}” itself to read: softmax gives it all the weight, 1." if t == 0
                              else f"{who}'s softmax weights: how much “{tok}” reads each token. They sum to 1; "
                                   "thicker arcs carry more.", ATTN)
        else:
            self.play(FadeOut(self.sums), *self.notes("head1", "masked", "window", "untrained"),
                      Transform(self.arcs, arcs), Transform(self.weights, weights), run_time=1.2)
            more = f" {self.H} heads in all; 2 are shown." if self.H > 2 else ""
            self.swap_caption((f"Head 2 also has only “{tok}” to read: all the weight again." if t == 0 else
                               "Head 2 has its own query and key weights, so it reads the same tokens differently.")
                              + more, ATTN_2)
        self.wait(1.4)

    def matrix(self):
        self.beat("matrix")
        tok, t, lay = self.tok, self.t, self.lay
        self.table = WeightTable(self.parts.weights[0], lay.row, lay.readers, lay.y_weights, ROW_H, {t})
        self.table.shift(DOWN * self.dy)
        self.back = ROW_H * lay.readers.index(t)  # how far the tracked row moves down into the matrix
        self.play(self.weights.animate.shift(DOWN * self.back), run_time=0.6)
        self.lit = SurroundingRectangle(self.weights.cells(t), color=RESULT, buff=0.03, stroke_width=3)
        self.play(FadeIn(self.table.others(t)), Create(self.lit), self.arcs.animate.set_stroke(RESULT), run_time=0.8)
        self.play(self.arcs.animate.set_stroke(ATTN), run_time=0.5)
        whose = "head 1's" if self.H > 1 else "the head's"
        if self.T == 1:
            self.swap_caption(f"In {whose} matrix each token has a row of weights; with one token it is a single "
                              "weight, 1.")
        else:
            self.swap_caption(f"In {whose} matrix each token has a row of weights; the “{tok}” row is the one with "
                              "the arcs.")
            self.wait(1.4)
            empty = sum(c > r for r in shown_indices(lay.readers) for c in lay.row.sources())
            self.swap_caption(("The empty cell at the upper right is" if empty == 1 else "The empty cells at the upper "
                               "right are") + " the causal mask: no token reads a later one.")
        self.wait(1.6)

    def untrained(self):
        self.beat("untrained")
        self.play(*self.notes("head0", "masked", "window", "untrained"), run_time=0.5)
        self.swap_caption("These weights are untrained (random): the pattern means nothing yet. Training teaches "
                          + ("each head" if self.H > 1 else "the head") + " what to read.")
        self.wait(1.6)

    def weighted_sum(self, h: int):
        self.beat(f"weighted-sum-{h + 1}")
        lay, p, t, color = self.lay, self.parts, self.t, HEAD_COLORS[h]
        if h == 0:  # the matrix goes; the tracked row goes back under its tokens; the top rises
            self.play(FadeOut(VGroup(self.table.others(t), self.lit)),
                      self.weights.animate.shift(UP * (self.back + self.dy)),
                      VGroup(self.row, self.arcs, *self.status.shown()).animate.shift(UP * self.dy),
                      run_time=0.8)
            self.dy = 0.0
        shown = lay.row.readable()
        scale = float(np.abs(p.values[h, : t + 1]).max())  # display scale: the longest value fills its slot
        charts = ChartRow(p.values[h, shown], [lay.row.x_of(s) for s in shown], lay.chart_y, scale, lay.chart_half,
                          lay.chart_h, color)
        self.value_charts = getattr(self, "value_charts", []) + [dict(zip(shown, charts.copy()))]
        tag = VGroup(text("value =", SMALL_SIZE, color), text(f"{self.nm.ln1}·Wᵥ", NOTE_SIZE, color))
        tag.arrange(DOWN, buff=0.1).move_to(lay.label_at(lay.chart_y))  # what attention reads, per norm placement
        self.value_tag = tag.copy()
        moves = [self.mixes[0].animate.move_to(lay.mix_at(0, 2))] if h else []  # head 1's mix makes room
        self.play(FadeIn(charts), FadeIn(tag), *moves, run_time=0.8)
        dh, d = p.values.shape[2], p.joined.shape[1]
        size = f"(head {h + 1}'s {dh} of {d} numbers)." if self.H > 1 else f"({d} numbers)."
        self.swap_caption((f"Each token offers a value vector: its {self.nm.ln1} times Wᵥ " if t else
                           f"“{self.tok}” offers its value vector: its {self.nm.ln1} times Wᵥ ") + size, color)
        self.wait(1.0)
        scaled, ghost = charts.scaled(p.weighted[h, t, shown]), charts.ghost()  # the whole values stay, faint
        self.weighted_charts = getattr(self, "weighted_charts", []) + [dict(zip(shown, scaled))]
        self.add(ghost)
        self.bring_to_back(ghost)
        tag2 = paragraph("value × weight", SMALL_SIZE, ELIDE_W, color).move_to(tag)
        self.play(Transform(charts, scaled), FadeTransform(tag, tag2), run_time=1.2)
        self.swap_caption("Each value is multiplied by its weight: a token with little weight gives little." if t else
                          "Its weight is 1, so the whole value counts.", color)
        self.wait(1.0)
        mix = VectorBars(p.mixes[h, t], float(np.abs(p.mixes[h, t]).max()), color, f"head {h + 1} mix",
                         bar_max=lay.mix_bar, row_h=lay.mix_row_h, rows=lay.mix_rows)
        mix.move_to(lay.mix_at(h, self.n_shown if h else 1))  # its own scale: its longest bar is full length
        lines = funnel(charts.feet(), mix.get_top() + UP * 0.08, color)
        self.mixes = getattr(self, "mixes", []) + [mix]
        self.sums = VGroup(ghost, charts, tag2, lines)
        self.play(Create(lines), FadeIn(mix), run_time=1.2)
        self.swap_caption(f"Added up, the weighted values make head {h + 1}'s mix for “{self.tok}”." if t else
                          f"One term: head {h + 1}'s mix for “{self.tok}” is its own value.", color)
        self.wait(1.4)

    def join_heads(self):
        self.beat("join")
        p, t, d, nm, H = self.parts, self.t, self.parts.joined.shape[1], self.nm, self.H
        self.play(FadeOut(VGroup(self.row, self.arcs, self.weights, self.sums, *self.status.shown())),
                  run_time=0.6)
        square = frame().square  # stacked where a row of them would not fit
        heads = VGroup(*self.mixes).copy().arrange(DOWN if square else RIGHT, buff=0.35)
        joined = framed(heads, f"joined: {d} numbers" + (f" (heads 3–{H} not shown)" if H > 2 else "")) if H > 1 \
            else VGroup(heads)
        scale = float(np.abs(p.out[t]).max())
        _, arrow, self.update = flow(self.lay.band, [joined, arrow_piece("× Wₒ", ATTN),
                                                     lambda box: bars(p.out[t], scale, ATTN, nm.attn, box)])
        self.play(*[FadeTransform(m, c) for m, c in zip(self.mixes, heads)], run_time=0.9)
        self.mixes = list(heads)
        self.play(FadeIn(VGroup(*joined[1:], arrow, self.update)), run_time=0.8)
        self.joined = VGroup(*self.mixes, *joined[1:], arrow)
        self.joined_mixes = list(self.mixes)
        self.swap_caption(f"The {H} heads' mixes" + (" (2 shown)" if H > 2 else "") + f", joined ({d} numbers) and "
                          f"multiplied by Wₒ, are the communication update {nm.attn}." if H > 1 else
                          f"The head's mix ({d} numbers) times Wₒ is the communication update {nm.attn}.", ATTN)
        self.wait(1.6)

    def add_to_stream(self):
        self.beat("add")
        b, t, nm, post = self.trace.block, self.t, self.nm, self.nm.norm == "post"
        v = self.trace.ln1_steps.input[t]  # post-norm: the sum x + Δattn that LN₁ normalizes
        rows = [b.x[t], b.attn_out[t], b.h_attn[t]] + ([v] if post else [])
        scale = float(np.abs(np.stack(rows)).max())  # one scale: sizes compare

        def vec(values, color, label):
            return lambda box: bars(values, scale, color, label, box)

        x, a, h = vec(b.x[t], STREAM, nm.x), vec(b.attn_out[t], ATTN, nm.attn), vec(b.h_attn[t], STREAM,
                                                                                   "h = LN₁(v)" if post else nm.h)
        plus, eq = plus_node(np.zeros(3)), text("=", BODY_SIZE, INK)
        formula = text(nm.attn_step, SMALL_SIZE, INK)
        if post:
            pieces = [x, plus, a, eq, vec(v, STREAM, f"v = {nm.x} + {nm.attn}"), arrow_piece("LN₁", LN), h]
        else:
            pieces = [x, plus, a, eq, h]
        made = flow(self.lay.band, pieces, formula, lines=[pieces[:3], pieces[3:]])
        self.stream_bars = {"x": made[0], "attn": made[2], "h": made[-1], **({"v": made[4]} if post else {})}
        self.play(FadeOut(self.joined), FadeTransform(self.update, made[2]), run_time=0.8)
        self.play(FadeIn(VGroup(formula, *[m for k, m in enumerate(made) if k != 2])), run_time=0.9)
        self.swap_caption(f"{nm.attn} is added to the stream, v = {nm.x} + {nm.attn}; then LayerNorm makes it "
                          "h = LN₁(v)." if post else f"{nm.attn} is added to the stream: h = {nm.x} + {nm.attn}.",
                          STREAM)
        self.wait(1.6)
        self.swap_caption(f"“{self.tok}” now carries what it read from {before(t)}." if t else
                          f"“{self.tok}” reads only itself: its update comes from its own value.", STREAM)
        self.wait(1.4)

    def takeaway(self):
        self.beat("takeaway")
        t, tok = self.t, self.tok
        self.swap_caption(f"Attention moves information: “{tok}” mixed its own value with "
                          + ("the earlier token's value." if t == 1 else f"the {t} earlier tokens' values.") if t else
                          f"Attention moves information between tokens; “{tok}”, the only token, can read only itself."
                          if self.T == 1 else
                          f"Attention moves information between tokens; the first token reads only itself, and the "
                          f"{plural(self.T - 1, 'later token')} can read it.", RESULT)
        self.wait(2.0)

    # ---------------------------------------------------------------- pieces

    def links(self, h: int) -> VGroup:
        """Head h's arcs from the tracked token to every token shown that it reads."""
        w = {s: float(self.parts.weights[h, self.t, s]) for s in self.lay.row.readable()}
        return self.lay.row.links(w, self.lay.row.top(), self.lay.arc_h, HEAD_COLORS[h])

    def notes(self, *keys) -> list:
        """Animations that show these notes centred over the arcs (over the row before there are arcs)."""
        top = self.lay.band.top - self.dy if hasattr(self, "arcs") else \
            self.row.top() + 0.3 + self.status.group(keys, self.lay.band.width).height
        return self.status.show(keys, self.lay.band.width, self.lay.band.center[0], top)


# ---------------------------------------------------------------- layout


def plan(trace, band: Box, H: int):
    """The row of tokens (which fit, in order), the notes over it, and where the rest goes for this frame."""
    t, n_heads = trace.tracked, min(H, 2)
    row = TokenRow(trace.tokens, t, band.left, band.width, 0.0, MIN_COL, lead=ELIDE_W + LABEL_GAP)
    notes = status_notes(trace, H, row)
    dh = trace.attn_parts.values.shape[2]
    most = dh  # a square frame stacks the mixes in the join beat: they must fit there too, with the same window
    if frame().square:
        most = max(4, int((band.height - 1.35 - n_heads * LABEL_H) / n_heads / ROW_MIN))
    notes_h = notes.group([k for k in NOTES if k != "head1"], band.width).height
    return reading_layout(row, band, dh, n_heads, notes_h, most, frame().portrait), notes


def status_notes(trace, H: int, row: TokenRow) -> Notes:
    """The notes over the arcs: the head shown, the masked tokens, the tokens not shown, untrained weights."""
    t, T = trace.tracked, len(trace.tokens)
    notes = {f"head{h}": text(f"head {h + 1} of {H}" if H > 1 else "one head", NOTE_SIZE, HEAD_COLORS[h])
             for h in range(min(H, 2))}
    if T > t + 1:
        notes["masked"] = text(f"{plural(T - 1 - t, 'later token')} masked", NOTE_SIZE, MUTED)
    hidden, unread = T - len(row.sources()), t + 1 - len(row.readable())
    if hidden:
        notes["window"] = text(f"“…”: {hidden} of {T} tokens not shown" + (" (sums use all)" if unread else ""),
                               NOTE_SIZE, MUTED)
    notes["untrained"] = text("untrained weights", NOTE_SIZE, MUTED)
    return Notes(notes, NOTES)
