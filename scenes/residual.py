"""ResidualScene: h′ = h + λ·Δ — a layer revises the token state, it does not replace it (the increment is stacked
onto the backbone h, which stays)."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Dot, Line, NumberLine, UpdateFromAlphaFunc, VGroup, linear

from kit.base import TraceScene
from kit.fast import FadeIn, FadeOut
from kit.layout import Box, content_band, line_height
from kit.matrices import VectorBars, number_box, window
from kit.names import names
from kit.stack import StackedBars
from kit.style import BODY_SIZE, INK, MLP, MUTED, NOTE_SIZE, NUMBER_SIZE, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import number, shown, text
from kit.widgets import baseline_of, baseline_text, label_text, sentence_strip, set_baseline, title

SMALL_STEP = 0.5  # ‖Δ‖ / ‖h‖ below this is called a small update on screen
ROW_MAX, ROW_MIN = 0.42, 0.26  # a bar row's height: at most, and the least that keeps its number legible


def fmt(v: float) -> str:
    """A value in a caption, as a readout draws it (two places), with a real minus sign."""
    return f"{float(v):.2f}".replace("-", "−")


def lam_str(v: float) -> str:
    """A λ value as said in a caption ("2", "0.5", "−1"), rounded as the readout draws it."""
    return f"{round(float(v), 2):g}".replace("-", "−")


class ResidualScene(TraceScene):
    def construct(self):
        self.intro()
        self.state_and_update()
        self.stacked()
        self.sweep()
        self.replace_instead()
        self.takeaway()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        t = self.trace
        self.n = names(t.config.norm)
        self.header = title("Residual:  h′ = h + λ · Δ", "a layer revises the token state, it does not replace it")
        self.context = token_context(t).next_to(self.header, DOWN, buff=0.25)
        self.play(FadeIn(self.header), FadeIn(self.context))
        self.tok = quoted_token(t)
        self.swap_caption(f"Follow {self.tok}: its state h flows along the residual stream.")
        self.wait(1.0)

    def state_and_update(self):
        self.beat("state-and-update")
        s, d = self.trace.sweep, len(self.trace.sweep.h)
        self.scale = float(max(np.abs(s.out).max(), np.abs(s.h).max(), np.abs(s.delta).max()))
        self.build_panels(content_band(self.header, self.context))
        self.play(FadeIn(self.h_group))
        self.swap_caption(f"h: the {d} numbers that describe {self.tok} after attention.", STREAM)
        self.wait(1.0)
        self.play(*[FadeIn(op) for op in self.ops[:1]], FadeIn(self.d_group))
        self.swap_caption(f"Δ = {self.n.mlp}: the update the MLP computes from {self.n.ln2}.", MLP)
        self.wait(1.0)

    def stacked(self):
        self.beat("stack")
        self.play(*[FadeIn(op) for op in self.ops[1:]], FadeIn(self.o_group), FadeIn(self.controls))
        self.swap_caption("h′ is drawn as h's own bars; λΔ will grow from each bar's tip. At λ = 0 nothing is on top: "
                          "h′ = h.", RESULT)
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
        self.strike = strike = cross_out(self.h_bars)
        self.swap_caption("Replace instead (h ← Δ): h's part leaves h′, and only Δ is left.", MLP)
        self.play(self.hp.morph(np.zeros_like(s.h), s.delta), FadeIn(strike), self.h_group.animate.set_opacity(0.35),
                  self.knob_group.animate.set_opacity(0.3), run_time=2.0)
        self.set_readouts(cos=s.replace_cos, norm=s.replace_norm, ratio=None)
        self.shown_replace = self.hp.values_shown()
        self.compare = (s.cos_to_h[i1], s.replace_cos)
        self.swap_caption(f"Adding keeps h inside h′ (cos {fmt(s.cos_to_h[i1])} with h); replacing leaves Δ alone "
                          f"(cos {fmt(s.replace_cos)} with h).")
        self.wait(2.0)

    def takeaway(self):
        self.beat("takeaway")
        s = self.trace.sweep
        i1 = s.index(1.0)
        self.play(self.hp.morph(s.h, s.out[i1]), FadeOut(self.strike), self.h_group.animate.set_opacity(1.0),
                  self.knob_group.animate.set_opacity(1.0), run_time=1.5)
        self.record(i1)
        r, c = fmt(s.ratio[i1]), fmt(s.cos_to_h[i1])
        if s.ratio[i1] < SMALL_STEP:
            line = f"Residual: h stays. Here Δ is small (‖Δ‖ = {r}·‖h‖), so h + Δ stays close to h (cos {c})."
        elif s.ratio[i1] < 1:
            line = f"Residual: h stays. Here ‖Δ‖ = {r}·‖h‖: h + Δ revises h and keeps cos {c} with it."
        else:
            line = f"Residual: h stays inside h + Δ even though Δ is longer than h here (‖Δ‖ = {r}·‖h‖, cos {c})."
        self.closing = line
        self.swap_caption(line, STREAM)
        self.wait(2.5)

    # ---------------------------------------------------------------- steps

    def stop_caption(self, target: float) -> str:
        """What the move to this λ shows, true for any λ and either norm placement."""
        v = lam_str(self.trace.sweep.lam[self.trace.sweep.index(target)])
        if v == "0":
            return "λ → 0: nothing is added, h′ = h exactly (the identity)."
        if v == "1":
            if self.n.norm == "post":
                return "λ → 1: h + Δ, the block's real sum; post-norm then normalizes it: out = LN₂(h + Δ)."
            return "λ → 1: the block's real step, out = h + Δ."
        if v.startswith("−"):
            return f"λ → {v}: Δ is subtracted, h′ = h − {v[1:]}·Δ; h is still underneath."
        if float(v) < 1:
            return f"λ → {v}: only part of Δ is added; each bar moves part of the way."
        return f"λ → {v}: Δ counts {v} times, h′ = h + {v}·Δ; all of h is still inside."

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
        """h and Δ (sources) and h′ (stacked) under their headings; the λ slider and readouts under them. Wide: one
        row with + and = between the panels; square: one row, the formula in h′'s heading; tall: h and Δ above h′."""
        s, f = self.trace.sweep, frame()
        d, wide = len(s.h), f.landscape
        self.controls = self.build_controls(band.width)
        plus, eq = text("+ λ ·", BODY_SIZE), text("=", BODY_SIZE)
        self.ops = VGroup(plus, eq) if wide or f.portrait else VGroup()
        num_w = number_box(2, NUMBER_SIZE)[0] + 0.25
        if f.portrait:
            small, big = (band.width - plus.width - 0.5) / 2, band.width * 0.8
        else:
            free = band.width - (plus.width + eq.width + 0.8 if wide else 0.6)
            small, big = free * 0.27, free * 0.46
        notes = ("state after attention", f"{self.n.mlp}, the MLP's update", "λΔ stacked on h's tips")
        if not all(text(n, NOTE_SIZE).width <= w for n, w in zip(notes, (small, small, big))):
            notes = ("", "", "")  # a note that would be cut short is left out (the captions say it)
        head_h = line_height(BODY_SIZE) + (0.1 + line_height(NOTE_SIZE) if notes[0] else 0.0)
        bars_h = band.height - self.controls.height - line_height(NOTE_SIZE) - 0.45
        rows_h = (bars_h - 2 * head_h - 0.6) / 2 if f.portrait else bars_h - head_h - 0.15
        self.rows = window(d, max(3, int(rows_h // ROW_MIN)))
        row_h = min(ROW_MAX, rows_h / len(self.rows))
        bm_small, bm_big = (small - num_w) / 2, (big - num_w) / 2
        self.h_bars = VectorBars(s.h, self.scale, STREAM, bar_max=bm_small, row_h=row_h, rows=self.rows)
        self.d_bars = VectorBars(s.delta, self.scale, MLP, bar_max=bm_small, row_h=row_h, rows=self.rows)
        self.hp = StackedBars(s.h, self.scale, bar_max=bm_big, row_h=row_h, rows=self.rows)
        self.h_group = headed(self.h_bars, [("h", STREAM)], notes[0], small)
        self.d_group = headed(self.d_bars, [("Δ", MLP)], notes[1], small)
        self.o_group = headed(self.hp, [("h′", RESULT), ("=", INK), ("h", STREAM), ("+", INK), ("λ·Δ", MLP)],
                              notes[2], big)
        if f.portrait:
            top = VGroup(self.h_group, plus, self.d_group).arrange(RIGHT, buff=0.25, aligned_edge=UP)
            plus.set_y(self.h_bars.axis.get_center()[1])
            layout = VGroup(top, eq, self.o_group).arrange(DOWN, buff=0.2)
        else:
            parts = [self.h_group, plus, self.d_group, eq, self.o_group] if wide else [self.h_group, self.d_group,
                                                                                     self.o_group]
            layout = VGroup(*parts).arrange(RIGHT, buff=0.2 if wide else 0.3, aligned_edge=UP)
            for op in self.ops:
                op.set_y(self.h_bars.axis.get_center()[1])
        layout.move_to(band.center).align_to(np.array([0, band.top, 0]), UP)
        self.show(s.index(0.0))
        if len(self.rows) < d:  # a window of dimensions: say that the statistics use all of them
            shown = len([r for r in self.rows if r is not None])
            self.controls.add(text(f"bars: {shown} of {d} dimensions; ‖·‖ and cos use all {d}", NOTE_SIZE, MUTED)
                              .next_to(self.controls, DOWN, buff=0.12))
        self.controls.next_to(layout, DOWN, buff=0.35)
        if f.portrait:  # spread over the tall band: panels at its top, controls at its bottom
            self.controls.align_to(np.array([0, band.bottom, 0]), DOWN)

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
        group = VGroup(slider, stats).arrange(RIGHT, buff=0.6)
        if group.width > width:
            group.arrange(DOWN, buff=0.25)
        return group


def headed(panel, symbol: list[tuple[str, object]], note: str, width: float) -> VGroup:
    """A panel under its heading: a coloured formula on one baseline, then a one-line note (elided to the width)."""
    parts = VGroup(*[baseline_text(s, BODY_SIZE, c) for s, c in symbol]).arrange(RIGHT, buff=0.14)
    for p in parts[1:]:
        set_baseline(p, baseline_of(parts[0]))
    head = VGroup(parts, label_text(note, NOTE_SIZE, width, MUTED)).arrange(DOWN, buff=0.1) if note else parts
    return VGroup(head, panel).arrange(DOWN, buff=0.15)


def quoted_token(trace) -> str:
    """How a caption names the tracked token: quoted when it fits a caption line easily, else by where it is."""
    q = f"“{trace.tracked_token}”"
    return q if text(q, BODY_SIZE).width <= frame().safe_width / 2 else "the highlighted token"


def cross_out(bars: VectorBars) -> VGroup:
    """An X over a bar chart's bars (not over its numbers or heading): this state is thrown away."""
    x0, half = bars.axis.get_center()[0], bars.bar_max * bars.axis.get_length() / bars.axis_length
    lo, hi = bars.axis.get_bottom()[1], bars.axis.get_top()[1]
    return VGroup(Line([x0 - half, lo, 0], [x0 + half, hi, 0], color=MLP, stroke_width=5),
                  Line([x0 - half, hi, 0], [x0 + half, lo, 0], color=MLP, stroke_width=5))


def token_context(trace) -> VGroup:
    """The sentence strip when it fits in two lines, else one line naming the tracked token and its place."""
    strip, lines = sentence_strip(trace), 1 if frame().height < 1.05 * frame().width else 2
    if strip.height <= lines * (line_height(SMALL_SIZE) + 0.18):
        return strip
    return VGroup(label_text(f"token {trace.tracked + 1} of {len(trace.tokens)}: “{trace.tracked_token}”",
                             SMALL_SIZE, frame().safe_width, RESULT))
