"""Tokens in reading order, the weights a reader gives them, and the links between them: who reads whom.

`TokenRow` writes a window of a sentence's tokens on one line, in order, each in its own column (a "…" column
where tokens are left out). Every token but the tracked one is cut with "…" to the same width wherever it is
written (`token_label`); the tracked token is never cut (`whole_label` breaks it over lines instead). The tokens
after the tracked one can be shown masked (greyed on a shaded band). The weights under the tokens, the links and
the layout of a whole reading are in kit.weights.
"""

from __future__ import annotations


import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, CubicBezier, Line, Rectangle, SurroundingRectangle, VGroup

from kit.layout import line_height
from kit.matrices import Window, number_box, shown_indices
from kit.style import CELL_NUMBER_MIN, INK, MUTED, NOTE_SIZE, NUMBER_SIZE, PANEL, RESULT, SMALL_SIZE
from kit.text import text
from kit.widgets import _cut_points, baseline_of, baseline_text, label_text, set_baseline

ELIDE_W = 1.3  # a token (but the tracked one) is cut with "…" to this width, the same cut in every row and column
GAP_X = 0.2  # the least free space between two tokens of a row
LABEL_GAP = 0.15  # between a table's row labels and its first column
ROW_H = 0.3  # a row of weights
FUNNEL_H = 0.4  # the lines gathering the weighted values into a mix
MIX_GAP = 0.4  # between two mixes side by side


def token_label(token: str, color=INK, size: float = SMALL_SIZE):
    """A token as every row, column and label writes it: cut with "…" to ELIDE_W (the same cut everywhere)."""
    return label_text(token, size, ELIDE_W, color)


def whole_label(token: str, max_width: float, color=RESULT, size: float = SMALL_SIZE) -> VGroup:
    """A token never cut: on as many lines as max_width needs (broken between characters), the last line's
    baseline at y = 0 and the others above it. `.source` is the token."""
    lines, rest = [], token
    while rest:
        cuts = [c for c in _cut_points(rest) if baseline_text(rest[:c], size).width <= max_width]
        if baseline_text(rest, size).width <= max_width or not cuts:
            lines.append(rest)
            break
        lines.append(rest[:cuts[-1]])
        rest = rest[cuts[-1]:]
    step = line_height(size) + 0.04
    g = VGroup(*[set_baseline(baseline_text(s, size, color), (len(lines) - 1 - k) * step) for k, s in enumerate(lines)])
    for m in g:
        m.set_x(0)
    g.source = token
    return g


def pick_window(n: int, widths: dict, budget: float, priority, gap_w: float) -> Window:
    """The indices (among 0..n-1) to show, in order, with None where some are left out: taken in `priority` order
    while their widths and the gaps' widths fit the budget (the first always)."""
    chosen: list[int] = []

    def cost(idx):
        idx = sorted(idx)
        gaps = (idx[0] > 0) + (idx[-1] < n - 1) + sum(b > a + 1 for a, b in zip(idx, idx[1:]))
        return sum(widths[i] for i in idx) + gaps * gap_w

    for i in priority:
        if chosen and cost([*chosen, i]) > budget:
            break
        chosen.append(i)
    idx, win = sorted(chosen), []
    for k, i in enumerate(idx):
        if (k == 0 and i > 0) or (k and i > idx[k - 1] + 1):
            win.append(None)
        win.append(i)
    return win + ([None] if idx[-1] < n - 1 else [])


def reading_priority(n: int, tracked: int) -> list[int]:
    """Which tokens matter most to a reader at `tracked`: itself, the next one (to show the mask), the first, then
    the ones before it nearest first, then the later ones."""
    order = [tracked, tracked + 1, 0, *range(tracked - 1, 0, -1), *range(tracked + 2, n)]
    return [i for k, i in enumerate(order) if 0 <= i < n and i not in order[:k]]


