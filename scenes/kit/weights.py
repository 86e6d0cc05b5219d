"""The weights a reader gives the tokens of a TokenRow (kit.tokens), and where the picture of one reader goes.

`WeightTable` draws the weights of readers (rows) for the row's tokens (columns), one cell under each token; a
cell for a later token stays empty, outlined: the causal mask. `link` draws a reader's arc to a token it reads,
thicker for a larger weight. `reading_layout` places the whole picture of one reader in a band: notes, arcs,
tokens, weights (or the matrix), value charts, mixes.
"""

from __future__ import annotations

from dataclasses import dataclass


import numpy as np
from manim import LEFT, UP, Rectangle, VGroup

from kit.flow import LABEL_H, ROW_MIN, bar_max_for, grow, vector_rows
from kit.layout import Box
from kit.matrices import Window, value_color
from kit.style import (BG, INK, MUTED, NOTE_SIZE, RESULT)
from kit.text import number, shown, text
from kit.widgets import center_on_line

from kit.tokens import (
    ELIDE_W,
    FUNNEL_H,
    LABEL_GAP,
    MIX_GAP,
    ROW_H,
    TokenRow,
    cell_number_size,
    pick_window,
    reading_priority,
    token_label,
)


class WeightTable(VGroup):
    """Readers' weights W [T, T] under a TokenRow: one row per reader in `readers` (a window; None: "⋮"), its top
    at y_top, one cell under each token of the row (a "…" under the row's "…"). A reader's cell for a later token
    stays empty and outlined (the causal mask). Readers in `numbered` show their weights; each row has its reader
    on the left (the tracked one in RESULT)."""

    def __init__(self, W, row: TokenRow, readers: Window, y_top: float, row_h: float, numbered=()):
        super().__init__()
        self.W, self.row_h, self.readers = np.asarray(W, dtype=float), row_h, list(readers)
        size = cell_number_size(row)
        self.rows, self.numbers, self._others = {}, {}, {}
        self.gaps = VGroup()
        for k, r in enumerate(self.readers):
            y = y_top - (k + 0.5) * row_h
            if r is None:
                self.gaps.add(text("⋮", NOTE_SIZE, MUTED).move_to(np.array([row.left - LABEL_GAP - 0.3, y, 0])))
                continue
            cells, nums, marks = VGroup(), VGroup(), VGroup()
            for j, c in enumerate(row.win):
                lo, hi = row.edges[j], row.edges[j + 1]
                at = np.array([(lo + hi) / 2, y, 0])
                if c is None:
                    marks.add(text("…", NOTE_SIZE, MUTED).move_to(at))
                elif c > r:  # the causal mask: an empty cell
                    cells.add(Rectangle(width=hi - lo, height=row_h, stroke_width=1, stroke_color=MUTED,
                                        stroke_opacity=0.8, fill_opacity=0).move_to(at))
                else:
                    w = self.W[r, c]
                    cells.add(Rectangle(width=hi - lo, height=row_h, stroke_width=1, stroke_color=BG, fill_opacity=1,
                                        fill_color=value_color(w, 1.0)).move_to(at))
                    if r in numbered:
                        nums.add(number(w, 2, size=size, cell=True, color=BG if w > 0.55 else INK).move_to(at))
            lab = token_label(row.tokens[r], RESULT if r == row.tracked else INK)
            lab.next_to(np.array([row.left - LABEL_GAP, y, 0]), LEFT, buff=0)
            center_on_line(lab, y)
            self.rows[r] = VGroup(cells, nums, marks, lab)
            self.numbers[r] = nums
            self.add(self.rows[r])
        self.add(self.gaps)

    def cells(self, r: int) -> VGroup:
        return self.rows[r][0]

    def label(self, r: int):
        return self.rows[r][3]

    def values_shown(self, r: int) -> list[float]:
        """The weights reader r's row shows, for the tokens it reads (in column order)."""
        return [shown(n) for n in self.numbers[r]]

    def others(self, r: int) -> VGroup:
        """Every row but reader r's, and the "⋮" marks (the same group each time)."""
        if r not in self._others:
            self._others[r] = VGroup(*[g for k, g in self.rows.items() if k != r], self.gaps)
        return self._others[r]


