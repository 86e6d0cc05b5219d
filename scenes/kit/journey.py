"""The block lesson's stations: the components a vector card goes through (LayerNorm, attention, the MLP), the
branch paths and what attention and the MLP read (`reads_table`, `reads_chips`, `hidden_strip`). Where they go in
the frame is `kit.stage`; the card itself is `kit.vecstack.VectorStack`.
"""

from __future__ import annotations


import numpy as np
from kit.columns import NUMBER_SIZE
from kit.matrices import CellMatrix, Window, window
from kit.style import ATTN, INK, MUTED, NOTE_SIZE, RESULT, SMALL_SIZE
from kit.text import number, text
from kit.vecstack import VectorStack
from kit.widgets import center_on_line, label_text, plus_node
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    CubicBezier,
    Dot,
    RoundedRectangle,
    VGroup,
    VMobject,
)


FRAME_PAD = 0.12  # a station's frame around its card


def station_box(card: VectorStack, color, title: str, size: float = SMALL_SIZE, rows: int | None = None) -> VGroup:
    """The component a card goes through: a frame around the card (as it will be with `rows` rows) and its name
    above its top-left corner."""
    panel = card.panel if rows is None else card.panel_for(rows)
    frame = RoundedRectangle(width=panel.width + 2 * FRAME_PAD, height=panel.height + 2 * FRAME_PAD, corner_radius=0.14,
                             stroke_color=color, stroke_width=4, fill_opacity=0).move_to(panel)
    name = text(title, size, color).next_to(frame, UP, buff=0.08).align_to(frame, LEFT)
    g = VGroup(frame, name)
    g.frame, g.title = frame, name
    return g


def branch_paths(panel, branch_y: float, stream_y: float, color) -> VGroup:
    """A branch around a card on the stream: the fork (left of the card) up to branch_y and into the branch card's
    left side, and from its right side down into a ⊕ on the stream (right of the card)."""
    left, right = panel.get_left()[0], panel.get_right()[0]
    xf, xp, yb, ys = left - 0.3, right + 0.38, branch_y, stream_y
    up = VMobject(stroke_color=color, stroke_width=3).set_points_as_corners(
        [np.array([xf, ys, 0]), np.array([xf, yb, 0]), np.array([left, yb, 0])])
    down = VMobject(stroke_color=color, stroke_width=3).set_points_as_corners(
        [np.array([right, yb, 0]), np.array([xp, yb, 0]), np.array([xp, ys + 0.2, 0])])
    tip = Arrow(np.array([xp, ys + 0.6, 0]), np.array([xp, ys + 0.2, 0]), buff=0, color=color, stroke_width=3,
                tip_length=0.14, max_tip_length_to_length_ratio=0.5)
    return VGroup(up, down, tip, Dot(np.array([xf, ys, 0]), radius=0.07, color=color),
                  plus_node(np.array([xp, ys, 0]), 0.2))


def strip_links(panel, strip, vertical: bool, color) -> tuple[VMobject, VMobject]:
    """Two arrows between a card's panel and a strip beside it (or above it, vertical): into the strip and back."""
    if vertical:
        a, b = panel.get_top(), strip.get_bottom()
        ends = [((b[0] - 0.25, a[1]), (b[0] - 0.25, b[1])), ((b[0] + 0.25, b[1]), (b[0] + 0.25, a[1]))]
        buff = 0.05
    else:
        a, b = panel.get_left(), strip.get_right()
        ends = [((a[0], b[1] + 0.1), (b[0], b[1] + 0.1)), ((b[0], b[1] - 0.1), (a[0], b[1] - 0.1))]
        buff = 0.08
    into, back = [Arrow(np.array([*p, 0]), np.array([*q, 0]), buff=buff, color=color, stroke_width=3,
                        max_tip_length_to_length_ratio=0.4) for p, q in ends]
    return into, back


