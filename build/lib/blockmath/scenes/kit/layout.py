"""Where things go: the content band between the title and the caption, boxes cut from it, fitting and flow.

Every position is relative to the frame (read from manim's config) or to other mobjects; no scene hard-codes a
coordinate or the frame's size. `Box` is a rectangle in scene units; `content_band` is the space a scene may
fill; `Box.split` cuts it into panels side by side (wide frame) or stacked (tall frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import Mobject

from kit.style import GAP, MARGIN, frame
from kit.text import text
from kit.widgets import caption_zone_top


@dataclass(frozen=True)
class Box:
    """A rectangle in scene units."""

    left: float
    right: float
    bottom: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    @property
    def center(self) -> np.ndarray:
        return np.array([(self.left + self.right) / 2, (self.bottom + self.top) / 2, 0.0])

    def inset(self, dx: float = 0.0, dy: float = 0.0) -> Box:
        return Box(self.left + dx, self.right - dx, self.bottom + dy, self.top - dy)

    def split(self, weights, gap: float = GAP, vertical: bool | None = None) -> list[Box]:
        """Cut into len(weights) boxes in proportion to weights: side by side, or stacked top to bottom when
        vertical (default: stacked in a tall frame)."""
        vertical = frame().portrait if vertical is None else vertical
        w = np.asarray(weights, dtype=float) / np.sum(weights)
        length = (self.height if vertical else self.width) - gap * (len(w) - 1)
        boxes, pos = [], self.top if vertical else self.left
        for part in w * length:
            if vertical:
                boxes.append(Box(self.left, self.right, pos - part, pos))
                pos -= part + gap
            else:
                boxes.append(Box(pos, pos + part, self.bottom, self.top))
                pos += part + gap
        return boxes

    def top_part(self, height: float) -> Box:
        return Box(self.left, self.right, self.top - height, self.top)

    def below(self, height: float, gap: float = 0.0) -> Box:
        """The rest of the box under a strip of this height at its top."""
        return Box(self.left, self.right, self.bottom, self.top - height - gap)


def safe_box() -> Box:
    """The safe frame: the whole frame minus MARGIN on every side."""
    f = frame()
    return Box(-f.width / 2 + MARGIN, f.width / 2 - MARGIN, -f.height / 2 + MARGIN, f.height / 2 - MARGIN)


def content_band(*above: Mobject, gap: float = 0.3) -> Box:
    """The space between the lowest of `above` (a title, a sentence strip) and the caption zone."""
    top = min((m.get_bottom()[1] for m in above), default=safe_box().top) - gap
    return Box(safe_box().left, safe_box().right, caption_zone_top() + gap, top)


def place(mob: Mobject, box: Box, aligned_edge=None) -> Mobject:
    """Centre mob in box (or align its edge with the box's edge); no scaling."""
    if aligned_edge is None:
        return mob.move_to(box.center)
    edge = np.sign(np.asarray(aligned_edge, dtype=float))
    point = box.center + edge * np.array([box.width / 2, box.height / 2, 0.0])
    return mob.move_to(point, aligned_edge=aligned_edge)


def fits(mob: Mobject, box: Box, tol: float = 1e-6) -> bool:
    """True when mob lies inside box."""
    return (mob.get_left()[0] >= box.left - tol and mob.get_right()[0] <= box.right + tol
            and mob.get_bottom()[1] >= box.bottom - tol and mob.get_top()[1] <= box.top + tol)


def shrink_to(mob: Mobject, box: Box) -> Mobject:
    """Shrink (never enlarge) mob to fit box. For drawings: text inside shrinks too, so keep it for groups whose
    text stays above the typography floor (the audit checks)."""
    k = min(1.0, box.width / mob.width if mob.width else 1.0, box.height / mob.height if mob.height else 1.0)
    if k < 1.0:
        mob.scale(k)
    return mob


def line_height(size: float) -> float:
    """Height of a line of text at this size (ascender to descender)."""
    return float(text("Ag", size).height)