@dataclass
class ReadingLayout:
    """Where the picture of one reader goes in a band, top to bottom: notes (notes_h tall), arcs, the row of tokens,
    the reader's row of weights (the matrix's rows under it when shown), the value charts under the tokens, the mixes
    (side by side). Computed for the finished picture; the earlier beats may sit dy lower, centred with the matrix."""

    band: Box
    row: TokenRow
    arc_h: float
    y_weights: float  # top of the reader's row of weights
    readers: Window  # the matrix's rows (a window of the readers shown)
    chart_y: float  # centre of the value charts
    chart_h: float
    chart_half: float  # half the width of a value chart (the narrowest column's)
    mix_box: Box
    mix_rows: Window  # the window of a mix's dimensions (the same wherever a mix is shown)
    mix_row_h: float
    mix_bar: float  # a mix's longest bar
    dy: float

    def mix_at(self, k: int, n: int) -> np.ndarray:
        """Where mix k goes when n mixes share the space (its top at the mix box's top)."""
        box = self.mix_box.split([1] * n, gap=MIX_GAP, vertical=False)[k] if n > 1 else self.mix_box
        return np.array([box.center[0], self.mix_box.top - (LABEL_H + len(self.mix_rows) * self.mix_row_h) / 2, 0])

    def label_at(self, y: float) -> np.ndarray:
        """The centre of the row labels' column at height y."""
        return np.array([self.row.left - LABEL_GAP - ELIDE_W / 2, y, 0])


def reading_layout(row: TokenRow, band: Box, dim: int, n_mixes: int, notes_h: float, most_mix: int,
                   portrait: bool) -> ReadingLayout:
    """Lay out the picture of the row's reader in the band: value vectors of `dim` numbers, n_mixes mixes (at most
    most_mix of their rows shown); taller arcs in a portrait frame. What is left over goes around the value charts."""
    T, t = len(row.tokens), row.tracked
    avail = band.height - (notes_h + 0.15 + row.top() - row.bottom() + 0.1 + ROW_H + 0.2 + FUNNEL_H + LABEL_H)
    most = min(most_mix, dim)
    size = grow(avail, {"arc": 0.6, "chart": 0.45, "mix": min(dim, 4)}, {"arc": 1.0, "chart": 1.0, "mix": ROW_MIN},
                [("mix", min(6, most)), ("chart", min(0.8, 0.3 * dim)), ("arc", 1.1), ("chart", min(1.2, 0.3 * dim)),
                 ("arc", 1.6), ("mix", min(10, most)), ("chart", min(2.4, 0.3 * dim)),
                 ("arc", 3.0 if portrait else 1.8)])
    arc_h, chart_h, n = size["arc"], size["chart"], size["mix"]
    mix_row_h, mix_rows = vector_rows(dim, n * ROW_MIN)
    gap = max(0.0, avail - (arc_h + chart_h + n * ROW_MIN)) / 2
    row.shift(UP * (band.top - notes_h - 0.15 - arc_h - row.top()))
    y_weights = row.bottom() - 0.1
    chart_y = y_weights - ROW_H - 0.2 - gap - chart_h / 2
    mix_top = chart_y - chart_h / 2 - FUNNEL_H - gap
    mix_box = Box(band.left, band.right, mix_top - LABEL_H - len(mix_rows) * mix_row_h, mix_top)
    shown = row.sources()
    readers = pick_window(T, {i: 1.0 for i in shown}, int((y_weights - band.bottom) / ROW_H + 1e-6),
                          [i for i in reading_priority(T, t) if i in shown], 1.0)
    narrow = min(row.width_of(s) for s in row.readable())
    mix_w = mix_box.split([1] * n_mixes, gap=MIX_GAP, vertical=False)[0].width
    return ReadingLayout(band, row, arc_h, y_weights, readers, chart_y, chart_h, min(0.9, (narrow - 0.2) / 2), mix_box,
                         mix_rows, mix_row_h, bar_max_for(min(mix_w, 6.0)),
                         max(0.0, (y_weights - ROW_H * len(readers) - band.bottom) / 2))
