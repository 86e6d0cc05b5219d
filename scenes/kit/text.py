"""Text and numbers drawn from Pango glyph outlines (no LaTeX), cached in memory and on disk.

Every text the kit makes carries a `TextInfo` (what it says, its font size and its height when made), so the
layout audit can find each text on screen, measure its real size after any scaling, and name it in a report.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import manimpango
import numpy as np
from manim import DecimalNumber, Text, VGroup, VMobject, config
from manim import __version__ as manim_version

from kit.style import BODY_SIZE, FONT, INK, MONO, NUMBER_SIZE

Text.set_default(font=FONT)  # DecimalNumber builds its digits with Text: same font everywhere

LRM = "\u200e"  # left-to-right mark
GLYPH_CACHE = os.environ.get("BLOCKMATH_GLYPH_CACHE", "")  # a folder shared by renders (set by blockmath.render)
_OUTLINES: dict[tuple, list[np.ndarray]] = {}


@dataclass
class TextInfo:
    """What a text mobject says and how big it was drawn: the audit's handle on it."""

    source: str  # the string shown
    size: float  # manim font size it was made at
    height: float  # its height (scene units) when made; the current height over this is how much it was scaled
    cell: bool = False  # a number inside a matrix cell (a lower typography floor applies)


def tag(mob, source: str, size: float, cell: bool = False):
    """Mark mob as one text for the audit (its submobjects are glyphs of the same text)."""
    mob.text_info = TextInfo(source, float(size), float(mob.height), cell)
    return mob


@functools.cache
def _fonts_fingerprint() -> str:
    """Changes when fonts are installed or removed (Pango may then pick another fallback glyph)."""
    return hashlib.sha256("\n".join(sorted(Text.font_list())).encode()).hexdigest()[:16]


def outlines(s: str, font: str, size: float, weight: str = "NORMAL") -> list[np.ndarray]:
    """The glyph outlines (points, laid out and centred) Pango draws for s: one array per glyph.

    Building a Text (Pango → SVG → parsed paths) costs about 0.1 s; the outlines are kept in memory and, when
    GLYPH_CACHE is set, on disk, so a new sentence re-renders without re-parsing the titles and captions it shares.
    """
    key = (s, font, float(size), weight)
    if key in _OUTLINES:
        return _OUTLINES[key]
    path = None
    if GLYPH_CACHE:
        ident = repr((key, manim_version, manimpango.__version__, _fonts_fingerprint()))
        path = Path(GLYPH_CACHE) / f"{hashlib.sha256(ident.encode()).hexdigest()[:32]}.npz"
        try:
            with np.load(path) as z:
                _OUTLINES[key] = [z[f"g{i}"] for i in range(len(z.files))]
                return _OUTLINES[key]
        except (OSError, ValueError, KeyError):
            pass  # not cached yet (or unreadable): build it
    glyphs = [m.points for m in _pango_text(s, font, size, weight).family_members_with_points()]
    _OUTLINES[key] = glyphs
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.stem}-{os.getpid()}-{uuid.uuid4().hex[:6]}.npz")
            np.savez(tmp, **{f"g{i}": g for i, g in enumerate(glyphs)})
            os.replace(tmp, path)  # atomic: a parallel render reads the whole file or none
        except OSError:
            pass  # a cache that cannot be written only costs time
    return glyphs


def _pango_text(s: str, font: str, size: float, weight: str) -> Text:
    """manim's Text, which keeps Pango's SVG in manim's text folder. A file there can be half-written: another
    process writing it at the same moment, or a render killed while writing it (it would then break every later
    render of that text). On such a file, draw again into a folder of our own."""
    try:
        return Text(s, font=font, font_size=size, weight=weight)
    except ElementTree.ParseError:
        shared = config.text_dir
        with tempfile.TemporaryDirectory(prefix="blockmath-text-") as own:
            config.text_dir = own
            try:
                return Text(s, font=font, font_size=size, weight=weight)
            finally:
                config.text_dir = shared


def text(s: str, size: float = BODY_SIZE, color=INK, mono: bool = False, weight: str = "NORMAL",
         glyphs: bool = False) -> VMobject:
    """Literal text (user input is never parsed as markup), drawn as one filled VMobject holding every glyph's
    outline (what manim's Text draws, but one path to fill per frame instead of one per glyph: half the cost).
    glyphs=True gives a VGroup with one VMobject per glyph instead, for a layout that needs a glyph's position.

    Text that starts right-to-left (a Hebrew or Arabic word) gets a left-to-right mark first: Pango would otherwise
    right-align it in manim's page-wide layout, outside the page, and draw nothing. The word itself still reads
    right to left.
    """
    shown_text = LRM + s if any(unicodedata.bidirectional(c) in ("R", "AL") for c in s) else s
    pieces = outlines(shown_text, MONO if mono else FONT, size, weight)
    mob = VGroup(*[text_path([p], color) for p in pieces]) if glyphs else text_path(pieces, color)
    return tag(mob, s, size)


def text_path(pieces: list[np.ndarray], color) -> VMobject:
    """One filled, stroke-less VMobject holding the given outlines."""
    mob = VMobject(fill_color=color, fill_opacity=1.0, stroke_width=0)
    if pieces:
        mob.points = np.concatenate(pieces)
    return mob


_GLYPHS: dict[tuple[str, float], np.ndarray] = {}  # one Pango outline per (character, font size)
_LAYOUTS: dict[tuple[str, float], tuple[np.ndarray, float]] = {}  # laid-out glyphs per (string, font size)