def reads_table(tokens, tracked: int, weights, vectors, rows: Window, vmax: float, strip_cols: Window | None,
                heading: str, label_w: float = 1.2) -> VGroup:
    """What attention reads for the tracked token: a row per earlier token (a window of them) with its weight and,
    unless strip_cols is None, a strip of its vector. .ends: where each row's arc starts (right of the row)."""
    pitch = 0.34
    labels, nums, gaps, ends = VGroup(), VGroup(), VGroup(), []
    for i, r in enumerate(rows):
        y = -i * pitch
        if r is None:
            gaps.add(text("⋮", NOTE_SIZE, MUTED).move_to(np.array([label_w + 0.35, y, 0])))
            continue
        lab = label_text(tokens[r], SMALL_SIZE, label_w, RESULT if r == tracked else INK)
        center_on_line(lab, y).align_to(np.array([label_w, 0, 0]), RIGHT)
        labels.add(lab)
        nums.add(number(weights[r], 2, NUMBER_SIZE, INK).move_to(np.array([label_w + 0.4, y, 0])))
    parts = VGroup(labels, nums)
    right = label_w + 0.7
    strip = VGroup()
    if strip_cols is not None:
        strip = CellMatrix(np.asarray(vectors), vmax, 0.1, 0.24, rows=rows, cols=strip_cols, numbers=False)
        strip.stretch_to_fit_height(pitch * (len(rows) - 1) + 0.24)
        strip.move_to(np.array([label_w + 0.8 + strip.width / 2, -(len(rows) - 1) * pitch / 2, 0]))
        right = strip.get_right()[0]
        parts.add(strip)
    for i, r in enumerate(rows):
        if r is not None:
            ends.append(np.array([right + 0.05, -i * pitch, 0]))
    head = text(heading, NOTE_SIZE, MUTED).next_to(parts, UP, buff=0.15).align_to(labels, LEFT)
    g = VGroup(head, labels, nums, strip, gaps)
    g.heading, g.labels, g.weights, g.strip = head, labels, nums, strip
    g.rows = [r for r in rows if r is not None]
    g.ends = VGroup(*[VMobject().set_points_as_corners([e, e + RIGHT * 1e-3]).set_stroke(width=0) for e in ends])
    g.add(g.ends)
    return g


def reads_chips(tokens, tracked: int, weights, slots: int, max_width: float, label_w: float = 0.9) -> VGroup:
    """What attention reads, on one line: a chip (token, weight) per earlier token, a window of them with "…" if
    they do not fit in max_width. .ends: the bottom centre of each chip (where its arc starts); .rows, .weights."""
    n = len(weights)
    while True:
        rows = window(n, slots)
        chips = VGroup()
        for r in rows:
            if r is None:
                chips.add(text("…", SMALL_SIZE, MUTED))
                continue
            lab = label_text(tokens[r], SMALL_SIZE, label_w, RESULT if r == tracked else INK)
            num = number(weights[r], 2, NUMBER_SIZE, INK)
            chip = VGroup(lab, num).arrange(RIGHT, buff=0.08)
            center_on_line(lab, 0)
            num.set_y(0)
            chip.weight = num
            chips.add(chip)
        chips.arrange(RIGHT, buff=0.25)
        if chips.width <= max_width or slots <= 3:
            break
        slots -= 1
    g = VGroup(chips)
    g.rows = [r for r in rows if r is not None]
    g.weights = VGroup(*[c.weight for c in chips if hasattr(c, "weight")])
    g.chips = VGroup(*[c for c in chips if hasattr(c, "weight")])
    ends = [c.get_bottom() + DOWN * 0.05 for c in g.chips]
    g.ends = VGroup(*[VMobject().set_points_as_corners([e, e + RIGHT * 1e-3]).set_stroke(width=0) for e in ends])
    g.add(g.ends)
    return g


def arcs_into(starts, ends, weights, color, leave=RIGHT, arrive=RIGHT) -> VGroup:
    """Curves from each start point to its end (one end for all, or one each), leaving along `leave` and arriving
    along `arrive`; thicker and more opaque for larger weights (weights in [0, 1])."""
    arcs = VGroup()
    ends = [ends] * len(starts) if np.ndim(ends) == 1 else ends
    for s, e, w in zip(starts, ends, weights):
        s, e = np.asarray(s, float), np.asarray(e, float)
        reach = min(0.5, np.linalg.norm(e - s) / 3)
        arcs.add(CubicBezier(s, s + leave * reach, e - arrive * reach, e, stroke_color=color,
                             stroke_width=1 + 6 * float(w), stroke_opacity=0.35 + 0.65 * float(w)))
    return arcs


