"""Vectors and matrices on screen: cell matrices and bar charts that show a window of a big tensor.

When a tensor has more rows or columns than fit at a legible size, a widget shows a window of them — the first
few and the last few — with a "…" column or a "⋮" row in the gap, instead of shrinking the numbers. `window`
picks the indices; `fit_cells` picks a cell size and the windows for a matrix in a given box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import (
    DOWN,
    LEFT,
    UP,
    AnimationGroup,
    Line,
    Rectangle,
    Transform,
    UpdateFromAlphaFunc,
    VGroup,
    interpolate_color,
)

from kit.style import (
    BG,
    CELL_NUMBER_MIN,
    INK,
    MUTED,
    NEG,
    NOTE_SIZE,
    NUMBER_SIZE,
    POS,
    RESULT,
    SMALL_SIZE,
    ZERO,
)
from kit.text import number, shown, text
from kit.widgets import center_on_line, label_text

Window = list  # indices to show, in order; None marks the gap ("…" or "⋮")


def window(n: int, slots: int, tail: int = 2) -> Window:
    """All of range(n) if it fits in `slots`, else the first few, a gap (None) and the last `tail`."""
    if n <= slots:
        return list(range(n))
    tail = min(tail, max(slots - 3, 0))
    head = max(slots - 1 - tail, 1)
    return [*range(head), None, *range(n - tail, n)]


def shown_indices(w: Window) -> list[int]:
    return [i for i in w if i is not None]


def value_color(v: float, vmax: float):
    """Diverging color: NEG for negative, ZERO for 0, POS for positive, saturating at ±vmax."""
    t = float(np.clip(v / vmax, -1.0, 1.0)) if vmax > 0 else 0.0
    return interpolate_color(ZERO, POS if t >= 0 else NEG, abs(t) ** 0.8)


def number_box(places: int, size: float) -> tuple[float, float]:
    """Width and height (scene units) of the widest number a cell may show ("-0.0" for one place)."""
    n = number(-8.8888 if places else -88, places, size)
    return float(n.width), float(n.height)


@dataclass(frozen=True)
class CellFit:
    """How a matrix fits a box: cell size, number size, and which rows and columns are shown."""

    cell_w: float
    cell_h: float
    number_size: float
    rows: Window
    cols: Window


def fit_cells(n_rows: int, n_cols: int, width: float, height: float, numbers: bool = True, places: int = 1,
              max_cell: float = 0.56, min_cell: float = 0.12) -> CellFit:
    """The largest cells (at most max_cell) that fit n_rows × n_cols into width × height with numbers at least
    CELL_NUMBER_MIN; rows or columns that still do not fit are elided (a window with a gap)."""
    if numbers:
        nw, nh = number_box(places, CELL_NUMBER_MIN)
        min_w, min_h = nw + 0.08, nh + 0.1
    else:
        min_w = min_h = min_cell
    cols = window(n_cols, max(int(width // min_w), 3))
    rows = window(n_rows, max(int(height // min_h), 3))
    cell_w = min(max_cell, width / len(cols))
    cell_h = min(max_cell, height / len(rows))
    size = NUMBER_SIZE
    if numbers:  # the largest number size that fits the cell (not above NUMBER_SIZE, not below the floor)
        w18, h18 = number_box(places, NUMBER_SIZE)
        size = max(CELL_NUMBER_MIN, min(NUMBER_SIZE, NUMBER_SIZE * (cell_w - 0.08) / w18,
                                        NUMBER_SIZE * (cell_h - 0.1) / h18))
    return CellFit(cell_w, cell_h, size, rows, cols)


class CellMatrix(VGroup):
    """A matrix of coloured cells (colour = value) with numbers, showing a window of its rows and columns.

    values: the whole [R, C] tensor; rows / cols: the window shown (default: all). Row labels sit on the left,
    one font size for all (long ones elided with "…"). Methods take original row indices.
    """

    def __init__(self, values, vmax: float, cell_w: float, cell_h: float | None = None, *, rows: Window = None,
                 cols: Window = None, labels=None, places: int = 1, numbers: bool = True,
                 number_size: float = NUMBER_SIZE, label_size: float = SMALL_SIZE, label_width: float = 1.3,
                 highlight: int | None = None, **kwargs):
        super().__init__(**kwargs)
        values = np.asarray(values, dtype=float)
        cell_h = cell_w if cell_h is None else cell_h
        self.vmax, self.places = vmax, places
        self.row_window = list(range(values.shape[0])) if rows is None else list(rows)
        self.col_window = list(range(values.shape[1])) if cols is None else list(cols)
        self.rows_shown, self.cols_shown = shown_indices(self.row_window), shown_indices(self.col_window)
        self.cells, self.numbers, self.gaps = VGroup(), VGroup(), VGroup()
        self._at: dict[tuple[int, int], int] = {}
        for i, r in enumerate(self.row_window):
            for j, c in enumerate(self.col_window):
                center = np.array([j * cell_w, -i * cell_h, 0.0])
                if r is None or c is None:  # the gap: "⋮" under each column, "…" along each row, "⋱" where both
                    mark = "⋱" if r is None and c is None else ("⋮" if r is None else "…")
                    self.gaps.add(text(mark, NOTE_SIZE, MUTED).move_to(center))
                    continue
                sq = Rectangle(width=cell_w, height=cell_h, stroke_width=1, stroke_color=BG, fill_opacity=1,
                               fill_color=value_color(values[r, c], vmax)).move_to(center)
                self._at[r, c] = len(self.cells)
                self.cells.add(sq)
                if numbers:
                    self.numbers.add(number(values[r, c], places, size=number_size, cell=True).move_to(center))
        self.labels = VGroup()
        for i, r in enumerate(self.row_window):
            if labels is not None and r is not None:
                lab = label_text(labels[r], label_size, label_width, RESULT if r == highlight else INK)
                lab.next_to(np.array([-cell_w / 2, -i * cell_h, 0.0]), LEFT, buff=0.15)
                self.labels.add(center_on_line(lab, -i * cell_h))
        self.cell_w, self.cell_h = cell_w, cell_h
        self.add(self.cells, self.numbers, self.gaps, self.labels)

    # ---------------------------------------------------------------- access by original index

    def cell(self, r: int, c: int) -> Rectangle:
        return self.cells[self._at[r, c]]

    def row(self, r: int) -> VGroup:
        return VGroup(*[self.cells[self._at[r, c]] for c in self.cols_shown])

    def row_numbers(self, r: int) -> VGroup:
        return VGroup(*[self.numbers[self._at[r, c]] for c in self.cols_shown]) if len(self.numbers) else VGroup()

    def label(self, r: int):
        return self.labels[self.rows_shown.index(r)]

    def values_shown(self) -> np.ndarray:
        """The numbers on screen, [shown rows, shown columns] (compare with values[rows_shown][:, cols_shown])."""
        return np.array([shown(n) for n in self.numbers]).reshape(len(self.rows_shown), len(self.cols_shown))

    # ---------------------------------------------------------------- changing values

    def target_for(self, values, rows=None) -> CellMatrix:
        """A copy showing new values (colors and numbers) in the same place; for Transform."""
        target = self.copy()
        values = np.asarray(values, dtype=float)
        for r in (self.rows_shown if rows is None else rows):
            for c in self.cols_shown:
                k = self._at[r, c]
                target.cells[k].set_fill(value_color(values[r, c], self.vmax))
                if len(target.numbers):
                    target.numbers[k].set_value(values[r, c]).move_to(target.cells[k])
        return target

    def animate_to(self, values, rows=None) -> AnimationGroup:
        """Recolor the cells smoothly; the numbers switch to their new values halfway (no garbled glyph morphs)."""
        target = self.target_for(values, rows)
        switched = []

        def switch(_, alpha):
            if alpha >= 0.5 and not switched:
                switched.append(True)
                for n, t in zip(self.numbers, target.numbers):
                    if shown(n) != shown(t):
                        n.set_value(t.get_value()).move_to(t)

        return AnimationGroup(Transform(self.cells, target.cells), UpdateFromAlphaFunc(self.numbers, switch))


class VectorBars(VGroup):
    """A vector as horizontal bars (one row per dimension, a window of them if many) with its values on the right;
    updated in place by set_values (cheap enough for every frame)."""

    def __init__(self, values, scale: float, color, label: str | None = None, bar_max: float = 1.4,
                 row_h: float = 0.36, places: int = 2, rows: Window = None, number_size: float = NUMBER_SIZE,
                 label_size: float = SMALL_SIZE, **kwargs):
        super().__init__(**kwargs)
        values = np.asarray(values, dtype=float)
        self.scale_, self.bar_max, self.color_ = scale, bar_max, color  # scale: the value that fills bar_max
        self.row_window = list(range(len(values))) if rows is None else list(rows)
        self.dims = shown_indices(self.row_window)
        n = len(self.row_window)
        self.axis = Line(UP * row_h * n / 2, DOWN * row_h * n / 2, color=MUTED, stroke_width=2)
        self.axis_length = self.axis.get_length()
        self.bars, self.numbers, self.gaps = VGroup(), VGroup(), VGroup()
        for i, d in enumerate(self.row_window):
            y = (n / 2 - i - 0.5) * row_h
            if d is None:
                self.gaps.add(text("⋮", NOTE_SIZE, MUTED).move_to(np.array([bar_max + 0.45, y, 0])))
                continue
            bar = Rectangle(width=0.01, height=row_h * 0.7, stroke_width=0, fill_opacity=0.9, fill_color=color)
            self.bars.add(bar.move_to(np.array([0, y, 0])))
            self.numbers.add(number(values[d], places, size=number_size))
        self.number_w = max((n.width for n in self.numbers), default=0.0)  # numbers end here: decimal points align
        self.number_w = max(self.number_w, number_box(places, number_size)[0])
        for gap in self.gaps:
            gap.set_x(bar_max + 0.2 + self.number_w / 2)
        self.add(self.axis, self.bars, self.numbers, self.gaps)
        self.label = None
        if label:
            self.label = label_text(label, label_size, 2 * bar_max + 1.2, color)
            self.add(self.label.next_to(self.axis, UP, buff=0.2))
        self.set_values(values)

    def bar_width(self, v: float) -> float:
        return max(abs(v) / self.scale_ * self.bar_max, 1e-3)

    def set_values(self, values, shown=None):
        """Resize bars and update numbers to new values (cheap: no new glyphs, colors set only on a sign change).

        Works in the panel's current size: k is how much the panel was scaled since it was built. shown: the values
        the numbers show instead (e.g. while bars glide between two rows of the trace, the numbers show one of them).
        """
        k = self.axis.get_length() / self.axis_length
        x0 = self.axis.get_center()[0]
        neg = interpolate_color(self.color_, BG, 0.45)
        for bar, num, d in zip(self.bars, self.numbers, self.dims):
            v = float(values[d])
            lo, hi = bar.points.min(axis=0), bar.points.max(axis=0)
            w, y = self.bar_width(v) * k, (lo[1] + hi[1]) / 2
            left = x0 if v >= 0 else x0 - w
            bar.points[:, 0] = left + (bar.points[:, 0] - lo[0]) * (w / (hi[0] - lo[0]))
            if getattr(bar, "negative", None) != (v < 0):
                bar.set_fill(neg if v < 0 else self.color_)
                bar.negative = v < 0
            num.set_value(v if shown is None else float(shown[d])).place(np.array([x0 + (self.bar_max + 0.2) * k + self.number_w * k - num.width / 2, y, 0]))
        return self

    def values_shown(self) -> list[float]:
        return [shown(n) for n in self.numbers]

    def animate_values(self, frames) -> UpdateFromAlphaFunc:
        """Step through precomputed rows of values (e.g. the core's λ grid) over the animation."""
        frames = np.asarray(frames, dtype=float)

        def step(mob, alpha):
            mob.set_values(frames[min(int(round(alpha * (len(frames) - 1))), len(frames) - 1)])

        return UpdateFromAlphaFunc(self, step)

