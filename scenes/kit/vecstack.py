"""One token's vector as a card of columns (the block lesson's "vector card"): bars on a zero line that the
stream runs through, updates stacked on the bars as segments of their own colour, and one row of numbers per layer
underneath, all rows sharing the columns. Cards built with the same `kit.columns.StackGeometry` line up column for
column, so h = x + Δ reads column by column.
"""

from __future__ import annotations

import numpy as np
from kit.columns import (  # noqa: F401
    BAR_W,
    NUMBER_SIZE,
    PAD,
    ROW_GAP,
    ROW_H,
    StackGeometry,
    fit_stack,
)
from kit.style import INK, MUTED, NOTE_SIZE, PANEL
from kit.text import number, shown, text
from kit.widgets import center_on_line, label_text
from manim import (
    RIGHT,
    Animation,
    Line,
    Rectangle,
    RoundedRectangle,
    Transform,
    UpdateFromAlphaFunc,
    VGroup,
    VMobject,
)


class Dim(Animation):
    """Fade a part of a group out (or in, appear=True) without removing it from the scene or adding it to it, so
    the group stays whole (the scene would split it into its parts); detach it after a fade out."""

    def __init__(self, mob, appear: bool = False, **kwargs):
        self.appear = appear
        super().__init__(mob, **kwargs)

    def begin(self):
        self.saved = [(m, m.fill_rgbas[:, 3].copy(), m.stroke_rgbas[:, 3].copy())
                      for m in self.mobject.get_family() if isinstance(m, VMobject)]
        super().begin()

    def create_starting_mobject(self):
        return VMobject()

    def interpolate_mobject(self, alpha: float) -> None:
        k = self.rate_func(alpha) if self.appear else 1 - self.rate_func(alpha)
        for m, fill, stroke in self.saved:
            if len(m.fill_rgbas) == len(fill):
                m.fill_rgbas[:, 3] = fill * k
            if len(m.stroke_rgbas) == len(stroke):
                m.stroke_rgbas[:, 3] = stroke * k


def Show(mob, **kwargs) -> Dim:  # noqa: N802 (an animation)
    """Fade in a part the card already holds (it stays a part: the card is not split in the scene)."""
    return Dim(mob, appear=True, **kwargs)


def _set_bar(bar: Rectangle, x: float, y0: float, y1: float, w: float) -> None:
    lo, hi = min(y0, y1), max(y0, y1)
    hi = max(hi, lo + 1e-3)
    bar.set_points_as_corners([np.array(p) for p in ((x - w / 2, hi, 0), (x + w / 2, hi, 0), (x + w / 2, lo, 0),
                                                     (x - w / 2, lo, 0), (x - w / 2, hi, 0))])


