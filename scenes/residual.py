"""ResidualScene: h′ = h + λ·Δ — a layer revises the token state, it does not replace it (the increment is stacked
onto the backbone h, which stays). h, Δ and h′ are drawn at one scale, so h's bars inside h′ are h's bars."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Dot, Line, NumberLine, Restore, UpdateFromAlphaFunc, VGroup, linear

from kit.base import TraceScene
from kit.fast import FadeIn, FadeOut
from kit.layout import Box, content_band, line_height
from kit.matrices import number_box, window
from kit.names import names
from kit.residualtext import closing_line, fmt, lam_str, stop_caption
from kit.stack import StackedBars, ghost_swatch
from kit.style import BODY_SIZE, INK, MLP, MUTED, NOTE_SIZE, NUMBER_SIZE, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import number, shown, text
from kit.widgets import baseline_of, baseline_text, label_text, nb, sentence_strip, set_baseline, title

ROW_MAX, ROW_MIN = 0.42, 0.26  # a bar row's height: at most, and the least that keeps its number legible


class ResidualScene(TraceScene):
    def construct(self):
        self.intro()
        self.update_beat()
        self.stacked()
        self.sweep()
        self.replace_instead()
        self.takeaway()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        t = self.trace
        self.n = names(t.config.norm)
        self.header = title("Residual:  h′ = h + λ·Δ", "a layer revises the token state, it does not replace it")
        self.context = token_context(t).next_to(self.header, DOWN, buff=0.25)
        self.build_panels(content_band(self.header, self.context))
        self.tok = quoted_token(t)
        self.play(FadeIn(self.header), FadeIn(self.context), FadeIn(self.h_group))
        self.swap_caption(f"Follow {self.tok}: its state h, {len(t.sweep.h)} numbers after attention, flows along the "
                          "residual stream.", STREAM)
        self.wait(1.0)

    def update_beat(self):
        self.beat("update")
        self.play(*[FadeIn(op) for op in self.ops if op is self.plus], FadeIn(self.d_group))
        self.swap_caption(f"{nb(f'Δ = {self.n.mlp}')}: the update the MLP computes from {self.n.ln2}.", MLP)
        self.wait(1.0)

    def stacked(self):
        self.beat("stack")
        self.play(*[FadeIn(op) for op in self.ops if op is not self.plus], FadeIn(self.o_group), FadeIn(self.controls))
        self.swap_caption(f"h′ is drawn as h's own bars; λΔ will grow from each bar's tip. At {nb('λ = 0')} nothing is "
                          f"on top: {nb('h′ = h')}.", RESULT)
        self.record(self.trace.sweep.index(0.0))
        self.wait(1.5)

    def sweep(self):
        self.beat("lambda-sweep")
        self.cancel_told = False
        for target in self.trace.config.lambdas:
            self.move_to(target, self.stop_caption(target))
            if not self.cancel_told and self.tell_cancellation():
                self.cancel_told = True
        self.wait(0.5)

    def replace_instead(self):
        self.beat("replace-instead")
        s = self.trace.sweep
        i1 = s.index(1.0)
        self.move_to(1.0, self.stop_caption(1.0))
        self.strike = self.h_bars.cross_out()
        self.h_parts.save_state()
        self.swap_caption(f"Replace instead ({nb('h ← Δ')}): h's part leaves h′, and only Δ is left.", MLP)
        adds = [FadeOut(op) for op in self.ops if op is self.plus]  # nothing is added any more
        self.play(self.hp.morph(np.zeros_like(s.h), s.delta), FadeIn(self.strike), *adds,
                  self.h_parts.animate.set_opacity(0.35), self.knob_group.animate.set_opacity(0.3),
                  FadeOut(self.o_head), FadeIn(self.o_head_replace), run_time=2.0)
        self.set_readouts(cos=s.replace_cos, norm=s.replace_norm, ratio=None)
        self.shown_replace = self.hp.values_shown()
        self.compare = (s.cos_to_h[i1], s.replace_cos)
        self.swap_caption(f"Adding keeps h inside h′ ({nb(f'cos {fmt(s.cos_to_h[i1])}')} with h); replacing leaves Δ "
                          f"alone ({nb(f'cos {fmt(s.replace_cos)}')} with h).")
        self.wait(2.0)

    def takeaway(self):
        self.beat("takeaway")
        s = self.trace.sweep
        i1 = s.index(1.0)
        adds = [FadeIn(op) for op in self.ops if op is self.plus]
        self.play(self.hp.morph(s.h, s.out[i1]), FadeOut(self.strike), Restore(self.h_parts), *adds,
                  self.knob_group.animate.set_opacity(1.0), FadeOut(self.o_head_replace), FadeIn(self.o_head),
                  run_time=1.5)
        self.record(i1)
        self.closing = closing_line(s.ratio[i1], s.cos_to_h[i1])
        self.swap_caption(self.closing, STREAM)
        self.wait(2.5)

    # ---------------------------------------------------------------- steps

    def stop_caption(self, target: float) -> str:
        return stop_caption(lam_str(self.trace.sweep.lam[self.trace.sweep.index(target)]), self.n.norm)

    def move_to(self, target: float, caption: str) -> None:
        """Caption first (it describes the move), then λ slides along the trace's grid to the target."""
        s = self.trace.sweep
        i0, i1 = self.at, s.index(target)
        if i0 == i1:
            return
        self.swap_caption(caption)
        path = np.arange(i0, i1 + (1 if i1 > i0 else -1), 1 if i1 > i0 else -1)

        def follow(_, alpha):
            self.show(path[min(int(round(alpha * (len(path) - 1))), len(path) - 1)])

        self.play(UpdateFromAlphaFunc(self.hp, follow), run_time=float(np.clip(abs(s.lam[i1] - s.lam[i0]), 1.0, 2.5)),
                  rate_func=linear)
        self.record(i1)
        self.wait(1.0)

    def tell_cancellation(self) -> bool:
        """Where λΔ points against h (on a shown row), say so and mark those rows; False if there is none."""
        rows = [j for j, dim in enumerate(self.hp.dims) if self.hp.step_directions()[dim] < 0]
        if not rows:
            return False
        marks = VGroup(*[self.hp.steps[j].copy().set_fill(RESULT, 1.0) for j in rows])
        self.swap_caption("Where λΔ points against h, its segment runs back over h's bar: there they cancel.")
        self.play(FadeIn(marks), run_time=0.4)
        self.play(FadeOut(marks), run_time=0.8)
        self.wait(0.5)
        return True

    def show(self, i: int) -> None:
        s = self.trace.sweep
        self.at = int(i)
        self.hp.set_state(s.h, s.out[i])
        self.knob.move_to(self.line.n2p(s.lam[i]))
        self.set_readouts(lam=s.lam[i], ratio=s.ratio[i], cos=s.cos_to_h[i], norm=s.norm[i])

    def set_readouts(self, **values) -> None:
        for key, v in values.items():
            num = self.readouts[key]
            if v is None:
                num.set_opacity(0.3)
            else:
                num.set_opacity(1.0)
                left = num.get_left()
                num.set_value(float(v)).move_to(left, aligned_edge=LEFT)

    def record(self, i: int) -> None:
        """Note what the screen shows at grid index i (for the tests)."""
        s = self.trace.sweep
        self.show(i)
        self.shown_at = getattr(self, "shown_at", {})
        self.shown_at[float(s.lam[i])] = {"bars": self.hp.values_shown(),
                                         **{k: shown(n) for k, n in self.readouts.items()}}

    # ---------------------------------------------------------------- layout

    def build_panels(self, band: Box) -> None:
        """h and Δ (sources) and h′ (stacked) under their headings, all at one scale (value → length); the λ slider
        and readouts under them. Wide: one row with + and = between the panels; square: one row, the formula in h′'s
        heading; tall: h and Δ above h′. The scale fits the largest |value| of h, Δ and every h′ of the sweep."""
        s, f = self.trace.sweep, frame()
        d = len(s.h)
        self.key = VGroup(ghost_swatch(STREAM, 0.4, 0.2), text("h's outline", NOTE_SIZE, STREAM)).arrange(RIGHT,
                                                                                                         buff=0.12)
        self.key_in_controls = f.square  # square: under the slider, where a row is free
        self.controls = self.build_controls(band.width)
        self.plus, eq = text("+ λ ·", BODY_SIZE), text("=", BODY_SIZE)
        self.ops = VGroup() if f.square else VGroup(self.plus, eq)
        reach = [(max(-float(v.min()), 0.0), max(float(v.max()), 0.0))  # each panel's values: how far left, right
                 for v in (s.h, s.delta, np.vstack([s.out, s.h, s.delta]))]
        unit = shared_unit(band.width, [sum(r) for r in reach], self.ops)
        notes = ("state after attention", f"{self.n.mlp}, the MLP's update", "λΔ stacked on h's tips",
                 "replace: h is dropped")
        for shown_notes in (notes, None):  # a note that does not fit is left out (the captions say it)
            u = unit
            layout = self.arrange_panels(band, reach, u, shown_notes)
            while layout.width > band.width and u > (0.7 if shown_notes else 0.1) * unit:
                u *= 0.92
                layout = self.arrange_panels(band, reach, u, shown_notes)
            if layout.width <= band.width:
                break
        layout.move_to(band.center).align_to(np.array([0, band.top, 0]), UP)
        self.o_head_replace.move_to(self.o_head)
        self.show(s.index(0.0))
        if len(self.rows) < d:  # a window of dimensions: say that the statistics use all of them
            n_shown = len([r for r in self.rows if r is not None])
            self.controls.add(text(f"bars: {n_shown} of {d} dimensions; ‖·‖ and cos use all {d}", NOTE_SIZE, MUTED)
                              .next_to(self.controls, DOWN, buff=0.12))
        self.controls.next_to(layout, DOWN, buff=0.35)
        if f.portrait:  # spread over the tall band: panels at its top, controls at its bottom
            self.controls.align_to(np.array([0, band.bottom, 0]), DOWN)

    def arrange_panels(self, band: Box, reach: list[tuple[float, float]], unit: float, notes) -> VGroup:
        """The three panels at `unit` scene units per unit of value (panel i's bars reach reach[i] = (left, right)
        values from its axis), arranged."""
        s, f = self.trace.sweep, frame()
        eq = self.ops[1] if len(self.ops) else None
        head_h = line_height(BODY_SIZE) + (0.1 + line_height(NOTE_SIZE) if notes else 0.0)
        key_h = 0.0 if self.key_in_controls else line_height(NOTE_SIZE) + 0.1
        bars_h = band.height - self.controls.height - line_height(NOTE_SIZE) - 0.45
        rows_h = (bars_h - 2 * head_h - 0.6 - key_h) / 2 if f.portrait else bars_h - head_h - 0.15 - key_h
        self.rows = window(len(s.h), max(3, int(rows_h // ROW_MIN)))
        row_h = min(ROW_MAX, rows_h / len(self.rows))
        def bars(values, i, **kwargs):
            peak = max(*reach[i], 1e-6)  # the value drawn bar_max long: one unit for every panel
            return StackedBars(values, peak, bar_max=peak * unit, span=(reach[i][0] * unit, reach[i][1] * unit),
                               row_h=row_h, rows=self.rows, **kwargs)

        self.h_bars = bars(s.h, 0, base_color=STREAM, result_color=INK, ghost=False, tick=False)
        self.d_bars = bars(s.delta, 1, base_color=MLP, result_color=INK, ghost=False, tick=False)
        self.hp = bars(s.h, 2)
        note = (lambda i: notes[i]) if notes else (lambda i: "")
        self.h_group = VGroup(heading([("h", STREAM)], note(0)), self.h_bars).arrange(DOWN, buff=0.15)
        self.d_group = VGroup(heading([("Δ", MLP)], note(1)), self.d_bars).arrange(DOWN, buff=0.15)
        self.o_head = heading([("h′", RESULT), ("=", INK), ("h", STREAM), ("+", INK), ("λ·Δ", MLP)], note(2))
        self.o_head_replace = heading([("h′", RESULT), ("=", INK), ("Δ", MLP)], note(3))
        self.o_group = VGroup(self.o_head, self.hp).arrange(DOWN, buff=0.15)
        if not self.key_in_controls:
            self.o_group.add(self.key.next_to(self.hp, DOWN, buff=0.1))
        self.h_parts = VGroup(self.h_group[0], self.h_bars.axis, self.h_bars.bases, self.h_bars.numbers,
                              self.h_bars.gaps)  # what dims when h is replaced (not the invisible extent)
        if f.portrait:
            top = VGroup(self.h_group, self.plus, self.d_group).arrange(RIGHT, buff=0.25, aligned_edge=UP)
            self.plus.set_y(self.h_bars.axis.get_center()[1])
            return VGroup(top, eq, self.o_group).arrange(DOWN, buff=0.2)
        parts = [self.h_group, self.d_group, self.o_group]
        if f.landscape:
            parts[1:1], parts[3:3] = [self.plus], [eq]
        layout = VGroup(*parts).arrange(RIGHT, buff=0.2 if f.landscape else 0.3, aligned_edge=UP)
        for op in self.ops:
            op.set_y(self.h_bars.axis.get_center()[1])
        return layout

    def build_controls(self, width: float) -> VGroup:
        """The λ slider (ticks at the grid's ends, 0 and 1) and the live readouts (they use all dimensions)."""
        s = self.trace.sweep
        self.readouts = {"lam": number(0.0, 2, BODY_SIZE),
                         **{k: number(0.0, 2, SMALL_SIZE) for k in ("ratio", "cos", "norm")}}
        lam_row = VGroup(text("λ =", BODY_SIZE), self.readouts["lam"]).arrange(RIGHT, buff=0.15)
        cells = [VGroup(text(lab, SMALL_SIZE, MUTED), self.readouts[k]).arrange(RIGHT, buff=0.12)
                 for lab, k in (("‖λΔ‖ / ‖h‖ =", "ratio"), ("cos(h′, h) =", "cos"), ("‖h′‖ =", "norm"))]
        stats = VGroup(*cells).arrange(RIGHT, buff=0.45)
        if frame().landscape:
            length = 3.6
        else:  # the stats in a column beside the slider
            stats.arrange(DOWN, aligned_edge=LEFT, buff=0.1)
            length = max(2.0, width - lam_row.width - stats.width - 1.5)
        lo, hi = float(s.lam[0]), float(s.lam[-1])
        self.line = NumberLine(x_range=[lo, hi, hi - lo], length=length, color=MUTED, include_numbers=False,
                               include_ticks=False)
        ticks = VGroup()
        for v in sorted({lo, 0.0, 1.0, hi}):
            v = float(s.lam[s.index(v)])
            mark = text(lam_str(v), SMALL_SIZE, MUTED).next_to(self.line.n2p(v), DOWN, buff=0.15)
            if all(abs(mark.get_x() - m.get_x()) > (mark.width + m.width) / 2 + 0.1 for m in ticks[::2]):
                ticks.add(mark, Line(self.line.n2p(v) + UP * 0.08, self.line.n2p(v) + DOWN * 0.08, color=MUTED,
                                     stroke_width=2))
        self.knob = Dot(self.line.n2p(0.0), color=INK, radius=0.09)
        self.knob_group = VGroup(self.line, ticks, self.knob)
        slider = VGroup(lam_row, self.knob_group).arrange(RIGHT, buff=0.4)
        if self.key_in_controls:  # the key to the dashed outlines, under the slider
            slider = VGroup(slider, self.key).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        group = VGroup(slider, stats).arrange(RIGHT, buff=0.6)
        if group.width > width:
            group.arrange(DOWN, buff=0.25)
        return group


def heading(symbol: list[tuple[str, object]], note: str) -> VGroup:
    """A panel's heading: a coloured formula on one baseline, then a one-line note (if any)."""
    parts = VGroup(*[baseline_text(s, BODY_SIZE, c) for s, c in symbol]).arrange(RIGHT, buff=0.14)
    for p in parts[1:]:
        set_baseline(p, baseline_of(parts[0]))
    return VGroup(parts, text(note, NOTE_SIZE, MUTED)).arrange(DOWN, buff=0.1) if note else VGroup(parts)


def shared_unit(width: float, spans: list[float], ops: VGroup) -> float:
    """Scene units per unit of value with which the three panels (each span·unit wide plus its number column)
    fit the width: in a row (with the operators between them) or, in a tall frame, h and Δ above h′."""
    num = 0.2 + number_box(2, NUMBER_SIZE)[0]
    spans = [max(v, 1e-6) for v in spans]
    if frame().portrait:
        top = (width - ops[0].width - 0.5 - 2 * num) / (spans[0] + spans[1])
        return min(top, (width - num) / spans[2])
    fixed = sum(op.width for op in ops) + (0.8 if frame().landscape else 0.6)
    return (width - fixed - 3 * num) / sum(spans)


def quoted_token(trace) -> str:
    """How a caption names the tracked token: quoted when it fits a caption line easily, else by where it is."""
    q = f"“{trace.tracked_token}”"
    return q if text(q, BODY_SIZE).width <= frame().safe_width / 2 else "the highlighted token"


def token_context(trace) -> VGroup:
    """The sentence strip when it fits in two lines, else one line naming the tracked token and its place."""
    strip, lines = sentence_strip(trace), 1 if frame().height < 1.05 * frame().width else 2
    if strip.height <= lines * (line_height(SMALL_SIZE) + 0.18):
        return strip
    return VGroup(label_text(f"token {trace.tracked + 1} of {len(trace.tokens)}: “{trace.tracked_token}”",
                             SMALL_SIZE, frame().safe_width, RESULT))
