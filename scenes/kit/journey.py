"""The block lesson's stations: the components a vector card goes through (LayerNorm, attention, the MLP), the
branch paths, what attention and the MLP read (`reads_table`, `reads_chips`, `hidden_strip`), and where it all goes
(`stage_layout`). The card itself is `kit.vecstack.VectorStack`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from kit.columns import NUMBER_SIZE, PAD, ROW_GAP, StackGeometry, fit_stack
from kit.layout import Box, safe_box
from kit.matrices import CellMatrix, Window, window
from kit.style import ATTN, BODY_SIZE, INK, MUTED, NOTE_SIZE, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import number, shown, text
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


def station_box(card: VectorStack, color, title: str, size: float = SMALL_SIZE, rows: int | None = None) -> VGroup:
    """The component a card goes through: a frame around the card (as it will be with `rows` rows) and its name
    above its top-left corner."""
    panel = card.panel if rows is None else card.panel_for(rows)
    frame = RoundedRectangle(width=panel.width + 0.24, height=panel.height + 0.24, corner_radius=0.14,
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


# ---------------------------------------------------------------- where the journey goes

FRAME_PAD = 0.12  # a station's frame around its card
TITLE_H = 0.42  # a station's name above its frame, with its gap
CARD_GAP = 0.3  # between the stream card and the station above it
FORK = 0.3  # the fork, left of the stream card
PLUS_X = 0.38  # the ⊕'s centre, right of the stream card (its radius is 0.2)
SIDE_W = 3.0  # what attention reads / the MLP's hidden layer, beside the branch card in a wide frame
SIDE_H = 2.4  # the same above the branch card in a tall frame


@dataclass
class JourneyStage:
    """Where the block lesson's journey goes: the stream (with its card) low in the band, the branch card above it,
    what a branch reads beside it (wide frame, `side_mode` "beside"), above it (tall, "above") or on the station
    title's line (square, "inline"); in a tall frame the block's map stays above all of it (`map_box`)."""

    band: Box  # the journey's band (under the map in a tall frame)
    map_box: Box | None
    side_mode: str
    side: Box  # where what a branch reads goes
    geo: StackGeometry
    card_x: float  # the stream card's panel centre
    card_y: float  # the stream (the card's zero line)
    copy_y: float  # the branch card's zero line


def stage_layout(band: Box, map_h: float | None, dims: int, vals, labels, layers: int, rows: int) -> JourneyStage:
    """Fit the journey into `band`: the cards' columns (a window of them when they do not fit with numbers large
    enough to read), their bars as tall as the band allows, the stream card's `rows` rows under the stream.

    Room is kept left of the stream card for the fork (and, wide, for what a branch reads) and right of it for the
    ⊕ and the stream going on after it. vals: every vector the cards will show (for the bars' scale)."""
    f = frame()
    map_box = None
    if map_h is not None:
        map_box = Box(band.left, band.right, band.top - map_h, band.top)
        band = Box(band.left, band.right, band.bottom, map_box.bottom - 0.45)
    mode = "above" if f.portrait else ("beside" if band.width > 10 else "inline")
    left_room = SIDE_W + 0.7 if mode == "beside" else FORK + 0.35
    right_room = PLUS_X + 0.2 + (1.0 if f.landscape else 0.5)
    low, high = min(0.0, float(np.min(vals))), max(0.0, float(np.max(vals)))
    g = fit_stack(dims, band.width - left_room - right_room, float(np.abs(vals).max()), labels, layers=layers,
                  low=low, high=high, gap=0.22 if f.landscape else 0.18, window_slots=7 if f.landscape else (5 if f.portrait else 6))
    side_h = SIDE_H if mode == "above" else 0.0
    fixed = 4 * PAD + (rows + 1) * g.row_h + 2 * ROW_GAP + 2 * FRAME_PAD + TITLE_H + CARD_GAP + side_h
    bar_h = float(np.clip((band.height - fixed) / 4, 0.3, 1.1 if f.portrait else 0.6))
    g = replace(g, bar_h=bar_h)
    spare = max(0.0, band.height - fixed - 4 * bar_h)
    card_y = band.bottom + spare / 2 + PAD + rows * g.row_h + ROW_GAP + g.down
    copy_y = card_y + g.up + PAD + CARD_GAP + FRAME_PAD + PAD + g.row_h + ROW_GAP + g.down
    copy_top = copy_y + g.up + PAD + FRAME_PAD + TITLE_H
    if mode == "beside":  # what a branch reads, the branch card and the ⊕, centred as a whole
        left = band.left + max(0.0, band.width - left_room - g.width - right_room) / 2 + left_room
        side = Box(band.left, left - 0.7, card_y + 0.45, band.top)
    else:
        left = float(np.clip(band.center[0] - g.width / 2, band.left + left_room, band.right - right_room - g.width))
        side = Box(band.left, band.right, copy_top + 0.15, min(band.top, copy_top + 0.15 + side_h))
    return JourneyStage(band, map_box, mode, side, g, left + g.width / 2, card_y, copy_y)


def stream_arrow(y: float) -> VGroup:
    """The residual stream across the safe frame at height y."""
    return Arrow(np.array([safe_box().left, y, 0]), np.array([safe_box().right, y, 0]), buff=0, color=STREAM,
                 stroke_width=6, tip_length=0.22, max_tip_length_to_length_ratio=0.05)


def column_sum(terms, total: float) -> str:
    """"0.70 − 1.59 − 0.01 = −0.90": a column's numbers as drawn (rounded), added, and its total as drawn ("≈" when
    the rounded terms do not add up to the rounded total)."""
    s = f"{terms[0]:.2f}"
    for t in terms[1:]:
        s += f" {'-' if t < 0 else '+'} {abs(t):.2f}"
    same = abs(round(float(sum(terms)), 2) - total) < 1e-9
    return f"{s} {'=' if same else '≈'} {total:.2f}".replace("-", "−")


def quoted_name(token: str, size: float, width: float) -> str:
    """The token in quotes, cut short inside the quotes ("“hone…”") when it is wider than width: the quotes stay."""
    for k in range(len(token), 0, -1):
        s = f"“{token}”" if k == len(token) else f"“{token[:k]}…”"
        if text(s, size).width <= width:
            return s
    return f"“{token[:1]}…”"


def caption_token(token: str) -> str:
    """The token in quotes for a caption, or "the tracked token" when it is too long to sit in a line."""
    s = f"“{token}”"
    return s if text(s, BODY_SIZE).width <= frame().safe_width * 0.45 else "the tracked token"


def stream_card(stage: JourneyStage, values, label: str, token: str) -> VectorStack:
    """The tracked token's card on the stream, where the stage puts it: the token's name (quotes kept) in its label
    column, layers side by side in each column (so updates stack beside the input)."""
    g = stage.geo
    card = VectorStack(g, values, STREAM, label, name=quoted_name(token, g.label_size, g.label_w - 0.1),
                       name_color=RESULT, waterfall=True)
    return card.shift(np.array([stage.card_x - card.panel.get_center()[0], stage.card_y, 0]))


def stream_label(stream, card: VectorStack) -> VGroup:
    """"residual stream" over the stream, left of the card, or nothing where there is no room for it."""
    label = text("residual stream", NOTE_SIZE, STREAM).next_to(stream, UP, buff=0.1).align_to(stream, LEFT)
    return label if label.get_right()[0] <= card.panel.get_left()[0] - 0.6 else VGroup()


def place_overview(diagram, strip, band: Box, stage: JourneyStage) -> VGroup:
    """The intro's picture: the block's diagram (the map at the top of a tall frame, else as large as the band
    allows) and the sentence under it; returns the sentence, or nothing where it does not fit."""
    room = stage.band if stage.map_box is not None else Box(band.left, band.right, band.bottom,
                                                             band.top - diagram.height - 0.6)
    if strip.width > band.width or strip.height > room.height:
        strip = VGroup()  # no room for the sentence: the caption names the token
    if stage.map_box is not None:  # the diagram is the map from the start
        diagram.move_to(stage.map_box.center)
        return strip.move_to(stage.band.center) if len(strip) else strip
    diagram.scale(max(1.0, min(1.5, band.width / diagram.width, (band.height - strip.height - 0.6) / diagram.height)))
    VGroup(diagram, *([strip] if len(strip) else [])).arrange(DOWN, buff=0.6).move_to(band.center)
    return strip


def read_column(card: VectorStack, differ: bool) -> int:
    """The column to read a stacked card out by (rows: three terms, their sum, [out]): one whose terms, as drawn,
    add up to the sum as drawn if any does; among those the largest sum, or (differ) where the sum and the last row
    differ most."""
    shown = card.geo.shown
    rows = np.round([v[shown] for v, *_ in card.rows], 2)  # as drawn
    exact = np.abs(np.round(rows[:3].sum(axis=0), 2) - rows[3]) < 1e-9
    size = np.abs(rows[3] - rows[4]) if differ else np.abs(rows[3])
    return shown[int(np.argmax(size + 100 * exact))]


def closer(stream, card: VectorStack, band: Box) -> list:
    """The stream and its card move to the middle of the band; the card grows to fill it (the last look)."""
    k = max(1.0, min(1.4, (band.width - 0.5) / card.width, band.height / card.height))
    x = float(np.clip(band.center[0], band.left + card.width * k / 2, band.right - card.width * k / 2))
    dy = band.center[1] - card.get_center()[1]
    return [stream.animate.shift(UP * dy), card.animate.scale(k).move_to(np.array([x, band.center[1], 0]))]