class VectorStack(VGroup):
    """A token's vector as a card: bars on a zero line with updates stacked on them, rows of numbers beneath.

    layers: the stacked vectors, bottom first ([values, colour]); rows: the number rows ([values, label, colour]).
    Positions are relative to `origin` (the zero line's left end, at the label column's left edge), so the card can
    be moved as a whole. Methods that change the card return animations; call `settle()` after playing them.
    """

    def __init__(self, geo: StackGeometry, values, color, label: str, frame_color=None, name: str | None = None,
                 name_color=INK, waterfall: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.geo = geo
        self.waterfall = waterfall  # layers side by side in each column (a stream card), else one centred bar
        self.frame_color = frame_color if frame_color is not None else color
        self.origin = VMobject().set_points_as_corners([np.zeros(3), np.array([1e-3, 0, 0])]).set_opacity(0)
        self.origin.set_stroke(width=0)
        self.panel = self._panel(1)
        self.zero = Line(np.array([geo.label_w, 0, 0]), np.array([geo.label_w + len(geo.cols) * geo.col_w, 0, 0]),
                         color=self.frame_color, stroke_width=2)
        self.bar_gap = VGroup(*[text("…", NOTE_SIZE, MUTED).move_to(np.array([geo.col_x(j), geo.up / 2, 0]))
                                for j, c in enumerate(geo.cols) if c is None])
        self.layers: list[list] = []
        self.rows: list[list] = []
        self.segments, self.row_mobs, self.marks = VGroup(), VGroup(), VGroup()
        self.name = VGroup()
        if name:
            self.name.add(center_on_line(label_text(name, geo.label_size, geo.label_w - 0.1, name_color), 0)
                          .align_to(np.array([geo.label_w - 0.1, 0, 0]), RIGHT))
        self.add(self.origin, self.panel, self.zero, self.bar_gap, self.segments, self.marks, self.row_mobs, self.name)
        self._pending: list = []
        self.segments.add(self._segments(values, color, np.zeros(geo.dims), 0))
        self.layers.append([np.asarray(values, float), color])
        self.row_mobs.add(self._row(values, label, color, 0))
        self.rows.append([np.asarray(values, float), label, color])

    # ---------------------------------------------------------------- geometry (in the card's current place)

    def _o(self) -> np.ndarray:
        return self.origin.get_start()

    def _panel(self, n_rows: int) -> RoundedRectangle:
        g = self.geo
        h = g.height(n_rows)
        p = RoundedRectangle(width=g.width, height=h, corner_radius=0.08, stroke_color=self.frame_color,
                             stroke_width=2, fill_color=PANEL, fill_opacity=1)
        p.move_to(np.array([g.width / 2 - PAD, g.up + PAD - h / 2, 0]) + self._o())
        return p

    def panel_for(self, n_rows: int) -> RoundedRectangle:
        """The card's panel as it would be with n_rows rows (to frame the card before a row comes in)."""
        return self._panel(n_rows)

    def _slot(self, k: int) -> tuple[float, float]:
        """Offset from the column's centre and width of layer k's bars."""
        g = self.geo
        if not self.waterfall or g.layers == 1:
            return 0.0, g.col_w * BAR_W
        w = g.col_w * 0.8 / g.layers
        return (k - (g.layers - 1) / 2) * w, w * 0.9

    def _segments(self, values, color, base, k: int) -> VGroup:
        g, o = self.geo, self._o()
        dx, w = self._slot(k)
        bars = VGroup()
        for j, c in enumerate(g.cols):
            if c is None:
                continue
            bar = Rectangle(width=0.1, height=0.1, stroke_width=0, fill_color=color, fill_opacity=0.9)
            _set_bar(bar, o[0] + g.col_x(j) + dx, o[1] + base[c] * g.unit, o[1] + (base[c] + values[c]) * g.unit, w)
            bars.add(bar)
        return bars

    def _row(self, values, label: str, color, k: int) -> VGroup:
        g, o = self.geo, self._o()
        y = o[1] + g.row_y(k)
        lab = label_text(label, g.label_size, g.label_w - 0.1, color)
        center_on_line(lab, y).align_to(np.array([o[0] + g.label_w - 0.1, 0, 0]), RIGHT)
        nums, gaps = VGroup(), VGroup()
        right = (g.col_w + float(number(-g.scale, g.places, g.number_size).width)) / 2
        for j, c in enumerate(g.cols):
            if c is None:
                gaps.add(text("…", NOTE_SIZE, MUTED).move_to(np.array([o[0] + g.col_x(j), y, 0])))
                continue
            n = number(values[c], g.places, g.number_size, color)
            n.move_to(np.array([o[0] + g.col_x(j) - g.col_w / 2 + right - n.width / 2, y, 0]))
            nums.add(n)
        row = VGroup(lab, nums, gaps)
        row.label, row.numbers, row.gaps = lab, nums, gaps
        return row

    def total(self) -> np.ndarray:
        return np.sum([v for v, _ in self.layers], axis=0)

    # ---------------------------------------------------------------- changes (each returns animations)

    def morph(self, values, label: str | None = None, color=None, recolor: bool = False,
              new_row: bool = False) -> list[Animation]:
        """A one-layer card takes new values: its bars resize and its last row's numbers (and label) switch halfway,
        in place; new_row: the values come in as a new row under the others instead (the rows above stay, so the
        change reads row against row); recolor: its frame takes the new colour too (a copy that became an update)."""
        assert len(self.layers) == 1
        old, new = self.layers[0][0], np.asarray(values, float)
        g, o = self.geo, self._o()
        k = len(self.rows) if new_row else len(self.rows) - 1
        color = color if color is not None else self.rows[-1][2]
        label = label or self.rows[-1][1]
        bars, row = self.segments[0], self.row_mobs[-1]
        target = self._row(new, label, color, k)
        shown_cols = [(j, c) for j, c in enumerate(g.cols) if c is not None]
        dx, w = self._slot(0)
        done = []

        def step(_, alpha):
            v = old + (new - old) * alpha
            for bar, (j, c) in zip(bars, shown_cols):
                _set_bar(bar, o[0] + g.col_x(j) + dx, o[1], o[1] + v[c] * g.unit, w)
            if alpha >= 0.5 and not done:
                done.append(True)
                bars.set_fill(color)
                if recolor:
                    self.panel.set_stroke(color)
                    self.zero.set_stroke(color)
                if new_row:
                    return
                for n, m in zip(row.numbers, target.numbers):
                    n.set_value(m.get_value()).set_color(color).move_to(m.get_center())
                info = target.label.text_info
                row.label.become(target.label)
                row.label.text_info = info

        self.layers[0] = [new, color]
        if not new_row:
            self.rows[k] = [new, label, color]
            return [UpdateFromAlphaFunc(self, step)]
        self.row_mobs.add(target)
        self.rows.append([new, label, color])
        return [UpdateFromAlphaFunc(self, step), Show(target), Transform(self.panel, self._panel(len(self.rows)))]

    def stack_from(self, source: VectorStack, label: str, color) -> list[Animation]:
        """Land a one-layer card (an update) on this one: its bars become segments on this card's tips, column for
        column, and its numbers become a new row. Call settle(scene) after playing."""
        values = source.layers[0][0]
        segs = self._segments(values, color, self.total(), len(self.layers))
        row = self._row(values, label, color, len(self.rows))
        anims = [Transform(source.segments[0], segs), Dim(source.row_mobs[0]), Show(row),
                 Transform(self.panel, self._panel(len(self.rows) + 1))]
        anims += [Dim(m) for m in (source.panel, source.zero, source.bar_gap, source.name)]
        self.add(row)  # drawn now; settle files it with the rows
        self.layers.append([np.asarray(values, float), color])
        self.rows.append([np.asarray(values, float), label, color])
        self._pending.append(("land", source, segs, row))
        return anims

    def add_row(self, values, label: str, color, tips: bool = True) -> list[Animation]:
        """A row of numbers (a result such as h = x + Δ) under the others, with marks at the stack's tips."""
        row = self._row(values, label, color, len(self.rows))
        anims = [Transform(self.panel, self._panel(len(self.rows) + 1)), Show(row)]
        self.row_mobs.add(row)
        if tips:
            marks = self._tips(values, color)
            self.marks.add(marks)
            anims.append(Show(marks))
        self.rows.append([np.asarray(values, float), label, color])
        return anims

    def tips_at(self, values, color) -> VGroup:
        """Marks at `values` on every column (where a stack ends), kept with the card until its rows are replaced."""
        marks = self._tips(values, color)
        self.marks.add(marks)
        return marks

    def _tips(self, values, color) -> VGroup:
        g, o = self.geo, self._o()
        return VGroup(*[Line(np.array([o[0] + g.col_x(j) - g.col_w * 0.42, o[1] + values[c] * g.unit, 0]),
                             np.array([o[0] + g.col_x(j) + g.col_w * 0.42, o[1] + values[c] * g.unit, 0]),
                             color=color, stroke_width=3)
                        for j, c in enumerate(g.cols) if c is not None])

    def set_rows(self, rows, layers=None, tips=None) -> list[Animation]:
        """Replace the rows ([values, label, colour] each) and, if given, the stacked layers ([values, colour]) and
        the marks at the stack's tips ((values, colour))."""
        old = [*self.row_mobs, *self.marks] + ([*self.segments] if layers is not None else [])
        anims = [Dim(m) for m in old]
        new_rows = [self._row(v, lab, c, k) for k, (v, lab, c) in enumerate(rows)]
        new_segs = []
        if layers is not None:
            base = np.zeros(self.geo.dims)
            for k, (v, c) in enumerate(layers):
                new_segs.append(self._segments(v, c, base, k))
                base = base + np.asarray(v, float)
            self.layers = [[np.asarray(v, float), c] for v, c in layers]
        self.add(*new_segs, *new_rows)  # drawn now; settle files them
        anims += [Show(m) for m in new_segs + new_rows]
        anims.append(Transform(self.panel, self._panel(len(rows))))
        if tips is not None:
            marks = self._tips(*tips)
            self.marks.add(marks)
            anims.append(Show(marks))
        self.rows = [[np.asarray(v, float), lab, c] for v, lab, c in rows]
        self._pending.append(("replace", old, new_rows, new_segs))
        return anims

    def settle(self, scene=None) -> VectorStack:
        """Finish the structure changes of the animations just played."""
        for item in self._pending:
            if item[0] == "land":
                _, source, segs, row = item
                if scene is not None:
                    scene.remove(source)
                self.remove(row)
                self.segments.add(segs)
                self.row_mobs.add(row)
            else:
                _, old, new_rows, new_segs = item
                for group in (self.row_mobs, self.marks, self.segments):
                    group.remove(*[m for m in old if m in group.submobjects])
                self.remove(*new_rows, *new_segs)
                self.row_mobs.add(*new_rows)
                self.segments.add(*new_segs)
        self._pending = []
        return self

    def column_frame(self, c: int, color) -> RoundedRectangle:
        """A frame around dimension c's column (c shown): its bars and its number in every row, wherever the card
        was moved or scaled since."""
        j = [d for d in self.geo.cols if d is not None].index(c)
        k = self.panel.width / self.geo.width  # how much the card was scaled
        nums = VGroup(*[m.numbers[j] for m in self.row_mobs])
        top, bottom = self.panel.get_top()[1] - 0.05 * k, nums.get_bottom()[1] - 0.08 * k
        x = self._o()[0] + self.geo.col_x(list(self.geo.cols).index(c)) * k
        return RoundedRectangle(width=self.geo.col_w * k * 0.98, height=top - bottom, corner_radius=0.06,
                                stroke_color=color, stroke_width=3).move_to(np.array([x, (top + bottom) / 2, 0]))

    # ---------------------------------------------------------------- what is on screen (for the tests)

    def rows_shown(self) -> list[tuple[str, list[float]]]:
        """(label, numbers as drawn) of each row, top to bottom."""
        return [(r[1], [shown(n) for n in m.numbers]) for r, m in zip(self.rows, self.row_mobs)]

    def copy_card(self, values, color, label: str, frame_color=None) -> VectorStack:
        """A new one-layer card with the same geometry, in this card's place (a copy peeling off the stream)."""
        card = VectorStack(self.geo, values, color, label, frame_color=frame_color)  # one centred bar per column
        return card.shift(self._o() - card._o())
