"""AttentionScene: attention moves information between tokens.

The tracked token reads itself and earlier tokens (causal mask) with softmax weights (untrained here); each head
mixes the tokens' value vectors by those weights; the heads' mixes, joined and projected by W_O, are the
communication update Δattn, added to the stream. Every number and bar comes from the trace (`trace.attn_parts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import DOWN, LEFT, UP, Create, FadeTransform, SurroundingRectangle, Transform, VGroup

from kit.base import TraceScene
from kit.fast import FadeIn, FadeOut
from kit.layout import Box, content_band
from kit.matrices import CellMatrix, number_box, shown_indices, window
from kit.minibars import MiniBars
from kit.names import names
from kit.style import (ATTN, ATTN_2, BG, BODY_SIZE, CELL_NUMBER_MIN, INK, LN, MUTED, NOTE_SIZE, NUMBER_SIZE,
                       RESULT, SMALL_SIZE, STREAM, frame)
from kit.text import text
from kit.flow import arrow_piece, bars, flow, wrap_in_lines
from kit.tokens import TokenRow, row_window
from kit.widgets import label_text, paragraph, plus_node, title

HEAD_COLORS = (ATTN, ATTN_2)
LABEL_W = 1.3  # the column of row labels left of the tokens (a reader's name, "value")
ROW_H = 0.3  # a row of weights (the tracked row, the matrix's rows)
PITCH_MAX = 3.6  # token spacing when there are few tokens (they still spread across the frame)
MIN_PITCH = number_box(2, CELL_NUMBER_MIN)[0] + 0.1  # a weight must fit its cell
GAP = 0.22


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


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
        self.lay = plan(tr, content_band(self.header), self.H)
        self.status, self.row = self.lay.status, self.lay.row_all
        self.play(FadeIn(self.header), run_time=0.6)
        self.play(FadeIn(self.row), run_time=0.8)
        self.swap_caption(f"Attention lets tokens read other tokens. Follow “{self.tok}”: what does it read?")
        self.wait(0.8)

    def causal_mask(self):
        self.beat("causal-mask")
        tok, t, T = self.tok, self.t, self.T
        later = VGroup(*[self.row.label(i) for i in self.row.sources() if i > t])
        dim = [later.animate.set_opacity(0.3), FadeIn(self.status["masked"])] if T > t + 1 else []
        self.swap_caption(f"“{tok}” is the only token, so it can read only itself." if T == 1 else
                          f"Causal mask: “{tok}” comes first, so it reads only itself, never the "
                          f"{plural(T - 1, 'token')} after it." if t == 0 else
                          f"Causal mask: “{tok}” reads itself and the {plural(t, 'token')} before it, never the "
                          f"{T - 1 - t} after it." if T > t + 1 else
                          f"Causal mask: “{tok}” is last, so it reads itself and "
                          + ("the token before it." if t == 1 else f"all {t} tokens before it."),
                          INK, *dim)
        self.wait(1.0)
        moves, done = self.row.move_to_row(self.lay.row)  # the masked tokens leave; the ones it reads spread out
        self.play(*moves)
        self.remove(*done)
        self.row = self.lay.row
        self.add(self.row)
        self.wait(0.4)

    def head_weights(self, h: int):
        self.beat(f"head-{h + 1}")
        tok, t = self.tok, self.t
        arcs, weights = self.links(h), weights_row(self.lay, self.parts.weights[h], self.trace)
        self.weights_rows = getattr(self, "weights_rows", []) + [weights]
        if h == 0:
            self.arcs, self.weights = arcs, weights
            notes = [self.status[k] for k in ("head0", "window") if k in self.status]
            self.play(FadeIn(VGroup(*notes)), *[Create(a) for a in arcs], run_time=1.2)
            self.play(FadeIn(weights), run_time=0.6)
            self.swap_caption(f"Head 1 has only “{tok}” itself to read: softmax gives it all the weight." if t == 0
                              else f"Head 1's softmax weights: how much “{tok}” reads each token. They sum to 1; "
                                   "thicker arcs carry more.", ATTN)
        else:
            self.play(FadeOut(self.status["head0"]), FadeIn(self.status["head1"]), Transform(self.arcs, arcs),
                      Transform(self.weights, weights), run_time=1.2)
            more = f" {self.H} heads in all; 2 are shown." if self.H > 2 else ""
            self.swap_caption((f"Head 2 also has only “{tok}” to read: all the weight again." if t == 0 else
                               "Head 2 has its own query and key weights, so it reads the same tokens differently.")
                              + more, ATTN_2)
        self.wait(1.4)

    def matrix(self):
        self.beat("matrix")
        tok, t = self.tok, self.t
        others, shift = matrix_rows(self.lay, self.parts.weights[0], self.trace)
        self.play(self.weights.animate.shift(DOWN * shift), run_time=0.6)
        lit = SurroundingRectangle(self.weights.cells, color=RESULT, buff=0.03, stroke_width=3)
        note = VGroup()
        if self.T > t + 1:
            note = text(f"rows of the {plural(self.T - 1 - t, 'later token')}: not shown", NOTE_SIZE, MUTED)
            note.next_to(lit, DOWN, buff=0.08).align_to(lit, LEFT)
        self.play(FadeIn(others), FadeIn(note), Create(lit), self.arcs.animate.set_stroke(RESULT), run_time=0.8)
        self.play(self.arcs.animate.set_stroke(ATTN), run_time=0.5)
        if t == 0:
            self.swap_caption(f"Each token has a row of weights in head 1's matrix; “{tok}” is first, so its row "
                              "holds one weight.")
        else:
            self.swap_caption(f"Head 1's matrix: a row of weights per token. The “{tok}” row lights up with its "
                              "arcs.")
            self.wait(1.4)
            self.swap_caption("The empty upper right is the causal mask: no token reads a later one.")
        self.wait(1.6)
        self.play(FadeOut(VGroup(others, lit, note)), self.weights.animate.shift(UP * shift), run_time=0.7)

    def untrained(self):
        self.beat("untrained")
        self.play(FadeIn(self.status["untrained"]), run_time=0.5)
        self.swap_caption("Untrained (random) weights: the pattern means nothing yet. Training teaches each head "
                          "what to read.", MUTED)
        self.wait(1.6)

    def weighted_sum(self, h: int):
        self.beat(f"weighted-sum-{h + 1}")
        lay, p, t, color = self.lay, self.parts, self.t, HEAD_COLORS[h]
        shown = lay.row.sources()
        scale = float(np.abs(p.values[h, : t + 1]).max())  # display scale: the longest value fills its slot
        charts = VGroup(*[lay.chart(p.values[h, s], scale, s, color) for s in shown])
        self.value_charts = getattr(self, "value_charts", []) + [dict(zip(shown, [c.copy() for c in charts]))]
        tag = VGroup(text("value =", SMALL_SIZE, color), text(f"{self.nm.ln1}·W_V", NOTE_SIZE, color))
        tag.arrange(DOWN, buff=0.1).move_to(lay.chart_label_at())  # what attention reads, per norm placement
        self.value_tag = tag.copy()
        self.play(FadeIn(charts), FadeIn(tag), run_time=0.8)
        dh, d = p.values.shape[2], p.joined.shape[1]
        self.swap_caption(f"Each token offers a value vector: its {self.nm.ln1} times W_V "
                          + (f"(head {h + 1}'s {dh} of {d} numbers)." if self.H > 1 else f"({d} numbers)."), color)
        self.wait(1.0)
        scaled = VGroup(*[c.target_for(p.weighted[h, t, s]) for c, s in zip(charts, shown)])
        self.weighted_charts = getattr(self, "weighted_charts", []) + [dict(zip(shown, scaled))]
        ghost = charts.copy().set_opacity(0.25)  # the whole values stay as a shadow behind the scaled ones
        self.add(ghost)
        tag2 = paragraph("value × weight", SMALL_SIZE, LABEL_W, color).move_to(tag)
        self.play(Transform(charts, scaled), FadeTransform(tag, tag2), run_time=1.2)
        self.swap_caption("Each value is multiplied by its weight: a token with little weight gives little.", color)
        self.wait(1.0)
        mix = lay.mix_bars(p.mixes[h, t], scale, color, h, self.n_shown)
        self.mix_bars = getattr(self, "mix_bars", []) + [mix]
        self.play(*[c.animate.move_to(mix.bars.get_center()).set_opacity(0) for c in charts],
                  FadeIn(mix), FadeOut(VGroup(tag2, ghost)), run_time=1.2)
        self.remove(charts)
        self.swap_caption(f"Added up, the weighted values make head {h + 1}'s mix for “{self.tok}”." if t else
                          f"One term: head {h + 1}'s mix for “{self.tok}” is its own value.", color)
        self.wait(1.4)

    def join_heads(self):
        self.beat("join")
        p, t, d, nm = self.parts, self.t, self.parts.joined.shape[1], self.nm
        self.play(FadeOut(VGroup(self.row, self.arcs, self.weights, self.status.group)), run_time=0.6)

        def heads(box):  # the mixes shown, one under the other, and a note on the heads not shown
            more = VGroup() if self.H <= 2 else paragraph(f"+ heads 3–{self.H} (not shown)", SMALL_SIZE, box.width,
                                                          MUTED)
            n = len(self.mix_bars)
            room = Box(0, box.width, 0, (box.height - more.height - 0.3 * n) / n)
            return VGroup(*[bars(p.mixes[h, t], m.scale_, HEAD_COLORS[h], f"head {h + 1} mix", room)
                            for h, m in enumerate(self.mix_bars)], more).arrange(DOWN, buff=0.3)

        scale = float(np.abs(p.out[t]).max())
        col, arrow, self.update = flow(self.lay.band, [heads, arrow_piece("× W_O", ATTN),
                                                       lambda box: bars(p.out[t], scale, ATTN, nm.attn, box)])
        self.joined_mixes = list(col[:-1])
        self.play(*[FadeTransform(old, new) for old, new in zip(self.mix_bars, col)], run_time=0.9)
        self.play(FadeIn(VGroup(arrow, self.update, col[-1])), run_time=0.8)
        self.joined = VGroup(col, arrow)
        self.swap_caption(f"The {self.H} heads' mixes, joined ({d} numbers) and multiplied by W_O, are the "
                          f"communication update {nm.attn}." if self.H > 1 else
                          f"The head's mix ({d} numbers) times W_O is the communication update {nm.attn}.", ATTN)
        self.wait(1.6)

    def add_to_stream(self):
        self.beat("add")
        b, t, nm = self.trace.block, self.t, self.nm
        scale = float(np.abs(np.stack([b.x[t], b.attn_out[t], b.h_attn[t]])).max())  # one scale: sizes compare
        formula = text(nm.attn_step, SMALL_SIZE, INK)
        parts = flow(self.lay.band, [lambda box: bars(b.x[t], scale, STREAM, nm.x, box), plus_node(np.zeros(3)),
                                     lambda box: bars(b.attn_out[t], scale, ATTN, nm.attn, box),
                                     arrow_piece("LN₁", LN) if nm.norm == "post" else arrow_piece("", INK),
                                     lambda box: bars(b.h_attn[t], scale, STREAM, nm.h, box)], formula)
        self.stream_bars = {"x": parts[0], "attn": parts[2], "h": parts[4]}
        self.play(FadeOut(self.joined), FadeTransform(self.update, parts[2]), run_time=0.8)
        self.play(FadeIn(VGroup(formula, parts[0], parts[1], parts[3], parts[4])), run_time=0.9)
        then = ", then LayerNorm" if nm.norm == "post" else ""
        self.swap_caption(f"{nm.attn} is added to the stream{then}: {nm.attn_step}.", STREAM)
        self.wait(1.6)
        if t:
            self.swap_caption(f"“{self.tok}” now carries what it read from earlier tokens.", STREAM)
            self.wait(1.4)

    def takeaway(self):
        self.beat("takeaway")
        self.swap_caption("Attention moves information between tokens: each takes a weighted mix of its own and "
                          "earlier tokens' values.", RESULT)
        self.wait(2.0)

    # ---------------------------------------------------------------- pieces

    def links(self, h: int) -> VGroup:
        """Head h's arcs from the tracked token to every token shown that it reads."""
        w = {s: float(self.parts.weights[h, self.t, s]) for s in self.lay.row.sources()}
        return self.lay.row.links(self.t, w, self.lay.foot, self.lay.arc_h, HEAD_COLORS[h])


