"""Token rows: a matrix fitted to a box (a window of its rows and columns, a chosen row always in view), the
size its row labels can have, and a highlight box around one row and its label.

Shared by the lessons that follow one token through a [tokens × dimensions] tensor (layernorm, ffn).
"""

from __future__ import annotations

import numpy as np
from manim import RIGHT, UP, Rectangle, VGroup

from kit.layout import Box
from kit.matrices import CellMatrix, Window, fit_cells, window
from kit.style import BODY_SIZE, INK, MUTED, NOTE_SIZE, RESULT, SMALL_SIZE, frame
from kit.text import text
from kit.widgets import center_on_line, label_text, paragraph

LABEL_MAX_W = 1.3  # the widest a row label may be (longer ones are elided with "…")
LABEL_BUFF = 0.15  # between a label and its row's first cell (as CellMatrix places it)
SMALL_LABEL_ROW = 0.34  # rows at least this tall take SMALL_SIZE labels, lower ones NOTE_SIZE (descenders stay in)


def window_keeping(n: int, slots: int, keep=(), tail: int = 2) -> Window:
    """Like window(n, slots): the first few indices, a gap (None) and the last `tail`, but every index in `keep`
    is shown too (with a gap on each side of it where its neighbours are left out). Never more than `slots`
    entries unless `keep` alone needs more."""
    keep = sorted({int(k) for k in keep if 0 <= k < n})
    if n <= slots:
        return list(range(n))
    if not keep:
        return window(n, slots, tail)

    def laid_out(chosen: set[int]) -> Window:
        out: Window = []
        for i in sorted(chosen):
            if out and out[-1] is not None and i != out[-1] + 1 or (not out and i != 0):
                out.append(None)
            out.append(i)
        if out[-1] != n - 1:
            out.append(None)
        return out

    chosen = set(keep) | set(range(n - min(tail, max(slots - len(keep) - 2, 0)), n))
    for i in range(n):  # grow the head while it fits
        if i in chosen:
            continue
        if len(laid_out(chosen | {i})) > slots:
            break
        chosen.add(i)
    return laid_out(chosen)


def label_size_for(cell_h: float) -> float:
    """The font size of row labels for rows cell_h tall: SMALL_SIZE when they fit, else NOTE_SIZE (the floor)."""
    return SMALL_SIZE if cell_h >= SMALL_LABEL_ROW else NOTE_SIZE


def label_width_for(labels, size: float, max_width: float = LABEL_MAX_W) -> float:
    """The width of a label column: the widest label at this size, at most max_width (the rest are elided)."""
    return min(max_width, max(label_text(s, size, max_width).width for s in labels)) if labels else 0.0


def token_matrix(values, box: Box, vmax: float, labels=None, keep_row: int | None = None, places: int = 1,
                 numbers: bool = True, max_cell: float = 0.56, max_label_w: float = LABEL_MAX_W,
                 highlight: int | None = None, cells_width: float | None = None) -> CellMatrix:
    """A CellMatrix of values [R, C] with the largest legible cells that fit box (labels included), centred in it.

    Rows and columns that do not fit are elided (a "⋮" row, a "…" column); keep_row stays in view. cells_width:
    the most the cells may take across (for a second matrix of the same shape beside this one).
    """
    values = np.asarray(values, dtype=float)
    n_rows, n_cols = values.shape
    lw = label_width_for(labels, NOTE_SIZE, max_label_w) if labels is not None else 0.0
    room = lw + LABEL_BUFF if labels is not None else 0.0
    across = box.width - room if cells_width is None else min(box.width - room, cells_width)
    fit = fit_cells(n_rows, n_cols, across, box.height, numbers=numbers, places=places, max_cell=max_cell)
    size = label_size_for(fit.cell_h)
    if labels is not None:
        lw = label_width_for(labels, size, max_label_w)
        if lw + LABEL_BUFF + len(fit.cols) * fit.cell_w > box.width:  # SMALL labels took more room: back to NOTE
            size = NOTE_SIZE
            lw = label_width_for(labels, size, max_label_w)
    rows = fit.rows if keep_row is None else window_keeping(n_rows, len(fit.rows), [keep_row])
    m = CellMatrix(values, vmax, fit.cell_w, fit.cell_h, rows=rows, cols=fit.cols, labels=labels, places=places,
                   numbers=numbers, number_size=fit.number_size, label_size=size, label_width=max(lw, 0.01),
                   highlight=highlight)
    m.label_size = size
    return m.move_to(box.center)


def row_box(m: CellMatrix, r: int, with_label: bool = True, color=RESULT, pad: float = 0.06,
            stroke_width: float = 3) -> Rectangle:
    """A highlight around row r of m (and its label): exactly one row tall, so it never runs through a
    neighbouring row's label or numbers."""
    row = m.row(r)
    left = m.labels.get_left()[0] if with_label and len(m.labels) else row.get_left()[0]
    right = row.get_right()[0]
    box = Rectangle(width=right - left + 2 * pad, height=m.cell_h, color=color, stroke_width=stroke_width)
    return box.move_to(np.array([(left + right) / 2, row.get_center()[1], 0.0]))


def quoted(token: str, size: float = BODY_SIZE, share: float = 0.5) -> str:
    """“token” for a caption, the token elided with "…" to at most `share` of the safe width (a 24-letter word
    would not fit a tall frame's line)."""
    room = share * frame().safe_width - text("“”", size).width
    return f"“{label_text(token, size, room).text_info.source}”"


def token_panel(heading: str, color, trace, box: Box):
    """A heading over two columns of the sentence's tokens (left: from, right: to), fitted to box.
    Returns the panel and (left labels, right labels, shown token indices): labels indexed by token."""
    n = len(trace.tokens)
    head = paragraph(heading, SMALL_SIZE, box.width, color)
    room = box.height - head.height - 0.3
    row_h = min(0.5, room / n)
    slots = list(range(n)) if row_h >= 0.24 else window_keeping(n, int(room // 0.24), [trace.tracked])
    row_h = max(row_h, 0.24)
    size = label_size_for(row_h)
    lw = min(LABEL_MAX_W, (box.width - 1.2) / 2)
    half = float(np.clip((box.width - 2 * lw) / 2 - 0.2, 0.6, 1.6))  # from the middle to either column
    left, right, gaps = {}, {}, VGroup()
    for k, r in enumerate(slots):
        if r is None:  # tokens left out: "⋮" in both columns
            gaps.add(*[text("⋮", NOTE_SIZE, MUTED).move_to([x, -k * row_h, 0]) for x in (-half - lw / 2, half + lw / 2)])
            continue
        color_r = RESULT if r == trace.tracked else INK
        left[r] = center_on_line(label_text(trace.tokens[r], size, lw, color_r), -k * row_h)
        left[r].shift(RIGHT * (-half - left[r].get_right()[0]))
        right[r] = center_on_line(label_text(trace.tokens[r], size, lw, color_r), -k * row_h)
        right[r].shift(RIGHT * (half - right[r].get_left()[0]))
    cols = VGroup(*left.values(), *right.values(), gaps)
    head.next_to(cols, UP, buff=0.3)
    panel = VGroup(head, cols).move_to(box.center)
    return panel, (left, right, [r for r in slots if r is not None])