class Number(DecimalNumber):
    """A DecimalNumber drawn from cached Pango glyph outlines, cheap to update every frame. No LaTeX is involved.

    Manim's DecimalNumber deep-copies a whole Text mobject per character and re-lays them out on every set_value.
    Here the number is one VMobject holding every character's outline, laid out as DecimalNumber lays them out
    (once per string, then cached); set_value writes the new string's points into it, keeping its style.
    """

    def __init__(self, *args, cell: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        tag(self, self._get_num_string(self.number), self._font_size, cell)

    def _outline(self, char: str) -> np.ndarray:
        """The points of one character's Pango outline at this font size (made once, then cached)."""
        key = (char, self._font_size)
        if key not in _GLYPHS:
            pieces = outlines(char, FONT, self._font_size)
            _GLYPHS[key] = np.concatenate(pieces) if pieces else np.zeros((0, 3))
        return _GLYPHS[key]

    def _string_to_mob(self, string, mob_class=None, **kwargs) -> VMobject:
        """One character as a VMobject (for subclasses that lay out characters themselves)."""
        glyph = VMobject(fill_color=self.get_fill_color(), fill_opacity=self.fill_opacity, stroke_width=0)
        glyph.points = self._outline(string).copy()
        return glyph

    def _layout(self, string: str) -> tuple[np.ndarray, float]:
        """Points of `string` laid out as DecimalNumber does (left to right, bottoms aligned, a minus sign raised
        to the middle of the next digit), centred on the origin; and the layout's height."""
        key = (string, self._font_size)
        if key not in _LAYOUTS:
            buff = self.digit_buff_per_font_unit * self._font_size
            glyphs, x, bottom = [], 0.0, None
            for ch in string:
                pts = self._outline(ch)
                lo, hi = pts.min(axis=0), pts.max(axis=0)
                bottom = lo[1] if bottom is None else bottom
                glyphs.append(pts + np.array([x - lo[0], bottom - lo[1], 0.0]))
                x += hi[0] - lo[0] + buff
            for i, ch in enumerate(string[:-1]):
                if ch == "-":
                    nxt, me = glyphs[i + 1], glyphs[i]
                    glyphs[i] = me + np.array([0.0, nxt[:, 1].max() - me[:, 1].max() - np.ptp(nxt[:, 1]) / 2, 0.0])
            allpts = np.concatenate(glyphs)
            lo, hi = allpts.min(axis=0), allpts.max(axis=0)
            _LAYOUTS[key] = (allpts - (lo + hi) / 2, float(hi[1] - lo[1]))
        return _LAYOUTS[key]

    def _set_submobjects_from_number(self, number: float) -> None:
        self.number = number
        points, self.initial_height = self._layout(self._get_num_string(number))
        glyphs = VMobject(fill_opacity=self.fill_opacity, stroke_width=0)
        glyphs.points = points.copy()
        self.submobjects = [glyphs]

    def set_value(self, number: float) -> Number:
        """Show a new value, keeping the number's size and its edge_to_fix where they are (as DecimalNumber does).

        The arithmetic is done on the points directly: manim's height/get_edge_center/move_to each walk the family
        and recompute a bounding box, which made this the costliest call of a per-frame updater.
        """
        old, new = self._get_num_string(self.number), self._get_num_string(number)
        if new != old:
            glyphs = self.submobjects[0]
            _, old_height = self._layout(old)
            points, height = self._layout(new)
            lo, hi = glyphs.points.min(axis=0), glyphs.points.max(axis=0)  # the box manim measures
            k = (hi[1] - lo[1]) / old_height if old_height and hi[1] > lo[1] else 1.0
            edge = np.sign(np.asarray(self.edge_to_fix, dtype=float))
            anchor = (lo + hi) / 2 + edge * (hi - lo) / 2  # the point that stays put (LEFT: middle of left side)
            half = points.max(axis=0) * k  # the layout is centred on the origin
            glyphs.points = points * k + (anchor - edge * half)
            self.initial_height = height
            if hasattr(self, "text_info"):  # the audit measures the new string at the same scale
                self.text_info.source, self.text_info.height = new, self.text_info.height * height / old_height
        self.number = number
        return self

    def place(self, center) -> Number:
        """move_to(center) without manim's bounding-box walk (when the number is one path)."""
        if len(self.submobjects) != 1:
            return self.move_to(center)
        pts = self.submobjects[0].points
        pts += np.asarray(center, dtype=float) - (pts.min(axis=0) + pts.max(axis=0)) / 2
        return self


def number(value: float, places: int = 2, size: float = NUMBER_SIZE, color=INK, cell: bool = False) -> Number:
    """A number drawn from cached glyphs (no LaTeX), cheap to update every frame."""
    return Number(value, num_decimal_places=places, font_size=size, color=color, include_sign=False, cell=cell)


def shown(num: DecimalNumber) -> float:
    """The value a DecimalNumber displays (rounded as drawn), for tests that compare the screen with the trace."""
    return float(num._get_num_string(num.number))


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(value: float, places: int = 2) -> str:
    """A value readable over many decades: "0.42", or "1.27 × 10⁻⁶" outside [0.01, 100)."""
    v = abs(float(value))
    if v == 0 or 0.01 <= v < 100:
        return f"{value:.{places}f}"
    e = math.floor(math.log10(v))
    m = float(value) / 10**e
    if round(abs(m), places) >= 10:  # 9.996e-07 rounds to 10.00: carry into the exponent
        m, e = m / 10, e + 1
    return f"{m:.{places}f} × 10{str(e).translate(SUPERSCRIPT)}"


def parse_scientific(s: str) -> float:
    """The value a `scientific` string shows (for tests that compare the screen with the trace)."""
    if "×" not in s:
        return float(s)
    mantissa, power = s.split("×")
    digits = power.strip()[2:].translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
    return float(mantissa) * 10.0 ** int(digits)
