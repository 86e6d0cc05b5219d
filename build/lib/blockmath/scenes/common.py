"""TEMPORARY: the old scene-kit names, mapped onto scenes/kit/, until every scene imports the kit directly."""

from __future__ import annotations

import numpy as np
from manim import RIGHT, SurroundingRectangle, VGroup

from kit.base import TraceScene  # noqa: F401
from kit.fast import FadeIn, FadeOut, FastScene, HeldFrameEncoder, SpriteCamera  # noqa: F401
from kit.matrices import CellMatrix as _CellMatrix
from kit.matrices import VectorBars, value_color  # noqa: F401
from kit.style import (  # noqa: F401
    BG,
    BODY_SIZE,
    BUFF,
    FONT,
    GAP,
    INK,
    MONO,
    MUTED,
    NEG,
    NUMBER_SIZE,
    POS,
    SMALL_SIZE,
    TITLE_SIZE,
    ZERO,
)
from kit.style import LN as ACCENT  # noqa: F401
from kit.style import MLP as DELTA_COLOR  # noqa: F401
from kit.style import RESULT as OUT_COLOR  # noqa: F401
from kit.style import STREAM as H_COLOR  # noqa: F401
from kit.text import Number, number, outlines, shown, text  # noqa: F401
from kit.widgets import caption, plus_node, title  # noqa: F401

FRAME_W, FRAME_H = 14.2, 8.0
SAFE_W, SAFE_H = FRAME_W - 0.8, FRAME_H - 0.6


def fit(mob, width=None, height=None):
    if width is not None and mob.width > width:
        mob.scale_to_fit_width(width)
    if height is not None and mob.height > height:
        mob.scale_to_fit_height(height)
    return mob


def sentence_strip(trace, max_width: float = SAFE_W) -> VGroup:
    chips = VGroup(*[fit(text(tok, SMALL_SIZE, OUT_COLOR if i == trace.tracked else INK), width=1.6)
                     for i, tok in enumerate(trace.tokens)])
    chips.arrange(RIGHT, buff=0.18, aligned_edge=np.array([0, -1, 0]))
    fit(chips, max_width)
    return VGroup(chips, SurroundingRectangle(chips[trace.tracked], color=OUT_COLOR, buff=0.06, stroke_width=2))


def token_label(tok, width=1.3, size=SMALL_SIZE, color=INK):
    return fit(text(tok, size, color), width=width, height=0.4)


def row_label(tok, row_h, width=1.3, color=INK):
    return fit(text(tok, min(SMALL_SIZE, row_h * 62), color), width=width)


class CellMatrix(_CellMatrix):
    def __init__(self, values, row_labels, vmax, cell=0.42, places=1, show_numbers=True, label_width=1.3,
                 cell_h=None, highlight=None, **kwargs):
        cell_h = cell if cell_h is None else cell_h
        super().__init__(values, vmax, cell, cell_h, labels=row_labels, places=places, numbers=show_numbers,
                         number_size=min(NUMBER_SIZE, cell_h * 44, cell * 34), label_width=label_width,
                         label_size=min(SMALL_SIZE, cell_h * 62), highlight=highlight, **kwargs)
        self.shape = (len(self.rows_shown), len(self.cols_shown))
