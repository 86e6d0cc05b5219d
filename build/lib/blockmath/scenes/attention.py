"""AttentionScene: attention moves information between tokens — each token reads a weighted mix of earlier ones."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Create,
    CubicBezier,
    DashedLine,
    Dot,
    LaggedStart,
    MoveAlongPath,
    SurroundingRectangle,
    VGroup,
    interpolate_color,
    smooth,
)

from common import (
    ACCENT,
    DELTA_COLOR,
    FRAME_H,
    INK,
    MUTED,
    NEG,
    NUMBER_SIZE,
    OUT_COLOR,
    SAFE_W,
    SMALL_SIZE,
    ZERO,
    CellMatrix,
    FadeIn,
    FadeOut,
    TraceScene,
    VectorBars,
    fit,
    number,
    text,
    title,
)

# ---------------------------------------------------------------- layout constants (scene units)
HEAD_COLORS = (ACCENT, NEG)  # head 1 (arcs above the row), head 2 (arcs below); weights are never negative
ROW_Y = 0.25  # token row, centre line, while the arcs are shown
ROW_TOP_Y = 1.9  # token row, centre line, during the update beat (just under the title)
PITCH_MAX = 1.6  # token spacing when there are few tokens
ARC_H = (0.45, 1.9)  # Bezier control height of the nearest and the farthest arc (apex = 0.75 × this)
LOOP_H = 0.85  # control height of a token's loop onto itself
NUM_BUFF = 0.15  # gap between a token label and its weight numbers
LEGEND_Y = -2.6  # legend line (below the head-2 arcs, above the caption)
MATRIX_ROWS_H = 4.3  # height available to the T×T matrix rows


def head_word(h: int) -> str:
    return f"head {h + 1}"


def token_labels(tokens, tracked: int, width: float, size: float = SMALL_SIZE, min_scale: float = 0.65) -> VGroup:
    """Token labels at one common font size (shrunk so the widest fits `width`, not below min_scale × size);
    a label still too wide after that is shrunk on its own. The tracked token is highlighted."""
    labels = [text(tok, size, OUT_COLOR if i == tracked else INK) for i, tok in enumerate(tokens)]
    widest = max(lab.width for lab in labels)
    k = float(np.clip(width / widest, min_scale, 1.0))
    for lab in labels:
        lab.scale(k)
        fit(lab, width=width)
    return VGroup(*labels)


class AttentionScene(TraceScene):
    def construct(self):
        self.intro()
        self.causal_mask()
        for h in range(self.n_shown):
            self.head_arcs(h)
        self.untrained()
        self.weighted_sum()
        self.all_rows()
        self.takeaway()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        tok = self.trace.tracked_token
        self.header = title("Attention: tokens read earlier tokens",
                            "each token takes a weighted mix of the tokens before it (and itself)")
        self.build_row()
        self.play(FadeIn(self.header), run_time=0.7)
        self.play(LaggedStart(*[FadeIn(c, shift=UP * 0.1) for c in self.chips], lag_ratio=0.08, run_time=1.0),
                  FadeIn(self.focus))
        self.swap_caption(f"Follow “{tok}”: which tokens does it read, and how much?")
        self.wait(0.8)

    def causal_mask(self):
        self.beat("causal-mask")
        t = self.trace.tracked
        future = VGroup(*self.chips[t + 1:])
        if len(future):
            self.play(future.animate.set_opacity(0.25), Create(self.divider), FadeIn(self.mask_note))
            self.swap_caption("Causal mask: a token reads only itself and earlier tokens, never later ones.")
        else:
            self.swap_caption(f"Causal mask: “{self.trace.tracked_token}” is last, so it may read every token.")
        self.wait(1.2)

    def head_arcs(self, h: int):
        self.beat(f"head-{h + 1}")
        arcs, nums = self.arcs[h], self.weight_numbers[h]
        legend = VGroup(self.legend[h])
        if h == self.n_shown - 1:  # also the "(2 of H heads shown)" note, if there is one
            legend.add(*self.legend[self.n_shown:-1])
        self.play(FadeIn(legend), LaggedStart(*[Create(a) for a in arcs], lag_ratio=0.08, run_time=1.2))
        self.play(LaggedStart(*[FadeIn(n, shift=UP * 0.05 * (1 if h == 0 else -1)) for n in nums],
                              lag_ratio=0.05, run_time=0.6))
        if h == 0:
            self.swap_caption(f"Head {h + 1}: how much “{self.trace.tracked_token}” reads each token "
                              "(softmax weights, they sum to 1).")
        else:
            self.swap_caption(f"Head {h + 1} reads the same tokens with its own weights.")
        self.wait(1.5)

    def untrained(self):
        self.beat("untrained")
        self.play(FadeIn(self.legend[-1]))
        self.swap_caption("These weights are untrained (random): the pattern means nothing yet.", MUTED)
        self.wait(1.0)
        self.swap_caption("Training teaches each head which tokens matter (e.g. “it” → “animal”).", OUT_COLOR)
        self.wait(1.6)

    def weighted_sum(self):
        self.beat("weighted-sum")
        self.swap_caption(f"Information flows along the links into “{self.trace.tracked_token}”, "
                          "in proportion to the weights.")
        flows = []
        for h, arcs in enumerate(self.arcs):
            for s, arc in enumerate(arcs):
                w = float(self.trace.block.attn_weights[h, self.trace.tracked, s])
                dot = Dot(arc.get_end(), radius=0.03 + 0.11 * np.sqrt(w), color=HEAD_COLORS[h])
                path = arc.copy().reverse_direction()
                flows.append((dot, path))
        self.play(*[FadeIn(d) for d, _ in flows], run_time=0.3)
        self.play(*[MoveAlongPath(d, p, rate_func=smooth) for d, p in flows], run_time=1.5)
        self.play(*[FadeOut(d, scale=0.3) for d, _ in flows], run_time=0.3)
        self.wait(0.2)

        links = VGroup(*self.arcs, *self.weight_numbers.values(), self.legend, self.mask_note)
        self.play(FadeOut(links), run_time=0.6)
        self.play(VGroup(self.chips, self.focus, self.divider).animate.shift(UP * (ROW_TOP_Y - ROW_Y)))
        self.build_update()
        self.play(Create(self.update_arrow), FadeIn(self.update_vec), run_time=1.2)
        self.play(FadeIn(self.update_note))
        self.swap_caption(f"The mixed result is the communication update for “{self.trace.tracked_token}”.",
                          DELTA_COLOR)
        self.wait(1.8)

    def all_rows(self):
        self.beat("all-rows")
        keep = VGroup(self.chips, self.focus, self.divider, self.update_arrow, self.update_vec, self.update_note)
        self.play(FadeOut(keep))
        self.build_matrices()
        self.swap_caption(f"Every token at once: row = the reader. The “{self.trace.tracked_token}” row "
                          "holds the weights of its links.")
        self.play(FadeIn(self.matrices))
        self.play(Create(self.row_boxes))
        self.wait(1.4)
        self.swap_caption("Empty upper triangle: the causal mask (no token reads a later one).")
        self.wait(1.4)

    def takeaway(self):
        self.beat("takeaway")
        self.swap_caption("Attention moves information between tokens: each reads a weighted mix of earlier ones.",
                          OUT_COLOR)
        self.wait(2.0)

    # ---------------------------------------------------------------- layout

    def build_row(self):
        """Token chips at equal spacing; weight numbers, arcs and loops per head; mask divider and legend."""
        tr = self.trace
        T, t = len(tr.tokens), tr.tracked
        W = tr.block.attn_weights  # [H, T, T]
        self.n_shown = min(W.shape[0], len(HEAD_COLORS))  # one head above the row, one below
        self.pitch = pitch = min(PITCH_MAX, SAFE_W / T)
        xs = (np.arange(T) - (T - 1) / 2) * pitch
        self.chips = token_labels(tr.tokens, t, pitch - 0.1)
        for chip, x in zip(self.chips, xs):
            chip.move_to(np.array([x, ROW_Y, 0]))
        self.focus = SurroundingRectangle(self.chips[t], color=OUT_COLOR, buff=0.07, stroke_width=2)
        row_top = max(c.get_top()[1] for c in self.chips) + NUM_BUFF
        row_bottom = min(c.get_bottom()[1] for c in self.chips) - NUM_BUFF
        row_top, row_bottom = max(row_top, self.focus.get_top()[1] + 0.04), min(row_bottom,
                                                                                self.focus.get_bottom()[1] - 0.04)

        size = min(NUMBER_SIZE, pitch * 21)
        self.arcs, self.weight_numbers = [], {}
        for h in range(self.n_shown):
            sign = 1 if h % 2 == 0 else -1  # even heads above the row, odd heads below
            nums, arcs = [], VGroup()
            for s in range(t + 1):
                w = float(W[h, t, s])
                n = number(w, 2, size=size, color=HEAD_COLORS[h % 2])
                edge = DOWN if sign > 0 else UP
                n.move_to(np.array([xs[s], row_top if sign > 0 else row_bottom, 0]), aligned_edge=edge)
                nums.append(n)
            y_foot = (max(n.get_top()[1] for n in nums) + 0.06 if sign > 0
                      else min(n.get_bottom()[1] for n in nums) - 0.06)
            for s in range(t + 1):
                w = float(W[h, t, s])
                a, b = np.array([xs[t], y_foot, 0]), np.array([xs[s], y_foot, 0])
                if s == t:  # a loop: the token reading itself
                    up, side = UP * LOOP_H * sign, RIGHT * 0.42
                    arc = CubicBezier(a, a + up + side, a + up - side, a)
                else:
                    frac = (t - s - 1) / max(t - 1, 1)
                    up = UP * sign * (ARC_H[0] + (ARC_H[1] - ARC_H[0]) * frac)
                    arc = CubicBezier(a, a + up, b + up, b)
                arc.set_stroke(HEAD_COLORS[h % 2], width=1.5 + 9 * w, opacity=0.3 + 0.7 * np.sqrt(w))
                arcs.add(arc)
            self.arcs.append(arcs)
            self.weight_numbers[h] = nums

        # causal mask: a dashed divider after the tracked token, a note over the future tokens
        x_div = xs[t] + pitch / 2
        self.divider = DashedLine(np.array([x_div, ROW_Y + 0.4, 0]), np.array([x_div, ROW_Y - 0.4, 0]),
                                  color=MUTED, stroke_width=2, dash_length=0.08)
        self.mask_note = VGroup()
        if t + 1 < T:
            room = SAFE_W / 2 - x_div - 0.2  # the note may overhang the (few) future tokens, up to the frame edge
            note = VGroup(text("masked:", SMALL_SIZE, MUTED), text("cannot look ahead", SMALL_SIZE, MUTED))
            note.arrange(DOWN, buff=0.08)
            fit(note, width=max(room, 0.5))
            note.next_to(self.chips[t + 1:], UP, buff=0.4)
            note.set_x(max(note.get_center()[0], x_div + 0.15 + note.width / 2))
            note.set_x(min(note.get_center()[0], SAFE_W / 2 - note.width / 2))
            self.mask_note = note

        # legend: which head is where, and the honesty tag
        items = [text(f"▲ {head_word(0)}", SMALL_SIZE, HEAD_COLORS[0])]
        if self.n_shown > 1:
            items.append(text(f"▼ {head_word(1)}", SMALL_SIZE, HEAD_COLORS[1]))
        if W.shape[0] > self.n_shown:
            items.append(text(f"(2 of {W.shape[0]} heads shown)", SMALL_SIZE, MUTED))
        items.append(text("weights untrained (random)", SMALL_SIZE, MUTED))
        self.legend = VGroup(*items).arrange(RIGHT, buff=0.6)
        fit(self.legend, SAFE_W).move_to(np.array([0, LEGEND_Y, 0]))

    def build_update(self):
        """attn_out of the tracked token as bars under it, with a one-line note on how it is made."""
        tr = self.trace
        t = tr.tracked
        d = tr.block.attn_out.shape[1]
        vmax = float(np.abs(tr.block.attn_out[t]).max())  # display scale: the longest bar fills the panel
        self.update_vec = (VectorBars(tr.block.attn_out[t], vmax, DELTA_COLOR, "communication update",
                                                    row_h=min(0.34, 2.6 / d)))
        chip = self.focus
        lines = ["each head:  Σ over s  weight(s) × value(s)",
                 "value(s): token s’s LN(h), projected",
                 "(what token s offers to its readers)",
                 "the heads’ results: joined, projected" if tr.block.attn_weights.shape[0] > 1
                 else "the head’s result: projected"]
        note = VGroup(*[text(s, SMALL_SIZE, MUTED) for s in lines]).arrange(DOWN, aligned_edge=LEFT, buff=0.1)
        vec, x_chip = self.update_vec, chip.get_center()[0]
        side = LEFT if x_chip > 0 else RIGHT  # the note goes where there is more room
        fit(note, width=SAFE_W - vec.width - 0.6)
        vec.next_to(chip, DOWN, buff=0.75).set_x(x_chip)
        note.next_to(vec, side, buff=0.45)
        group = VGroup(vec, note)
        shift = (max(0.0, -SAFE_W / 2 - group.get_left()[0]) + min(0.0, SAFE_W / 2 - group.get_right()[0]))
        group.shift(RIGHT * shift)  # keep both inside the frame (the vector may then sit off the token)
        top = vec.label.get_top()
        self.update_arrow = Arrow(chip.get_bottom(), np.array([vec.label.get_center()[0], top[1] + 0.05, 0]),
                                  buff=0.05, color=DELTA_COLOR, stroke_width=3, max_tip_length_to_length_ratio=0.35)
        self.update_note = note

    def build_matrices(self):
        """One T×T weight matrix per head (no numbers: colour = weight), masked cells left empty."""
        tr = self.trace
        W = tr.block.attn_weights  # [H, T, T]
        H, T = self.n_shown, W.shape[1]
        cell = min(0.7, MATRIX_ROWS_H / T)
        mats = VGroup()
        for h in range(H):
            m = CellMatrix(W[h], tr.tokens, vmax=1.0, cell=cell, show_numbers=False, label_width=1.2)
            size = min(SMALL_SIZE, cell * 62)  # cap height + descender ≈ 0.8 × cell
            m.remove(m.labels)
            m.labels = token_labels(tr.tokens, -1, 1.2, size=size)
            for r, lab in enumerate(m.labels):
                lab.next_to(m.cells[r * T], LEFT, buff=0.12)
            m.add(m.labels)
            for r in range(T):
                for c in range(r + 1, T):  # the causal mask: nothing there
                    m.cells[r * T + c].set_fill(opacity=0).set_stroke(opacity=0)
                for c in range(r + 1):
                    w = float(W[h, r, c])
                    m.cells[r * T + c].set_fill(interpolate_color(ZERO, HEAD_COLORS[h % 2], w ** 0.6))
            cols = token_labels(tr.tokens, tr.tracked, 1.0, size=size)
            for c, lab in enumerate(cols):
                lab.rotate(np.pi / 2).next_to(m.cells[c], UP, buff=0.1)
            if h > 0:
                m.remove(m.labels)  # rows line up with head 1's matrix: its labels serve both
            head = text(head_word(h), SMALL_SIZE, HEAD_COLORS[h % 2]).next_to(cols, UP, buff=0.12)
            head.set_x(m.cells.get_center()[0])
            mats.add(VGroup(m, cols, head))
        mats.arrange(RIGHT, buff=0.6, aligned_edge=DOWN)
        fit(mats, SAFE_W, FRAME_H - 2.6)
        mats.move_to(np.array([0, -0.15, 0]))
        self.matrices = mats
        boxes = VGroup()
        for m, _, _ in mats:
            boxes.add(SurroundingRectangle(m.row(tr.tracked), color=OUT_COLOR, buff=0.03, stroke_width=3))
        self.row_boxes = boxes
