"""The columns of a vector card (kit.vecstack): where each dimension's column, its bar and each row of numbers go,
fitted to a width (`fit_stack`). Cards built with the same StackGeometry line up column for column. Also a plain
table of number rows under shared columns (`fit_table`, `table_row`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import LEFT, RIGHT, VGroup

from kit.matrices import Window, shown_indices, window
from kit.style import INK, MUTED, NOTE_SIZE, SMALL_SIZE
from kit.text import number, text
from kit.widgets import center_on_line, label_text

PAD = 0.12  # inside a card's panel
ROW_GAP = 0.1  # between the bars and the first row of numbers
ROW_H = 0.3  # one row of numbers
NUMBER_SIZE = 17  # numbers under the columns (the typography floor for text outside cells)
BAR_W = 0.5  # a bar's width, as a share of its column


@dataclass(frozen=True)
class StackGeometry:
    """Where a card's columns, bars and rows go (cards with equal geometry line up column for column)."""

    dims: int  # the vector's length
    cols: Window  # the dimensions shown, None for the gap ("…")
    col_w: float
    bar_h: float  # half the bar zone's height
    scale: float  # the largest |value| (the widest number)
    label_w: float  # the row labels' column, left of the bars
    row_h: float = ROW_H
    number_size: float = NUMBER_SIZE
    places: int = 2
    layers: int = 1  # how many layers a stacked card holds: each gets its own lane in the column (a waterfall)
    label_size: float = SMALL_SIZE  # the rows' labels
    low: float | None = None  # the values the bar zone spans (default ±scale): the zero line sits where 0 falls
    high: float | None = None

    @property
    def unit(self) -> float:
        """Scene units per unit of value."""
        lo, hi = (-self.scale if self.low is None else self.low), (self.scale if self.high is None else self.high)
        return 2 * self.bar_h / max(hi - lo, 1e-9)

    @property
    def up(self) -> float:
        """Height of the bar zone above the zero line."""
        return (self.scale if self.high is None else self.high) * self.unit

    @property
    def down(self) -> float:
        return 2 * self.bar_h - self.up

    @property
    def width(self) -> float:
        return self.label_w + len(self.cols) * self.col_w + 2 * PAD

    def height(self, rows: int) -> float:
        return 2 * self.bar_h + ROW_GAP + rows * self.row_h + 2 * PAD

    def col_x(self, j: int) -> float:
        """x of slot j's centre, from the panel's inner left edge."""
        return self.label_w + (j + 0.5) * self.col_w

    def row_y(self, k: int) -> float:
        """y of row k's centre, from the zero line."""
        return -(self.down + ROW_GAP + (k + 0.5) * self.row_h)

    @property
    def shown(self) -> list[int]:
        return shown_indices(self.cols)