class TokenRow(VGroup):
    """A window of tokens on one line (baselines on y), in order, in columns between `left` and `left + width`,
    centred there but leaving `lead` free on the left (for row labels). Each column is as wide as its token plus
    GAP_X (at least min_col); when there is room the narrowest columns widen first (up to max_pitch), so the columns
    tend to one width. The tracked token is whole, in RESULT, boxed; a "…" column stands for tokens left out."""

    def __init__(self, tokens, tracked: int, left: float, width: float, y: float, min_col: float,
                 max_pitch: float = 2.2, lead: float = 0.0, size: float = SMALL_SIZE):
        super().__init__()
        T = len(tokens)
        self.tokens, self.tracked = list(tokens), tracked
        centre, width, left = left + width / 2, width - lead, left + lead
        labels = {i: whole_label(tok, max(ELIDE_W, width / 2 - GAP_X), RESULT, size) if i == tracked
                  else token_label(tok, INK, size) for i, tok in enumerate(tokens)}
        col = {i: max(min_col, m.width + GAP_X + (0.12 if i == tracked else 0.0)) for i, m in labels.items()}
        gap_w = 0.45
        self.win = pick_window(T, col, width, reading_priority(T, tracked), gap_w)
        widths = np.array([col[i] if i is not None else gap_w for i in self.win])
        tok = np.array([i is not None for i in self.win])
        room = min(width - gap_w * (~tok).sum(), max_pitch * tok.sum())  # the narrow columns widen first
        lo, hi = 0.0, max_pitch
        for _ in range(40):
            level = (lo + hi) / 2
            lo, hi = (level, hi) if np.maximum(widths[tok], level).sum() <= room else (lo, level)
        widths[tok] = np.maximum(widths[tok], lo)
        x = max(left, centre - widths.sum() / 2)
        self._edges = x + np.concatenate([[0.0], np.cumsum(widths)])  # where the columns were made
        self._made_at = None
        self.labels, self.gaps, self.by_index = VGroup(), VGroup(), {}
        for j, i in enumerate(self.win):
            if i is None:
                self.gaps.add(set_baseline(baseline_text("…", NOTE_SIZE, MUTED), y).set_x(self.x(j)))
                continue
            lab = labels[i]
            lab.shift(UP * (y - (baseline_of_group(lab)))).set_x(self.x(j))
            self.by_index[i] = lab
            self.labels.add(lab)
        self.box = SurroundingRectangle(self.by_index[tracked], color=RESULT, buff=0.06, stroke_width=2)
        later = [j for j, i in enumerate(self.win) if j > self.win.index(tracked)]
        bottom = min(m.get_bottom()[1] for m in [*self.labels, self.box])
        self.mask_band = VGroup()  # the masked tokens' background (shown by mask())
        if later:
            self.mask_band = Rectangle(width=self.edges[later[-1] + 1] - self.edges[later[0]] - 0.04,
                                       height=self.top() - 0.06 - bottom + 0.04, stroke_width=1, stroke_color=MUTED,
                                       fill_color=PANEL, fill_opacity=1)
            self.mask_band.move_to(np.array([(self.edges[later[0]] + self.edges[later[-1] + 1]) / 2,
                                             (self.top() - 0.06 + bottom) / 2, 0])).set_opacity(0)
        self.add(self.mask_band, self.labels, self.gaps, self.box)
        self._made_at = self.box.get_center()[0]

    @property
    def edges(self) -> np.ndarray:
        """Column j spans edges[j]..edges[j + 1] (wherever the row was moved since)."""
        return self._edges if self._made_at is None else self._edges + (self.box.get_center()[0] - self._made_at)

    # ---------------------------------------------------------------- geometry

    def x(self, slot: int) -> float:
        return float(self.edges[slot] + self.edges[slot + 1]) / 2

    def x_of(self, i: int) -> float:
        """x of token i (an original index in the window)."""
        return self.x(self.win.index(i))

    def width_of(self, i: int) -> float:
        j = self.win.index(i)
        return float(self.edges[j + 1] - self.edges[j])

    @property
    def left(self) -> float:
        return float(self.edges[0])

    @property
    def right(self) -> float:
        return float(self.edges[-1])

    def label(self, i: int):
        return self.by_index[i]

    def sources(self) -> list[int]:
        """The tokens shown (original indices, in order)."""
        return shown_indices(self.win)

    def readable(self) -> list[int]:
        """The tokens shown that the tracked token reads: itself and those before it."""
        return [i for i in self.sources() if i <= self.tracked]

    def top(self) -> float:
        """The height the links start from: above every label and the tracked token's box."""
        return max(m.get_top()[1] for m in [*self.labels, self.box]) + 0.06

    def bottom(self) -> float:
        return min(m.get_bottom()[1] for m in [*self.labels, self.box, *self.gaps])

    # ---------------------------------------------------------------- the mask and the links

    def mask(self) -> list:
        """Animations that mask the tokens after the tracked one: greyed, on a shaded band."""
        later = VGroup(*[self.by_index[i] for i in self.sources() if i > self.tracked])
        if not len(self.mask_band):
            return []
        return [self.mask_band.animate.set_fill(opacity=1).set_stroke(opacity=1), later.animate.set_color(MUTED)]

    def reach(self, label: str, color=RESULT) -> VGroup:
        """A bracket under the tokens the tracked one reads (itself and those before it), with a note under it."""
        lo, hi, y = self.edges[0] + 0.05, self.edges[self.win.index(self.tracked) + 1] - 0.05, self.bottom() - 0.1
        bracket = VGroup(Line([lo, y + 0.1, 0], [lo, y, 0]), Line([lo, y, 0], [hi, y, 0]),
                         Line([hi, y, 0], [hi, y + 0.1, 0]))
        bracket.set_stroke(color, width=2)
        note = text(label, NOTE_SIZE, color).next_to(bracket, DOWN, buff=0.08)
        note.set_x(float(np.clip((lo + hi) / 2, self.left + note.width / 2, self.right - note.width / 2)))
        return VGroup(bracket, note)

    def links(self, weights: dict, y: float, height: float, color) -> VGroup:
        """The tracked token's links to the tokens it reads (weights: token index -> weight, tokens shown only),
        standing on y; the farthest arc is `height` tall, nearer ones lower, the loop onto itself lowest."""
        xr = self.x_of(self.tracked)
        far = max([abs(xr - self.x_of(s)) for s in weights] + [1e-9])
        rise = {s: 0.45 if s == self.tracked else 0.3 + 0.65 * abs(xr - self.x_of(s)) / far for s in weights}
        loop = min(0.4, self.width_of(self.tracked) * 0.4)
        return VGroup(*[link(xr, self.x_of(s), y, height * rise[s], w, color, loop_width=loop)
                        for s, w in weights.items()])


def baseline_of_group(lab) -> float:
    """The baseline of a label (a token_label, or a whole_label's last line)."""
    return baseline_of(lab[-1] if isinstance(lab, VGroup) and hasattr(lab, "source") else lab)


def label_source(lab) -> str:
    """The text a token label stands for (a whole_label's token, or what a token_label says)."""
    return lab.source if hasattr(lab, "source") else lab.text_info.source


def cell_number_size(row: TokenRow, places: int = 2) -> float:
    """The largest number size (NUMBER_SIZE at most, CELL_NUMBER_MIN at least) that fits the narrowest column."""
    narrow = min(row.width_of(i) for i in row.sources())
    return max(CELL_NUMBER_MIN, min(NUMBER_SIZE, NUMBER_SIZE * (narrow - 0.1) / number_box(places, NUMBER_SIZE)[0]))


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
