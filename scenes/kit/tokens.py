"""Tokens along a line and the links between them: who reads whom.

`TokenRow` puts a window of tokens at equal spacing along x. When a label does not fit its slot the labels take
turns on two lines, and one still too long is cut with "…"; text is never shrunk.
`link` draws a reader's link to a token it reads (an arc above the row, or a loop when it reads itself), its
thickness and opacity growing with the weight; `TokenRow.links` draws a reader's links to every token it reads, and
`TokenRow.move_to_row` animates one row of tokens into another (another window or spacing).
"""

from __future__ import annotations

import numpy as np
from manim import LEFT, RIGHT, UP, CubicBezier, FadeTransform, SurroundingRectangle, Transform, VGroup

from kit.fast import FadeIn, FadeOut
from kit.layout import line_height
from kit.matrices import Window, shown_indices, window
from kit.style import INK, MUTED, NOTE_SIZE, RESULT, SMALL_SIZE
from kit.widgets import baseline_text, label_text, set_baseline

GAP_ACROSS = 0.1  # free space between two labels written across


def row_window(n: int, width: float, min_pitch: float, max_pitch: float, keep: int | None = None) -> tuple[Window, float]:
    """Which of n tokens fit a row `width` wide at least min_pitch apart (a window with a gap when not all do; token
    `keep` is always in it, with its neighbours), and their spacing (at most max_pitch)."""
    slots = max(int(width // min_pitch), 3)
    win = window(n, slots)
    if keep is not None and keep not in win:  # the first few, the kept one and its neighbours, the last two
        fixed = {i for i in (keep - 1, keep, keep + 1, n - 2, n - 1) if 0 <= i < n}
        for head in range(slots, 0, -1):
            shown = sorted(set(range(head)) | fixed)
            win = [j for a, b in zip([None, *shown], shown) for j in ([None, b] if a is not None and b > a + 1 else [b])]
            if len(win) <= slots:
                break
    return win, min(max_pitch, width / len(win))


class TokenRow(VGroup):
    """Labels of tokens[i] for i in the window, at x0 + j·pitch (j: slot in the window), baselines on y. When a
    label does not fit its slot, the labels take turns on two lines (each may then use two slots' width, but the
    first reaches left of its slot only into `lead`, the free space there, and the last and the gap's neighbours
    not past their slots); one
    still too long is cut with "…". The tracked token is in RESULT with a box; the gap, if any, is a "…"."""

    def __init__(self, tokens, win: Window, pitch: float, x0: float, y: float, tracked: int | None = None,
                 size: float = SMALL_SIZE, lead: float = 0.0):
        super().__init__()
        self.win, self.pitch, self.x0 = list(win), pitch, x0
        widest = max(label_text(tokens[i], size, 1e9).width for i in shown_indices(self.win))
        self.lines = 1 if widest <= pitch - GAP_ACROSS or len(self.win) == 1 else 2
        room = pitch * self.lines - GAP_ACROSS  # the end labels reach past their slots only into `lead` (left)
        step = line_height(size) + 0.08
        self.labels, self.gaps, self.by_index = VGroup(), VGroup(), {}
        for j, i in enumerate(self.win):  # lines alternate by token (neighbours in adjacent slots differ; a token
            base = y - step * ((j if i is None else i) % self.lines)  # keeps its line in another window)
            if i is None:
                self.gaps.add(set_baseline(baseline_text("…", NOTE_SIZE, MUTED), base).set_x(self.x(j)))
                continue
            fits = room
            if j == 0:
                fits = min(fits, pitch - GAP_ACROSS + 2 * lead)
            if j == len(self.win) - 1 or None in self.win[max(j - 1, 0):j + 2]:  # the last, or next to the "…"
                fits = min(fits, pitch - GAP_ACROSS)
            lab = label_text(tokens[i], size, fits, RESULT if i == tracked else INK)
            self.by_index[i] = set_baseline(lab, base).set_x(self.x(j))
            self.labels.add(lab)
        self.add(self.labels, self.gaps)
        self.box = VGroup()
        if tracked is not None and tracked in self.by_index:
            self.box = SurroundingRectangle(self.by_index[tracked], color=RESULT, buff=0.06, stroke_width=2)
            self.add(self.box)

    def x(self, slot: int) -> float:
        return self.x0 + slot * self.pitch

    def x_of(self, i: int) -> float:
        """x of token i (an original index in the window)."""
        return self.x(self.win.index(i))

    def label(self, i: int):
        return self.by_index[i]

    def sources(self) -> list[int]:
        """The tokens shown (original indices, in order)."""
        return shown_indices(self.win)

    def move_to_row(self, other: TokenRow):
        """Animations that turn this row into `other` (tokens it lacks fade out, new ones fade in, the others move; a
        label cut differently cross-fades) and the mobjects to remove afterwards (then add `other`)."""
        keep = other.sources()
        gone = VGroup(*[self.label(i) for i in self.sources() if i not in keep], *self.gaps)
        targets = {i: other.label(i).copy() for i in keep}
        moves = [FadeOut(gone)]
        for i, m in targets.items():
            if i not in self.by_index:
                moves.append(FadeIn(m))
            else:
                same = self.label(i).text_info.source == m.text_info.source
                moves.append((Transform if same else FadeTransform)(self.label(i), m))
        if len(self.box) and len(other.box):
            moves.append(Transform(self.box, other.box.copy()))
        return moves, [self, *self.labels, *self.gaps, self.box, *targets.values()]

    def links(self, reader: int, weights: dict, y: float, height: float, color) -> VGroup:
        """The reader's links to the tokens it reads (weights: token index -> weight, tokens shown only), standing on
        y; the farthest arc is `height` tall, nearer ones lower, the loop onto itself lowest."""
        xr = self.x_of(reader)
        far = max([abs(xr - self.x_of(s)) for s in weights] + [1e-9])
        rise = {s: 0.45 if s == reader else 0.3 + 0.65 * abs(xr - self.x_of(s)) / far for s in weights}
        return VGroup(*[link(xr, self.x_of(s), y, height * rise[s], w, color, loop_width=min(0.4, self.pitch * 0.4))
                        for s, w in weights.items()])

    def top(self) -> float:
        """The height the links start from: above every label and the tracked token's box."""
        return max(m.get_top()[1] for m in [*self.labels, *self.box]) + 0.06


def link(x_reader: float, x_source: float, y: float, height: float, weight: float, color,
         loop_width: float = 0.35) -> CubicBezier:
    """The reader's link to a token it reads, standing on y: an arc whose top is `height` above y (a loop when the
    reader reads itself); wider and more opaque for a larger weight (0..1)."""
    a, b = np.array([x_reader, y, 0.0]), np.array([x_source, y, 0.0])
    up = UP * height / 0.75  # a cubic Bézier reaches 3/4 of its control points' height
    if abs(x_reader - x_source) < 1e-9:
        side = RIGHT * loop_width
        curve = CubicBezier(a + LEFT * loop_width * 0.15, a + up + side, a + up - side, a + RIGHT * loop_width * 0.15)
    else:
        curve = CubicBezier(a, a + up, b + up, b)
    return curve.set_stroke(color, width=1.5 + 8 * weight, opacity=0.35 + 0.65 * np.sqrt(weight))
