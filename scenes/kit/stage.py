"""The block lesson's stage: where the stream, its card and the branch card go in the band (`stage_layout`), and the
stream's pieces (arrow, card, label) and read-outs (`column_sum`, `read_column`). The stations a card goes through
are in `kit.journey`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from kit.columns import PAD, ROW_GAP, StackGeometry, fit_stack
from kit.journey import FRAME_PAD
from kit.layout import Box, safe_box
from kit.style import BODY_SIZE, NOTE_SIZE, RESULT, STREAM, frame
from kit.text import text
from kit.vecstack import VectorStack
from manim import (
    DOWN,
    LEFT,
    UP,
    Arrow,
    VGroup,
)


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