# ---------------------------------------------------------------- layout


@dataclass
class Plan:
    """Where everything goes: the rows of tokens (all of them, then the ones the tracked token reads), the notes,
    the arcs' feet and height, the tracked row of weights, the value charts and the heads' mixes."""

    band: Box
    row_all: TokenRow
    row: TokenRow
    foot: float  # y where the arcs stand
    arc_h: float  # the highest arc's height
    y_weights: float  # centre of the tracked row of weights
    chart_y: float  # centre of the value charts
    chart_row: float  # height of one dimension in a value chart
    mix_box: Box
    matrix_rows: int  # how many reader rows fit in the matrix beat, the tracked one included
    status: Status

    def chart(self, values, scale, s, color) -> MiniBars:
        half = min(0.9, (self.row.pitch - 0.16) / 2)
        return MiniBars(values, scale, half, self.chart_row, color).move_to(
            np.array([self.row.x_of(s), self.chart_y, 0]))

    def chart_label_at(self):
        return np.array([self.row.x0 - self.row.pitch / 2 - 0.15 - LABEL_W / 2, self.chart_y, 0])

    def mix_bars(self, values, scale, color, h, n):
        box = self.mix_box.split([1] * n, gap=0.4, vertical=False)[h]
        return bars(values, scale, color, f"head {h + 1} mix", box).move_to(box.center)


