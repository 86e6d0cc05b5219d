"""Vectors and operators in a row (wide frame) or a column (tall frame), sized to fit the space they get.

`bars` makes a VectorBars that fits a box (bar length from its width, row height or a window of rows from its
height); `flow` lays out vectors and operators such as ⊕ or a labelled arrow (`arrow_piece`) across a band, sharing
what the operators leave free among the vectors; `wrap_in_lines` sets short notes in lines of a given width.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arrow, VGroup

from kit.layout import Box
from kit.matrices import VectorBars, number_box, window
from kit.style import NUMBER_SIZE, SMALL_SIZE, frame
from kit.text import text


def bars(values, scale: float, color, label: str, box: Box) -> VectorBars:
    """A VectorBars that fits box: bar length from its width, row height (or a window of rows) from its height."""
    n = len(values)
    number_w = number_box(2, NUMBER_SIZE)[0]
    bar_max = float(np.clip((box.width - 0.3 - number_w) / 2, 0.45, 1.3))
    row_h = float(np.clip((box.height - 0.5) / n, 0.25, 0.36))
    slots = max(int((box.height - 0.5) / row_h), 4)
    return VectorBars(values, scale, color, label, bar_max=bar_max, row_h=row_h, rows=window(n, slots))


def arrow_piece(label: str, color) -> VGroup:
    """An arrow along the flow (right in a wide frame, down in a tall one), with a label beside it if any."""
    tall = frame().portrait
    arrow = Arrow(UP * 0.45, DOWN * 0.45, buff=0, color=color, stroke_width=3) if tall else \
        Arrow(LEFT * 0.55, RIGHT * 0.55, buff=0, color=color, stroke_width=3)
    if not label:
        return VGroup(arrow)
    return VGroup(arrow, text(label, SMALL_SIZE, color).next_to(arrow, RIGHT if tall else UP, buff=0.1))


def wrap_in_lines(mobs, width: float, buff: float = 0.5, line_gap: float = 0.1) -> VGroup:
    """Short notes side by side, in as many lines (centred, one under the other) as the width needs."""
    lines, line, used = [], [], 0.0
    for m in mobs:
        if line and used + buff + m.width > width:
            lines.append(line)
            line, used = [], 0.0
        used += (buff if line else 0.0) + m.width
        line.append(m)
    lines.append(line)
    return VGroup(*[VGroup(*ln).arrange(RIGHT, buff=buff) for ln in lines]).arrange(DOWN, buff=line_gap)


def flow(band: Box, pieces, formula=None, buff: float = 0.3) -> VGroup:
    """Pieces in a row (wide frame) or a column (tall frame), centred in the band under an optional formula. A piece
    is a mobject, or a function box -> mobject (a vector), the functions sharing what the mobjects leave free."""
    tall = frame().portrait
    top = band.top - (formula.height + buff if formula is not None else 0.0)
    fixed = [m for m in pieces if not callable(m)]
    n = len(pieces) - len(fixed)
    if tall:
        free = top - band.bottom - sum(m.height for m in fixed) - buff * (len(pieces) - 1)
        box = Box(0, band.width, 0, free / n)
    else:
        free = band.width - sum(m.width for m in fixed) - buff * (len(pieces) - 1)
        box = Box(0, free / n, 0, top - band.bottom)
    g = VGroup(*[m(box) if callable(m) else m for m in pieces]).arrange(DOWN if tall else RIGHT, buff=buff)
    g.move_to(Box(band.left, band.right, band.bottom, top).center)
    if formula is not None:
        formula.move_to(np.array([band.center[0], band.top - formula.height / 2, 0]))
    return g
