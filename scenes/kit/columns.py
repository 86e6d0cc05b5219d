"""The columns of a vector card (kit.vecstack): where each dimension's column, its bar and each row of numbers go,
fitted to a width (`fit_stack`). Cards built with the same StackGeometry line up column for column.
"""

from __future__ import annotations

from dataclasses import dataclass

from kit.matrices import Window, shown_indices, window
from kit.style import NOTE_SIZE, SMALL_SIZE
from kit.text import number, text

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
              high: float | None = None) -> StackGeometry:
    """The geometry of a card no wider than `width`: the largest numbers and row labels at which every column fits
    (numbers 24, 20, 18 or 17, labels 20 or 17), else the smallest with a window of the columns."""
    sizes = [(24, SMALL_SIZE), (20, SMALL_SIZE), (18, SMALL_SIZE), (NUMBER_SIZE, SMALL_SIZE), (NUMBER_SIZE, NOTE_SIZE)]
    sizes = [sz for sz in sizes if sz[0] <= max_size]
    for size, label_size in sizes:
        label_w = max(text(s, label_size).width for s in labels) + 0.15
        room = width - label_w - 2 * PAD
        col_w = float(number(-scale, places, size).width) + (0.16 if size > NUMBER_SIZE else 0.1)
        if dims * col_w <= room:
            break
    cols = window(dims, max(int(room // col_w), min_slots))
    col_w = min(max(col_w, room / len(cols)), col_w + 0.12)  # a little air when there is room
    row_h = max(ROW_H, float(number(-scale, places, size).height) + 0.14)
    return StackGeometry(dims, cols, col_w, bar_h, scale, label_w, row_h=row_h, number_size=size, places=places,
                         layers=layers, label_size=label_size, low=low, high=high)