def fit_stack(dims: int, width: float, scale: float, labels, bar_h: float = 0.45, places: int = 2,
              min_slots: int = 3, layers: int = 1, max_size: float = 24, low: float | None = None,
              high: float | None = None, gap: float | None = None, window_slots: int | None = None) -> StackGeometry:
    """The geometry of a card no wider than `width`: the largest numbers and row labels at which every column fits
    (numbers 24, 20, 18 or 17, labels 20 or 17), else the smallest with a window of the columns.

    gap: the space between two neighbouring numbers (default 0.16, 0.1 at the floor size). window_slots: take a
    window of at least this many slots at a larger size rather than shrinking the numbers until every column fits.
    """
    sizes = [(24, SMALL_SIZE), (20, SMALL_SIZE), (18, SMALL_SIZE), (NUMBER_SIZE, SMALL_SIZE), (NUMBER_SIZE, NOTE_SIZE)]
    sizes = [sz for sz in sizes if sz[0] <= max_size]

    def fit(size, label_size):
        label_w = max(text(s, label_size).width for s in labels) + 0.15
        air = gap if gap is not None else (0.16 if size > NUMBER_SIZE else 0.1)
        return label_w, width - label_w - 2 * PAD, float(number(-scale, places, size).width) + air

    fitted = {sz: fit(*sz) for sz in sizes}  # (label width, room, column width) at each size
    every = [sz for sz in sizes if window_slots is None or sz[0] >= 18]  # every column, numbers large enough
    fits = [sz for sz in every if dims * fitted[sz][2] <= fitted[sz][1]]
    if not fits and window_slots is not None:  # a window of at least window_slots slots, numbers as large as can be
        fits = [sz for sz in sizes if fitted[sz][1] // fitted[sz][2] >= window_slots]
    size, label_size = (fits or sizes[-1:])[0]
    label_w, room, col_w = fitted[size, label_size]
    cols = window(dims, max(int(room // col_w), min_slots))
    col_w = min(max(col_w, room / len(cols)), col_w + 0.12)  # a little air when there is room
    row_h = max(ROW_H, float(number(-scale, places, size).height) + 0.14)
    return StackGeometry(dims, cols, col_w, bar_h, scale, label_w, row_h=row_h, number_size=size, places=places,
                         layers=layers, label_size=label_size, low=low, high=high)


# ---------------------------------------------------------------- a table of number rows (labels | columns | one more)


@dataclass(frozen=True)
class TableGeometry:
    """Rows of numbers under shared columns: labels right-aligned in the first column, a window of the vector's
    dimensions, then one more number per row (a row statistic such as σ) in its own column."""

    cols: Window
    col_w: float
    number_size: float
    label_w: float
    label_size: float
    side_w: float  # the last column (the row statistic), with its gap
    row_h: float  # one row: its numbers' line (and its label's line above it, label_above)
    places: int = 2
    label_above: bool = False  # each label on its own line above its numbers (a narrow frame)
    line_h: float = 0.0  # the numbers' line

    @property
    def width(self) -> float:
        return self.label_w + len(self.cols) * self.col_w + self.side_w

    @property
    def shown(self) -> list[int]:
        return shown_indices(self.cols)


def fit_table(dims: int, width: float, scale: float, labels, side_w: float = 0.9, max_slots: int = 9,
              gap: float = 0.22, places: int = 2, label_above: bool = False) -> TableGeometry:
    """The largest numbers (20, else 18) and labels (20, else 17) at which a window of at least five slots (or every
    column) fits in `width`; never more than max_slots slots (fewer, wider columns read better than many).
    label_above: labels go on their own line above each row's numbers, so the numbers get the whole width."""
    for size, label_size in ((20, SMALL_SIZE), (20, NOTE_SIZE), (18, NOTE_SIZE)):
        label_w = 0.0 if label_above else max(text(s, label_size).width for s in labels) + 0.2
        col_w = float(number(-scale, places, size).width) + gap
        slots = min(int((width - label_w - side_w) // col_w), max_slots)
        if slots >= min(dims, 5):
            break
    cols = window(dims, max(slots, 3))
    line_h = float(number(-scale, places, size).height) + 0.18
    row_h = line_h + (float(text("Ag", label_size).height) + 0.06 if label_above else 0.0)
    return TableGeometry(cols, col_w, size, label_w, label_size, side_w, row_h, places, label_above, line_h)


def table_row(t: TableGeometry, values, label: str, side: float, left: float, y: float, color=INK,
              label_color=INK, side_color=INK) -> VGroup:
    """One row of a table whose left edge is at `left`, its numbers centred on y: .label, .numbers, .gaps, .side.
    The label is right-aligned in the first column, or (label_above) left-aligned on the line above."""
    if t.label_above:
        lab = label_text(label, t.label_size, t.width, label_color)
        center_on_line(lab, y + t.row_h / 2).align_to(np.array([left, 0, 0]), LEFT)
    else:
        lab = center_on_line(label_text(label, t.label_size, t.label_w - 0.2, label_color), y)
        lab.align_to(np.array([left + t.label_w - 0.2, 0, 0]), RIGHT)
    nums, gaps = VGroup(), VGroup()
    right = left + t.label_w
    for j, c in enumerate(t.cols):
        right += t.col_w
        if c is None:
            gaps.add(text("…", NOTE_SIZE, MUTED).move_to(np.array([right - t.col_w / 2, y, 0])))
            continue
        n = number(values[c], t.places, t.number_size, color)
        nums.add(n.move_to(np.array([right - t.col_w / 2 + (t.col_w - 0.22) / 2 - n.width / 2, y, 0])))
    stat = number(side, t.places, t.number_size, side_color)
    stat.move_to(np.array([right + t.side_w - stat.width / 2 - 0.05, y, 0]))
    row = VGroup(lab, nums, gaps, stat)
    row.label, row.numbers, row.gaps, row.side = lab, nums, gaps, stat
    return row
