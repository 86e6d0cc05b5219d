"""Token rows: a matrix fitted to a box (a window of its rows and columns, a chosen row always in view), the
size its row labels can have, and a highlight box around one row and its label.

Shared by the lessons that follow one token through a [tokens × dimensions] tensor (layernorm, ffn). Both use the
same rules, so the same kind of matrix looks the same in each: cell numbers at READABLE size where the room
allows (columns are elided first, as "first few … last"), the same room between two matrices side by side
(`pair_cells_width`), and EDGE clearance from the frame's sides for highlight boxes.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, UP, Rectangle, VGroup

from kit.layout import Box
from kit.matrices import CellFit, CellMatrix, Window, number_box, window
from kit.style import BODY_SIZE, CELL_NUMBER_MIN, INK, MUTED, NOTE_SIZE, NUMBER_SIZE, RESULT, SMALL_SIZE, frame
from kit.text import text
from kit.widgets import center_on_line, label_text, paragraph

LABEL_MAX_W = 1.3  # the widest a row label may be (longer ones are elided with "…")
LABEL_BUFF = 0.15  # between a label and its row's first cell (as CellMatrix places it)
SMALL_LABEL_ROW = 0.34  # rows at least this tall take SMALL_SIZE labels, lower ones NOTE_SIZE (descenders stay in)
READABLE = NUMBER_SIZE  # cell numbers at least this size where the room allows (digits ~11 px at 480p)
ROW_NUMBER_MIN = 17  # rows (tokens) are elided only when their numbers would fall under this size
CELL_PAD = (0.08, 0.1)  # room around a cell's number, across and up
BIG_CELL = 0.75  # the largest cell of a matrix alone on screen (a beat with room to spare)
ASPECT = 1.6  # a cell at most this much wider than tall (unless its numbers need more)
EDGE = 0.25  # extra clearance from the safe frame's sides for rows with a highlight box


def end_window(n: int, slots: int) -> Window:
    """All of range(n) if it fits in `slots`, else the first few, a gap (None) and the last one: the window every
    token matrix uses for its columns (the last dimension stays in view, a highlight box holds the gap)."""
    if n <= slots:
        return list(range(n))
    return [*range(max(slots - 2, 1)), None, n - 1]


def readable_fit(n_rows: int, n_cols: int, width: float, height: float, places: int = 1, max_cell: float = 0.56,
                 max_number: float = NUMBER_SIZE, cols: Window | None = None) -> CellFit:
    """The largest cells (at most max_cell) for n_rows × n_cols in width × height: columns are elided (end_window)
    until their numbers can be READABLE, rows (tokens) only below ROW_NUMBER_MIN; numbers as large as the cells
    allow (CELL_NUMBER_MIN to max_number). cols: a column window chosen elsewhere (the same matrix in another beat)."""
    wr, _ = number_box(places, READABLE)
    _, hr = number_box(places, ROW_NUMBER_MIN)
    if cols is None:
        cols = end_window(n_cols, max(int(width // (wr + CELL_PAD[0])), 3))
    rows = window(n_rows, max(int(height // (hr + CELL_PAD[1])), 3))
    cell_w, cell_h = min(max_cell, width / len(cols)), min(max_cell, height / len(rows))
    cell_w = min(cell_w, max(ASPECT * cell_h, wr + CELL_PAD[0]))  # low rows: no wider than their numbers need
    return CellFit(cell_w, cell_h, number_size_for(cell_w, cell_h, places, max_number), rows, list(cols))


def number_size_for(cell_w: float, cell_h: float, places: int = 1, max_number: float = NUMBER_SIZE) -> float:
    """The largest number size (CELL_NUMBER_MIN to max_number) whose numbers fit cells this size."""
    wm, hm = number_box(places, max_number)
    return max(CELL_NUMBER_MIN, min(max_number, max_number * (cell_w - CELL_PAD[0]) / wm,
                                    max_number * (cell_h - CELL_PAD[1]) / hm))


def pair_middle() -> float:
    """The room between two token matrices side by side (a lesson's middle: μ and σ with arrows, or the network),
    the same in every lesson so that a [tokens × d] matrix gets the same window in each."""
    return 3.0 if frame().landscape else 2.0


def pair_label_width() -> float:
    """The widest row label beside two matrices side by side (narrower in a square frame; a tall frame stacks
    them)."""
    f = frame()
    return 0.9 if f.square else LABEL_MAX_W


def pair_cells_width(band: Box, labels) -> float:
    """The width each of two matrices' cells may take side by side in band (labels on the first, pair_middle
    between them, EDGE clearance on both sides)."""
    lw = label_width_for(labels, SMALL_SIZE, pair_label_width()) + LABEL_BUFF
    return (band.width - 2 * EDGE - lw - pair_middle()) / 2


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
                 highlight: int | None = None, cells_width: float | None = None, cols: Window | None = None,
                 max_number: float = NUMBER_SIZE, rows: Window | None = None) -> CellMatrix:
    """A CellMatrix of values [R, C] with the largest readable cells that fit box (labels included), centred in it.

    Columns that do not fit are elided first (first few "…" last), rows ("⋮") only when the numbers would get too
    small (readable_fit); keep_row stays in view. cells_width: the most the cells may take across (for a second
    matrix of the same shape beside this one). cols, rows: the windows (the same matrix shown in another beat).
    """
    values = np.asarray(values, dtype=float)
    n_rows, n_cols = values.shape
    lw = label_width_for(labels, NOTE_SIZE, max_label_w) if labels is not None else 0.0
    room = lw + LABEL_BUFF if labels is not None else 0.0
    across = box.width - room if cells_width is None else min(box.width - room, cells_width)
    fit = readable_fit(n_rows if rows is None else len(rows), n_cols, across, box.height, places=places,
                       max_cell=max_cell, max_number=max_number, cols=cols)
    if rows is not None and len(fit.rows) < len(rows):  # the given rows, however low they must be
        cell_h = box.height / len(rows)
        fit = CellFit(fit.cell_w, cell_h, number_size_for(fit.cell_w, cell_h, places, max_number), fit.rows, fit.cols)
    size = label_size_for(fit.cell_h)
    if labels is not None:
        lw = label_width_for(labels, size, max_label_w)
        if lw + LABEL_BUFF + len(fit.cols) * fit.cell_w > box.width:  # SMALL labels took more room: back to NOTE
            size = NOTE_SIZE
            lw = label_width_for(labels, size, max_label_w)
    if rows is None:
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


def token_panels(trace, boxes, heads) -> list:
    """Panels of the sentence's tokens in two columns each (left: from, right: to), one per box, each under its
    heading and note (heads: [(heading or headings longest first, note or None, colour)]). The panels share one
    geometry: the same row height and labels, and their first rows on one line when the boxes sit side by side.
    Returns [(panel, left labels, right labels)] (labels indexed by token) and the shown token indices."""
    n = len(trace.tokens)
    headers = []
    for (heading, note, color), box in zip(heads, boxes):
        if not isinstance(heading, str):  # choices, longest first: the first that fits on one line
            heading = next((s for s in heading if text(s, SMALL_SIZE).width <= box.width), heading[-1])
        h = VGroup(paragraph(heading, SMALL_SIZE, box.width, color))
        if note:
            h.add(paragraph(note, NOTE_SIZE, box.width, MUTED))
        headers.append(h.arrange(DOWN, buff=0.1))
    head_h = max(h.height for h in headers)
    room = min(b.height for b in boxes) - head_h - 0.3
    row_h = min(0.6, room / n)
    slots = list(range(n)) if row_h >= 0.24 else window_keeping(n, int(room // 0.24), [trace.tracked])
    row_h = max(row_h, 0.24)
    size = label_size_for(row_h)
    widest = max(label_text(trace.tokens[r], size, LABEL_MAX_W).width for r in slots if r is not None)
    lw = min(widest, (min(b.width for b in boxes) - 1.2) / 2)  # the same labels in every panel
    out = []
    for box, header in zip(boxes, headers):
        half = float(np.clip((box.width - 2 * lw) / 2 - 0.2, 0.6, 1.6))  # from the middle to either column
        left, right, gaps = {}, {}, VGroup()
        for k, r in enumerate(slots):
            if r is None:  # tokens left out: "⋮" in both columns
                gaps.add(*[text("⋮", NOTE_SIZE, MUTED).move_to([x, -k * row_h, 0]) for x in (-half - lw / 2,
                                                                                             half + lw / 2)])
                continue
            color_r = RESULT if r == trace.tracked else INK
            left[r] = center_on_line(label_text(trace.tokens[r], size, lw, color_r), -k * row_h)
            left[r].shift(RIGHT * (-half - left[r].get_right()[0]))
            right[r] = center_on_line(label_text(trace.tokens[r], size, lw, color_r), -k * row_h)
            right[r].shift(RIGHT * (half - right[r].get_left()[0]))
        cols = VGroup(*left.values(), *right.values(), gaps)
        cols.shift(UP * (box.top - head_h - 0.3 - row_h / 2))  # the first row under the tallest heading
        header.move_to([0, box.top - header.height / 2, 0])
        panel = VGroup(header, cols).shift(RIGHT * box.center[0])
        out.append((panel, left, right))
    shown = [r for r in slots if r is not None]
    block_h = head_h + 0.3 + row_h * len(slots)  # centre the panels' shared block in its box, all by the same
    for (panel, _, _), box in zip(out, boxes):
        panel.shift(DOWN * max(0.0, (box.height - block_h) / 2))
    return out, shown

