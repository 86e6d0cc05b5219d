"""Vectors and operators in a row, in lines or in a column, sized to fit the space they get.

`bars` makes a VectorBars that fits a box (bar length from its width; row height and a window of rows from its
height, never more than MAX_ROWS rows so the numbers stay apart); `flow` lays out vectors and operators such as ⊕,
"=" or a labelled arrow (`arrow_piece`) across a band — in one row when they fit, else in the given lines, else in a
column — sharing what the operators leave free among the vectors, one box size for all (same windows);
`funnel` draws lines gathering several things into one (a sum); `framed` puts a thin frame and a note around a group;
`wrap_in_lines` sets short notes in centred lines and `Notes` shows a changing set of them; `grow` shares free space
among sizes by priority.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arrow, Line, SurroundingRectangle, VGroup

from kit.layout import Box
from kit.matrices import VectorBars, number_box, window
from kit.fast import FadeIn, FadeOut
from kit.style import MUTED, NOTE_SIZE, NUMBER_SIZE, SMALL_SIZE, frame
from kit.text import text
from kit.widgets import paragraph

ROW_MIN, ROW_MAX = 0.3, 0.36  # a row of bars with its number: least and most height
MAX_ROWS = 10  # rows of numbers in one vector at most (a window of them when longer)
LABEL_H = 0.45  # a vector's label over its bars
BAR_MIN, BAR_MAX = 0.45, 1.3  # the longest bar's length: least and most


def vector_rows(n: int, height: float) -> tuple[float, list]:
    """Row height and window of rows for an n-long vector with `height` for its rows (its label not included)."""
    row_h = float(np.clip(height / n, ROW_MIN, ROW_MAX))
    return row_h, window(n, min(MAX_ROWS, max(int(height / row_h + 1e-6), 4)))


def vector_width(bar_max: float) -> float:
    """Width of a VectorBars with bars up to bar_max (both signs) and its numbers."""
    return 2 * bar_max + 0.3 + number_box(2, NUMBER_SIZE)[0]


def bar_max_for(width: float) -> float:
    """The longest bar for a vector that has `width`."""
    return float(np.clip((width - 0.3 - number_box(2, NUMBER_SIZE)[0]) / 2, BAR_MIN, BAR_MAX))


def bars(values, scale: float, color, label: str, box: Box, rows=None, row_h: float | None = None) -> VectorBars:
    """A VectorBars that fits box: bar length from its width, row height and window from its height (or given)."""
    if rows is None or row_h is None:
        row_h, rows = vector_rows(len(values), box.height - LABEL_H)
    return VectorBars(values, scale, color, label, bar_max=bar_max_for(box.width), row_h=row_h, rows=rows)


class ArrowPiece:
    """An arrow along the flow (right in a row, down in a column), with a label beside it if any."""

    def __init__(self, label: str, color):
        self.label_, self.color = label, color

    def build(self, down: bool) -> VGroup:
        arrow = Arrow(UP * 0.45, DOWN * 0.45, buff=0, color=self.color, stroke_width=3) if down else \
            Arrow(LEFT * 0.55, RIGHT * 0.55, buff=0, color=self.color, stroke_width=3)
        if not self.label_:
            return VGroup(arrow)
        return VGroup(arrow, text(self.label_, SMALL_SIZE, self.color).next_to(arrow, RIGHT if down else UP, buff=0.1))


def arrow_piece(label: str, color) -> ArrowPiece:
    return ArrowPiece(label, color)


def wrap_in_lines(mobs, width: float, buff: float = 0.4, line_gap: float = 0.1) -> VGroup:
    """Short notes side by side, in as many lines (centred, one under the other) as the width needs."""
    lines, line, used = [], [], 0.0
    for m in mobs:
        if line and used + buff + m.width > width:
            lines.append(line)
            line, used = [], 0.0
        used += (buff if line else 0.0) + m.width
        line.append(m)
    lines.append(line)
    return VGroup(*[VGroup(*ln).arrange(RIGHT, buff=buff) for ln in lines if ln]).arrange(DOWN, buff=line_gap)


def _row_width(pieces, buff: float) -> float:
    fixed = sum((p.build(False) if isinstance(p, ArrowPiece) else p).width for p in pieces if not callable(p))
    return fixed + sum(callable(p) for p in pieces) * vector_width(BAR_MIN) + buff * (len(pieces) - 1)


def flow(band: Box, pieces, formula=None, buff: float = 0.3, lines=None) -> VGroup:
    """Pieces centred in the band under an optional formula: a piece is a mobject, an arrow_piece, or a function
    box -> mobject (a vector; they share what the others leave free, one box for all). In one row when it fits a wide
    frame; else in `lines` (lists of the same pieces, each a row, one under the other) when given and they fit; else in
    a column. Returns the pieces as made, in order."""
    top = band.top - (formula.height + buff if formula is not None else 0.0)
    if not frame().portrait and _row_width(pieces, buff) <= band.width:
        lines = [pieces]
    elif not (lines and all(_row_width(ln, buff) <= band.width for ln in lines)):
        lines = None
    if lines is None:  # a column
        made = [p.build(True) if isinstance(p, ArrowPiece) else p for p in pieces]
        fixed = [m for m in made if not callable(m)]
        free = top - band.bottom - sum(m.height for m in fixed) - buff * (len(made) - 1)
        box = Box(0, band.width, 0, free / (len(made) - len(fixed)))
        made = [m(box) if callable(m) else m for m in made]
        g = VGroup(*made).arrange(DOWN, buff=buff)
    else:
        made_lines = [[p.build(False) if isinstance(p, ArrowPiece) else p for p in ln] for ln in lines]
        widths = [(band.width - sum(m.width for m in ln if not callable(m)) - buff * (len(ln) - 1))
                  / max(1, sum(callable(m) for m in ln)) for ln in made_lines]
        box = Box(0, min(widths), 0, (top - band.bottom - buff * (len(lines) - 1)) / len(lines))
        rows = [VGroup(*[m(box) if callable(m) else m for m in ln]).arrange(RIGHT, buff=buff) for ln in made_lines]
        g = VGroup(*rows).arrange(DOWN, buff=buff)
        made = [m for row in rows for m in row]
        order = [id(p) for ln in lines for p in ln]  # back to the order of `pieces`
        made = [made[order.index(id(p))] for p in pieces]
    g.move_to(Box(band.left, band.right, band.bottom, top).center)
    if formula is not None:
        formula.move_to(np.array([band.center[0], band.top - formula.height / 2, 0]))
    return VGroup(*made)


def funnel(starts, end, color, width: float = 1.5, opacity: float = 0.7) -> VGroup:
    """Lines from each start point to one end point: several things gathered into one (a sum)."""
    return VGroup(*[Line(np.asarray(s), np.asarray(end), color=color, stroke_width=width, stroke_opacity=opacity)
                    for s in starts])


def framed(group, note: str) -> VGroup:
    """group with a note under it (wrapped to its width) and a thin frame around both: VGroup(group, note, frame)."""
    lab = paragraph(note, NOTE_SIZE, group.width + 0.3, MUTED).next_to(group, DOWN, buff=0.2)
    rim = SurroundingRectangle(VGroup(group, lab), color=MUTED, buff=0.15, stroke_width=1.5, corner_radius=0.1)
    return VGroup(group, lab, rim)


class Notes(dict):
    """Short notes (key -> text) of which a changing set is on screen, in a fixed order, centred in lines."""

    def __init__(self, notes: dict, order):
        super().__init__(notes)
        self.order, self.on = [k for k in order if k in notes], []

    def group(self, keys, width: float) -> VGroup:
        """Copies of these notes as they would be set in lines `width` wide."""
        return wrap_in_lines([self[k].copy() for k in self.order if k in keys], width)

    def show(self, keys, width: float, x: float, top: float) -> list:
        """Animations that show these notes (those that exist) in lines under `top`, centred on x; others fade."""
        keys = [k for k in self.order if k in keys]
        targets = self.group(keys, width)
        targets.move_to(np.array([x, top - targets.height / 2, 0]))
        anims = [FadeOut(self[k]) for k in self.on if k not in keys]
        for k, target in zip(keys, [m for line in targets for m in line]):
            anims.append(self[k].animate.move_to(target) if k in self.on else FadeIn(self[k].move_to(target)))
        self.on = keys
        return anims

    def shown(self) -> list:
        return [self[k] for k in self.on]


def grow(avail: float, sizes: dict, cost: dict, steps) -> dict:
    """Share `avail` among sizes by priority: each step (name, goal) grows sizes[name] toward goal while the total
    (sum of sizes[k] × cost[k]) fits; sizes counted in whole units (cost > 0 and an int size) grow by whole units."""
    sizes = dict(sizes)
    for name, goal in steps:
        spare = avail - sum(v * cost[k] for k, v in sizes.items())
        if spare <= 1e-9:
            break
        step = spare / cost[name]
        sizes[name] = max(sizes[name], min(goal, sizes[name] + (int(step + 1e-6) if isinstance(sizes[name], int)
                                                               else step)))
    return sizes
