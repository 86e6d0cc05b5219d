"""The layout audit: what a viewer would see, checked at the end of every play and halfway through it.

Checks: every text lies inside the safe frame; no two texts overlap; no line, arrow or shape crosses a text
(a filled shape that holds the whole text is its background); no visible text is smaller than the typography
floor; every shape stays inside the frame. Over the whole scene, square and tall frames must be filled (the
content, without the caption, spans at least 70 % of the frame's height, and of its width in a square frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import VMobject

from kit.style import BG, CELL_FLOOR_PX, FLOOR_PX, MARGIN, frame
from kit.text import text

EPS = 0.015  # scene units (about 1 px at 480p): touching is not overlapping
VISIBLE = 0.06  # opacity under which a mobject does not count
FILL_SPAN = 0.7  # share of a square or tall frame the content must span


@dataclass(frozen=True)
class Offence:
    kind: str  # "outside", "overlap", "crossed", "hidden", "floor", "off-frame", "empty"
    beat: str
    moment: str  # "end" of a play or "mid" (halfway through it)
    what: str

    def __str__(self) -> str:
        return f"{self.kind:9s} [{self.beat or '-'} {self.moment}] {self.what}"


def _cap_ratio() -> float:
    """Height of a capital per unit of font size (scene units)."""
    return float(text("H", 100).height) / 100


@dataclass
class _Item:
    mob: VMobject
    order: int
    box: np.ndarray  # [[xmin, ymin], [xmax, ymax]]


def _opacity(m, kind: str) -> float:
    rgbas = m.fill_rgbas if kind == "fill" else m.stroke_rgbas
    return float(rgbas[:, 3].max()) if len(rgbas) else 0.0


def _name(m) -> str:
    info = getattr(m, "text_info", None)
    if info is not None:
        s = info.source.replace("\n", " ")
        return repr(s if len(s) <= 40 else s[:39] + "…")
    return type(m).__name__


def _curve_points(points: np.ndarray, samples: int = 6) -> list[np.ndarray]:
    """Polylines through each cubic Bézier run of a VMobject's points (one polyline per subpath)."""
    n = len(points) // 4 * 4
    if n == 0:
        return []
    p = points[:n].reshape(-1, 4, 3)[:, :, :2]  # [curves, 4, 2]
    t = np.linspace(0.0, 1.0, samples)[:, None]
    coef = [(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3]  # [samples, 1] each
    pts = sum(c[None] * p[:, i][:, None, :] for i, c in enumerate(coef))  # [curves, samples, 2]
    return [pts.reshape(-1, 2)]


def _segments_hit(poly: np.ndarray, box: np.ndarray) -> bool:
    """True when the polyline passes through the box's interior (Liang–Barsky on each segment)."""
    a, b = poly[:-1], poly[1:]
    d = b - a
    t0, t1 = np.zeros(len(a)), np.ones(len(a))
    for axis in (0, 1):
        for p, q in ((-d[:, axis], a[:, axis] - box[0, axis]), (d[:, axis], box[1, axis] - a[:, axis])):
            with np.errstate(divide="ignore", invalid="ignore"):
                r = q / p
            par = p == 0
            t0 = np.where(~par & (p < 0), np.maximum(t0, r), t0)
            t1 = np.where(~par & (p > 0), np.minimum(t1, r), t1)
            t1 = np.where(par & (q < 0), -1.0, t1)
    return bool((t0 < t1).any())


def _within(inner: np.ndarray, outer: np.ndarray, tol: float) -> np.ndarray:
    """[..., 2, 2] boxes: inner lies inside outer (broadcast)."""
    return ((inner[..., 0, :] >= outer[..., 0, :] - tol) & (inner[..., 1, :] <= outer[..., 1, :] + tol)).all(axis=-1)


def _overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[n, 2, 2] × [m, 2, 2] boxes -> [n, m]: they share more than a sliver."""
    lo = np.maximum(a[:, None, 0], b[None, :, 0])
    hi = np.minimum(a[:, None, 1], b[None, :, 1])
    return (hi - lo > EPS).all(axis=-1)


def _opacity_of(m) -> float:
    fam = [x for x in m.get_family() if len(x.points)]
    return max((_opacity(x, "fill") for x in fam), default=0.0)


class Auditor:
    """Collects offences while a scene runs (TraceScene calls observe)."""

    def __init__(self):
        self.offences: list[Offence] = []
        self._seen: set[tuple] = set()
        self.cap = _cap_ratio()
        self.span = np.zeros(2)  # the largest width and height the content reached

    def report(self, kind: str, scene, moment: str, what: str) -> None:
        key = (kind, scene.beat_name, what)
        if key not in self._seen:
            self._seen.add(key)
            self.offences.append(Offence(kind, scene.beat_name, moment, what))

    def collect(self, scene):
        """Visible texts, strokes and fills in drawing order."""
        texts, strokes, fills, order = [], [], [], 0
        captions = {id(m) for m in scene.caption.get_family()} if scene.caption is not None else set()
        self._caption_texts = []

        def walk(m):
            nonlocal order
            order += 1
            if getattr(m, "text_info", None) is not None:
                fam = [x for x in m.get_family() if len(x.points)]
                if fam and max(_opacity(x, "fill") for x in fam) > VISIBLE:
                    pts = np.concatenate([x.points for x in fam])[:, :2]
                    item = _Item(m, order, np.array([pts.min(axis=0), pts.max(axis=0)]))
                    (self._caption_texts if id(m) in captions else texts).append(item)
                return
            if isinstance(m, VMobject) and len(m.points):
                pts = m.points[:, :2]
                box = np.array([pts.min(axis=0), pts.max(axis=0)])
                stroke_rgb = m.stroke_rgbas[0, :3] if len(m.stroke_rgbas) else None
                if (m.get_stroke_width() > 0 and _opacity(m, "stroke") > VISIBLE
                        and not np.allclose(stroke_rgb, np.array(BG.to_rgb()), atol=0.02)):
                    strokes.append(_Item(m, order, box))
                if _opacity(m, "fill") > VISIBLE:
                    fills.append(_Item(m, order, box))
            for sub in m.submobjects:
                walk(sub)

        for m in [*scene.mobjects, *scene.foreground_mobjects]:
            walk(m)
        return texts, strokes, fills

    def observe(self, scene, moment: str) -> None:
        """Check the screen now. Halfway through an animation ("mid") only texts leaving the safe frame and fully
        opaque texts running into each other count: a highlight sliding over a matrix, or a label cross-fading
        into another, is motion, not layout."""
        f = frame()
        texts, strokes, fills = self.collect(scene)
        every = texts + self._caption_texts
        tb = np.array([t.box for t in every]).reshape(-1, 2, 2)  # [n, 2, 2]
        safe = np.array([[-f.width / 2 + MARGIN, -f.height / 2 + MARGIN], [f.width / 2 - MARGIN, f.height / 2 - MARGIN]])
        for i in np.flatnonzero(~_within(tb, safe, 0.02)):
            self.report("outside", scene, moment, f"{_name(every[i].mob)} leaves the safe frame")
        opaque_text = np.array([_opacity_of(t.mob) >= 0.95 for t in every])
        pair = _overlaps(tb, tb) & np.triu(np.ones((len(every), len(every)), bool), 1)
        if moment == "mid":
            pair &= opaque_text[:, None] & opaque_text[None, :]
        for i, j in zip(*np.nonzero(pair)):
            self.report("overlap", scene, moment, f"{_name(every[i].mob)} overlaps {_name(every[j].mob)}")
        if moment == "mid":
            return
        for t in every:
            info = t.mob.text_info
            px = info.size * (t.mob.height / info.height if info.height else 1) * self.cap * f.px_per_unit
            floor = CELL_FLOOR_PX if info.cell else FLOOR_PX
            if px < floor - 0.05:
                self.report("floor", scene, moment, f"{_name(t.mob)} is {px:.1f} px tall (floor {floor:g} px)")
        inner = tb + np.array([[EPS, EPS], [-EPS, -EPS]])
        opaque = [s for s in fills if _opacity(s.mob, "fill") >= 0.95]
        ob = np.array([o.box for o in opaque]).reshape(-1, 2, 2)
        oo = np.array([o.order for o in opaque])
        held = _within(tb[:, None], ob[None], EPS)  # [texts, opaque fills]: the text sits on that fill
        grow = np.array([[-2 * EPS, -2 * EPS], [2 * EPS, 2 * EPS]])  # a straight line's box has no width or height
        for s in strokes:
            for i in np.flatnonzero(_overlaps(inner, (s.box + grow)[None])[:, 0]):
                if (held[i] & (oo > s.order)).any():
                    continue  # the line runs behind an opaque background the text sits on
                if any(_segments_hit(poly, inner[i]) for poly in _curve_points(s.mob.points)):
                    self.report("crossed", scene, moment, f"{_name(every[i].mob)} is crossed by a {_name(s.mob)}")
        if fills:
            fb = np.array([s.box for s in fills])
            hit = _overlaps(inner, fb)  # [texts, fills]
            inside = _within(tb[:, None], fb[None], EPS)
            for i, k in zip(*np.nonzero(hit & ~inside)):
                self.report("crossed", scene, moment, f"{_name(every[i].mob)} is cut by a {_name(fills[k].mob)}")
            for i, k in zip(*np.nonzero(hit & inside)):
                if fills[k].order > every[i].order and _opacity(fills[k].mob, "fill") >= 0.95:
                    self.report("hidden", scene, moment, f"{_name(every[i].mob)} is covered by a {_name(fills[k].mob)}")
        whole = np.array([[-f.width / 2, -f.height / 2], [f.width / 2, f.height / 2]])
        shapes = strokes + fills
        if shapes:
            for k in np.flatnonzero(~_within(np.array([s.box for s in shapes]), whole, 0.05)):
                self.report("off-frame", scene, moment, f"a {_name(shapes[k].mob)} leaves the frame")
        boxes = [x.box for x in texts + strokes + fills]  # how much of the frame the content (no caption) fills
        if not boxes:
            return
        lo = np.min([b[0] for b in boxes], axis=0)
        hi = np.max([b[1] for b in boxes], axis=0)
        self.span = np.maximum(self.span, (hi - lo) / np.array([f.width, f.height]))

    def finish(self, scene) -> None:
        """Checks over the whole scene: a square or tall frame is filled, not letterboxed."""
        f = frame()
        if f.portrait and self.span[1] < FILL_SPAN:
            self.report("empty", scene, "all", f"content spans {self.span[1]:.0%} of the frame's height")
        if not f.portrait and not f.landscape and self.span.min() < FILL_SPAN:
            self.report("empty", scene, "all", f"content spans {self.span[0]:.0%} × {self.span[1]:.0%} of the frame")
