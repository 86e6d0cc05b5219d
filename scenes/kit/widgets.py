"""Shared mobjects: titles, captions, wrapped paragraphs, elided labels, the sentence strip, boxes and ⊕.

Nothing here shrinks text below its size: what does not fit wraps to another line (titles, captions, the
sentence) or is cut with "…" (a label in a narrow column).
"""

from __future__ import annotations

import unicodedata

import numpy as np
from manim import DOWN, RIGHT, UP, Circle, Line, RoundedRectangle, SurroundingRectangle, VGroup, VMobject

from kit.style import BG, BODY_SIZE, FONT, INK, MARGIN, MUTED, RESULT, SMALL_SIZE, TITLE_SIZE, frame
from kit.text import outlines, tag, text, text_path

LINE_GAP = 0.12  # between the lines of a wrapped paragraph


def _cut_points(s: str) -> list[int]:
    """Positions where s may be cut without splitting a character from its accents, joiners or modifiers."""
    return [i for i in range(1, len(s)) if unicodedata.category(s[i]) not in ("Mn", "Me", "Mc", "Cf", "Sk")
            and s[i - 1] != "\u200d"]


def label_text(s: str, size: float = SMALL_SIZE, max_width: float = 1.3, color=INK) -> VMobject:
    """s at its size, cut with a trailing "…" to fit max_width (a label is elided, never shrunk); it knows its
    baseline (see baseline_of), so a column of labels can sit on the rows' baselines."""
    t = baseline_text(s, size, color)
    if t.width <= max_width:
        return t
    cuts = _cut_points(s)
    lo, hi, best = 0, len(cuts) - 1, None
    while lo <= hi:  # the longest prefix that fits with its "…"
        mid = (lo + hi) // 2
        candidate = baseline_text(s[:cuts[mid]] + "…", size, color)
        if candidate.width <= max_width:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best if best is not None else baseline_text("…", size, color)


NBSP = "\u00a0"  # a space that wrap() does not break at (it breaks at plain spaces only)


def nb(formula: str) -> str:
    """A formula that a wrapped caption keeps on one line (its spaces made non-breaking)."""
    return formula.replace(" ", NBSP)


def wrap(s: str, size: float, width: float, weight: str = "NORMAL") -> list[str]:
    """s split at spaces into lines that fit width at this size and weight (a single word wider than width stays
    whole)."""
    words = s.split(" ")
    space = text("a a", size, weight=weight).width - 2 * text("a", size, weight=weight).width
    lines, line, line_w = [], [], 0.0
    for word in words:
        w = text(word, size, weight=weight).width if word else 0.0
        if line and line_w + space + w > width:
            lines.append(" ".join(line))
            line, line_w = [], 0.0
        line_w += (space if line else 0.0) + w
        line.append(word)
    lines.append(" ".join(line))
    return [ln for ln in lines if ln] or [""]


def paragraph(s: str, size: float = BODY_SIZE, width: float | None = None, color=INK, weight: str = "NORMAL",
              align=None) -> VGroup:
    """s as one or more lines no wider than width (default: the safe frame), centred (or aligned to `align`)."""
    width = frame().safe_width if width is None else width
    lines = VGroup(*[text(ln, size, color, weight=weight) for ln in wrap(s, size, width, weight)])
    lines.arrange(DOWN, buff=LINE_GAP, aligned_edge=align if align is not None else np.zeros(3))
    lines.source = s
    return lines


def title(s: str, subtitle: str | None = None) -> VGroup:
    """A title (and optional subtitle) pinned to the top edge, wrapped to the frame's width."""
    g = VGroup(paragraph(s, TITLE_SIZE, weight="BOLD"))
    if subtitle:
        g.add(paragraph(subtitle, SMALL_SIZE, color=MUTED))
    g.arrange(DOWN, buff=0.15)
    return g.to_edge(UP, buff=MARGIN)


def title_fitting(options, subtitle: str | None = None) -> VGroup:
    """title() with the first of `options` (longest first) that fits the frame on one line, else the last one:
    a narrow frame gets a shorter title instead of one broken before its last word."""
    width = frame().safe_width
    for s in options:
        if text(s, TITLE_SIZE, weight="BOLD").width <= width:
            return title(s, subtitle)
    return title(options[-1], subtitle)


def caption_lines() -> int:
    """How many lines of caption the bottom of the frame keeps free: 2 in a wide frame, 3 in a square or tall one."""
    return 2 if frame().landscape else 3


def caption_zone_top() -> float:
    """The highest point a caption may reach (the content above must stay over it)."""
    line_h = text("Ag", BODY_SIZE).height
    n = caption_lines()
    return -frame().height / 2 + MARGIN + n * line_h + (n - 1) * LINE_GAP + 0.1