def plan(trace, band: Box, H: int) -> Plan:
    """Lay out the scene in the band under the title, for this frame's shape and this sentence: first across (which
    tokens fit, how far apart), then down (notes, arcs, labels, weights, value charts, mixes)."""
    T, t = len(trace.tokens), trace.tracked
    dh = trace.attn_parts.values.shape[2]
    rows = []
    for n, left in ((T, 0.0), (t + 1, LABEL_W + 0.15)):  # the sentence, then the tokens read (and a label column)
        win, pitch = row_window(n, band.width - left, MIN_PITCH, PITCH_MAX, keep=t)
        x0 = band.center[0] + (left - len(win) * pitch) / 2 + pitch / 2
        rows.append(TokenRow(trace.tokens, win, pitch, x0, 0.0, tracked=t, lead=left))
    notes = status_line(band, trace, H, t + 1 - len(rows[1].sources()))
    label_h = max(r.top() - min(m.get_bottom()[1] for m in r.labels) for r in rows)
    # heights: first what must fit, then what reads better (taller arcs, more mix rows, taller value bars)
    avail = band.height - notes.group.height - 0.2 - label_h - 0.08 - ROW_H - 2 * GAP - 0.45
    arc_h, chart_row, mix_rows, mix_row = 0.7, max(0.05, min(0.15, 0.6 / dh)), min(dh, 3), 0.26
    arc_max = 3.2 if frame().portrait else 2.2
    for step in ("arcs_min", "mix", "arcs", "charts", "mix_h", "arcs_more"):
        spare = avail - (arc_h + chart_row * dh + mix_rows * mix_row)
        if spare <= 0:
            break
        if step == "arcs_min":
            arc_h = min(1.2, arc_h + spare)
        elif step == "mix":
            mix_rows = min(dh, 8, mix_rows + int(spare // mix_row))
        elif step == "arcs":
            arc_h = min(1.6, arc_h + spare)
        elif step == "charts":
            chart_row = min(0.3, 2.4 / dh, chart_row + spare / dh)
        elif step == "mix_h":
            mix_row = min(0.36, mix_row + spare / mix_rows)
        else:
            arc_h = min(arc_max, arc_h + spare)
    spare = max(0.0, avail - (arc_h + chart_row * dh + mix_rows * mix_row)) / 3  # shared by three gaps
    notes.group.move_to(np.array([band.center[0], band.top - notes.group.height / 2, 0]))
    foot = notes.group.get_bottom()[1] - 0.2 - spare - arc_h
    for r in rows:
        r.shift(UP * (foot - r.top()))
    y_weights = min(m.get_bottom()[1] for r in rows for m in r.labels) - 0.08 - ROW_H / 2
    chart_y = y_weights - ROW_H / 2 - GAP - spare - chart_row * dh / 2
    mix_top = chart_y - chart_row * dh / 2 - GAP - spare
    mix_box = Box(band.left, band.right, mix_top - 0.45 - mix_rows * mix_row - 0.05, mix_top)
    matrix_rows = int((y_weights - ROW_H / 2 - 0.35 - band.bottom) / ROW_H) + 1  # the tracked row included
    return Plan(band, rows[0], rows[1], foot, arc_h, y_weights, chart_y, chart_row, mix_box, matrix_rows, notes)


class Status(dict):
    """The notes above the arcs (head shown, masked tokens, tokens not shown, untrained), placed once."""


def status_line(band: Box, trace, H: int, hidden: int) -> Status:
    t, T = trace.tracked, len(trace.tokens)
    items = {f"head{h}": text(f"head {h + 1} of {H}" if H > 1 else "one head", NOTE_SIZE, HEAD_COLORS[h])
             for h in range(min(H, 2))}
    if T > t + 1:
        items["masked"] = text(f"{plural(T - 1 - t, 'later token')} masked", NOTE_SIZE, MUTED)
    if hidden:
        items["window"] = text(f"{hidden} of {t + 1} tokens not shown (the sums use all)", NOTE_SIZE, MUTED)
    items["untrained"] = text("untrained weights", NOTE_SIZE, MUTED)
    wrap_in_lines([m for k, m in items.items() if k != "head1"], band.width)  # head 2's note takes head 1's place
    if "head1" in items:
        items["head1"].move_to(items["head0"], aligned_edge=LEFT)
    status = Status(items)
    status.group = VGroup(*items.values())
    return status


def weights_row(lay: Plan, W, trace) -> CellMatrix:
    """The tracked token's row of a head's weights W [T, T], one cell under each token shown, with its numbers."""
    row, t = lay.row, trace.tracked
    size = max(CELL_NUMBER_MIN, min(NUMBER_SIZE, NUMBER_SIZE * (row.pitch - 0.1) / number_box(2, NUMBER_SIZE)[0]))
    m = CellMatrix(W, 1.0, row.pitch, ROW_H, rows=[t], cols=row.win, places=2, number_size=size,
                   labels=trace.tokens, label_width=LABEL_W, highlight=t)
    for n, s in zip(m.numbers, row.sources()):
        if W[t, s] > 0.55:  # dark digits on a bright cell
            n.set_color(BG)
    return m.shift(np.array([row.x0, lay.y_weights, 0]) - m.cells[0].get_center())


def matrix_rows(lay: Plan, W, trace):
    """The rows of head 1's matrix above the tracked one (a window of them when they do not all fit), no numbers;
    the masked cells (a token reading a later one) stay empty. Returns them and how far the tracked row moves."""
    t = trace.tracked
    win = window(t, lay.matrix_rows - 1) if t else []  # the readers before the tracked one
    if not win:
        return VGroup(), 0.0
    m = CellMatrix(W, 1.0, lay.row.pitch, ROW_H, rows=win, cols=lay.row.win, numbers=False,
                   labels=trace.tokens, label_width=LABEL_W)
    for r in shown_indices(win):
        for c in lay.row.sources():
            if c > r:
                m.cell(r, c).set_opacity(0)
    m.shift(np.array([lay.row.x0, lay.y_weights, 0]) - m.cells[0].get_center())
    return m, ROW_H * len(win)