def hidden_strip(values, vmax: float, width: float, inline: bool = False) -> VGroup:
    """The MLP's hidden layer for one token (after GELU) as a strip of coloured cells (a window if wide), its
    heading above it (or before it on the same line, inline; then `width` holds both)."""
    f = len(values)
    heads = [f"{f} hidden units, after GELU", f"{f} hidden units (GELU)", f"hidden: {f}, GELU"]
    heading = next((h for h in heads if text(h, NOTE_SIZE).width <= (width / 2 if inline else width)), heads[-1])
    head = text(heading, NOTE_SIZE, MUTED)
    n = len(values)
    room = width - (head.width + 0.2 if inline else 0.0)
    cols = window(n, max(int(room // 0.14), 3))
    strip = CellMatrix(np.asarray(values)[None, :], vmax, min(0.14, room / len(cols)), 0.32 if not inline else 0.24,
                       cols=cols, numbers=False)
    if inline:
        head.next_to(strip, LEFT, buff=0.2)
    else:
        head.next_to(strip, UP, buff=0.12).align_to(strip, LEFT)
    g = VGroup(head, strip)
    g.heading, g.strip = head, strip
    return g


def place_beside(mob, mode: str, side, title, card_y: float):
    """Put what a branch reads beside its card: level with the card, right-aligned in `side` ("beside"), at the
    bottom left of `side` ("above"), or on the station title's line ("inline")."""
    if mode == "above":
        mob.move_to(np.array([side.left, side.bottom, 0]), aligned_edge=DOWN + LEFT)
    elif mode == "inline":
        mob.next_to(title, RIGHT, buff=0.35).set_y(title.get_center()[1])
    else:
        mob.move_to(np.array([side.right, card_y, 0]), aligned_edge=RIGHT)
        mob.shift(DOWN * max(0.0, mob.get_top()[1] - side.top) + UP * max(0.0, side.bottom - mob.get_bottom()[1]))


def attention_reads(mode: str, tokens, tracked: int, weights, vectors, n_heads: int, panel, title, side,
                    right: float, place) -> tuple[VGroup, VGroup]:
    """What attention reads for the tracked token (rows of earlier tokens with their weights and vectors, or chips
    on the station title's line when mode is "inline"), placed by `place`, and arcs from each into the card's panel.
    weights: [T] the tracked token's row (mean over heads); vectors: [T, d] what attention reads."""
    i = tracked
    if mode == "inline":
        table = reads_chips(tokens, i, weights[: i + 1], i + 1, right - title.get_right()[0] - 0.35)
        table.next_to(title, RIGHT, buff=0.35)
        table.shift(UP * (title.get_center()[1] - table[0].get_center()[1]))
        starts = [e.get_start() for e in table.ends]
        ends = [np.array([p[0], panel.get_top()[1], 0]) for p in starts]
        return table, arcs_into(starts, ends, [weights[r] for r in table.rows], ATTN, DOWN, DOWN)
    rows = window(i + 1, max(int((side.height - 0.45) // 0.34), 3))
    table = reads_table(tokens, i, weights, vectors, rows, float(np.abs(vectors[: i + 1]).max()),
                        window(vectors.shape[1], 8), "weight" if n_heads == 1 else f"weight (mean of {n_heads} heads)",
                        label_w=min(2.0, side.width - 1.7))
    place(table)
    starts = [e.get_start() for e in table.ends]
    w = [weights[r] for r in table.rows]
    if mode == "above":
        end = np.array([table.get_right()[0] + 0.7, panel.get_top()[1], 0])
        return table, arcs_into(starts, end, w, ATTN, RIGHT, DOWN)
    return table, arcs_into(starts, panel.get_left(), w, ATTN, RIGHT, RIGHT)