def caption(s: str, color=INK) -> VGroup:
    """An explanation pinned to the bottom edge, wrapped (the idea must read without sound)."""
    return paragraph(s, BODY_SIZE, color=color).to_edge(DOWN, buff=MARGIN)


def baseline_text(s: str, size: float = SMALL_SIZE, color=INK) -> VMobject:
    """Text that knows where its baseline is (so words with and without descenders line up, and "." sits low).

    Pango centres what it draws, so the baseline is taken from an "H" laid out before s and then dropped.
    """
    pieces = outlines("H" + s, FONT, size)
    mob = text_path(pieces[1:], color)
    if not pieces[1:]:  # nothing drawable (should not happen: the tokenizer keeps visible text only)
        mob = text(s, size, color)
    base = float(pieces[0][:, 1].min())
    tag(mob, s, size)
    mob.text_info.baseline = base - mob.get_center()[1]  # below the centre, at the size it was made
    return mob


def baseline_of(mob) -> float:
    """The y of a baseline_text's baseline, wherever it was moved and however it was scaled since."""
    info = mob.text_info
    return mob.get_center()[1] + info.baseline * (mob.height / info.height if info.height else 1.0)


def cap_height(size: float) -> float:
    """Height of a capital letter at this size (scene units)."""
    return float(text("H", size).height)


def set_baseline(mob, y: float):
    """Move a baseline_text (or label_text) up or down so its baseline is at y."""
    return mob.shift(UP * (y - baseline_of(mob)))


def center_on_line(mob, y: float):
    """Put a label's baseline where its capitals are centred on y (a row's centre): "." stays low, "g" hangs."""
    return set_baseline(mob, y - cap_height(mob.text_info.size) / 2)


def sentence_strip(trace, width: float | None = None, size: float = SMALL_SIZE, gap: float = 0.2) -> VGroup:
    """The sentence as token chips on shared baselines (wrapping to more lines when it is too wide), the tracked
    token boxed. Returns VGroup(chips, box); chips are in token order."""
    width = frame().safe_width if width is None else width
    chips = [baseline_text(tok, size, RESULT if i == trace.tracked else INK) for i, tok in enumerate(trace.tokens)]
    line_h = text("Ag", size).height + 0.18
    x, y = 0.0, 0.0
    rows: list[list[VMobject]] = [[]]
    for chip in chips:
        if rows[-1] and x + chip.width > width:
            rows.append([])
            x, y = 0.0, y - line_h
        chip.shift(np.array([x - chip.get_left()[0], y - baseline_of(chip), 0.0]))
        rows[-1].append(chip)
        x += chip.width + gap
    for row in rows:  # centre each line
        line = VGroup(*row)
        line.shift(RIGHT * (-line.get_center()[0]))
    group = VGroup(*chips)
    box = SurroundingRectangle(chips[trace.tracked], color=RESULT, buff=0.06, stroke_width=2)
    return VGroup(group, box)


def plus_node(center, radius: float = 0.22) -> VGroup:
    """A ⊕ (residual add) drawn over whatever line runs through it."""
    c = Circle(radius=radius, color=INK, stroke_width=3).set_fill(BG, opacity=1).move_to(center)
    return VGroup(c, Line(c.get_left(), c.get_right(), stroke_width=3, color=INK),
                  Line(c.get_top(), c.get_bottom(), stroke_width=3, color=INK))


def component_box(label: str, color, width: float | None = None, height: float = 0.6,
                  size: float = SMALL_SIZE) -> VGroup:
    """A block component (LN, attention, MLP) as a tinted rounded box over an opaque back (hides lines behind it);
    the box grows to hold its label, the label is never shrunk."""
    lab = text(label, size, INK)
    w = max(width or 0.0, lab.width + 0.3)
    back = RoundedRectangle(width=w, height=height, corner_radius=0.1, stroke_width=0, fill_color=BG, fill_opacity=1)
    box = RoundedRectangle(width=w, height=height, corner_radius=0.1, color=color, stroke_width=3,
                           fill_color=color, fill_opacity=0.15)
    g = VGroup(back, box, lab.move_to(box))
    g.box, g.label = box, lab
    return g


def arrange_flow(groups, buff: float = 0.6, aligned_edge=None) -> VGroup:
    """Groups side by side in a wide frame, stacked top to bottom in a tall one."""
    g = VGroup(*groups)
    if frame().portrait:
        return g.arrange(DOWN, buff=buff, aligned_edge=aligned_edge if aligned_edge is not None else np.zeros(3))
    return g.arrange(RIGHT, buff=buff, aligned_edge=aligned_edge if aligned_edge is not None else np.zeros(3))


