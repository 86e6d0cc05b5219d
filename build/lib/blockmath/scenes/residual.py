"""ResidualScene: h' = h + λ·Δ — a layer revises the token state, it does not replace it."""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    Dot,
    NumberLine,
    ReplacementTransform,
    ValueTracker,
    VGroup,
    linear,
)

from common import (
    BODY_SIZE,
    DELTA_COLOR,
    GAP,
    H_COLOR,
    MUTED,
    OUT_COLOR,
    SAFE_W,
    SMALL_SIZE,
    FadeIn,
    FadeOut,
    TraceScene,
    VectorBars,
    number,
    sentence_strip,
    text,
    title,
)


class ResidualScene(TraceScene):
    def construct(self):
        self.intro()
        self.state_and_update()
        self.sweep()
        self.replace_instead()
        self.takeaway()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        tok = self.trace.tracked_token
        self.header = title("Residual:  h′ = h + λ · Δ", "a layer revises the token state, it does not replace it")
        self.strip = sentence_strip(self.trace).next_to(self.header, DOWN, buff=0.3)
        self.play(FadeIn(self.header), FadeIn(self.strip))
        self.swap_caption(f"Follow one token, “{tok}”: its state h flows through the layer.")
        self.wait(1.5)

    def state_and_update(self):
        self.beat("state-and-update")
        s = self.trace.sweep
        d = len(s.h)
        self.vmax = float(max(abs(s.out).max(), abs(s.delta).max(), abs(s.h).max()))
        row_h = min(0.36, 2.9 / d)
        self.h_panel = VectorBars(s.h, self.vmax, H_COLOR, "h  (state so far)", row_h=row_h)
        self.d_panel = VectorBars(s.delta, self.vmax, DELTA_COLOR, "Δ  (the FFN's update)", row_h=row_h)
        self.o_panel = VectorBars(s.h, self.vmax, OUT_COLOR, "h′ = h + λΔ", row_h=row_h)
        plus, eq = text("+ λ ·", BODY_SIZE), text("=", BODY_SIZE)
        self.operators = VGroup(plus, eq)
        self.row = VGroup(self.h_panel, plus, self.d_panel, eq, self.o_panel).arrange(RIGHT, buff=0.35)
        self.row.scale_to_fit_width(min(self.row.width, SAFE_W)).next_to(self.strip, DOWN, buff=0.4)
        self.play(FadeIn(self.h_panel))
        self.swap_caption(f"h: the {d} numbers that describe “{self.trace.tracked_token}” right now.")
        self.wait(1.5)
        self.play(FadeIn(plus), FadeIn(self.d_panel))
        self.swap_caption("Δ: what this layer proposes to change (computed by the core's FFN).")
        self.wait(1.5)
        self.play(FadeIn(eq), FadeIn(self.o_panel))

    def sweep(self):
        self.beat("lambda-sweep")
        s = self.trace.sweep
        lam = ValueTracker(0.0)
        lo, hi = float(s.lam[0]), float(s.lam[-1])
        line = NumberLine(x_range=[lo, hi, 0.5], length=5.0, color=MUTED, include_numbers=False)
        ticks = VGroup(*[text(f"{v:g}", SMALL_SIZE, MUTED).next_to(line.n2p(v), DOWN, buff=0.15)
                         for v in (lo, (lo + hi) / 2, hi)])
        knob = Dot(line.n2p(0.0), color=OUT_COLOR, radius=0.1)
        readout = VGroup(text("λ =", BODY_SIZE), number(0.0, 2, size=BODY_SIZE)).arrange(RIGHT, buff=0.15)
        slider = VGroup(readout, VGroup(line, ticks, knob)).arrange(RIGHT, buff=0.4)
        cos_row = VGroup(text("cos(h′, h) =", SMALL_SIZE), number(s.cos_to_h[0], 2, size=SMALL_SIZE))
        norm_row = VGroup(text("‖h′‖ =", SMALL_SIZE), number(s.norm[0], 2, size=SMALL_SIZE))
        for r in (cos_row, norm_row):
            r.arrange(RIGHT, buff=0.12)
        metrics = VGroup(cos_row, norm_row).arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        bottom = VGroup(slider, metrics).arrange(RIGHT, buff=GAP * 1.5)
        bottom.scale_to_fit_width(min(bottom.width, SAFE_W)).next_to(self.row, DOWN, buff=0.35)
        self.slider, self.metrics = bottom, metrics

        def follow(_):
            i = s.index(lam.get_value())
            self.o_panel.set_values(s.out[i])
            knob.move_to(line.n2p(s.lam[i]))
            readout[1].set_value(s.lam[i])
            cos_row[1].set_value(s.cos_to_h[i])
            norm_row[1].set_value(s.norm[i])

        self.play(FadeIn(bottom))
        self.swap_caption("At λ = 0, h′ is exactly h (the identity). Now λ slides up.")
        self.wait(1.5)
        notes = {0.0: "λ = 0: h′ = h exactly (the identity).", 1.0: "λ = 1: the block's real step, h′ = h + Δ.",
                 2.0: "λ = 2: twice the step; h is still inside h′."}
        self.shown_at = {0.0: self.o_panel.values_shown()}  # what h′ showed at each λ stop (for tests)
        for target in self.trace.config.lambdas:
            if target == lam.get_value():
                continue  # already there (a sweep that starts at 0)
            self.o_panel.add_updater(follow)  # only while λ moves: a still frame during waits is drawn once
            self.play(lam.animate.set_value(target), run_time=2.0, rate_func=linear)
            self.o_panel.remove_updater(follow)
            self.shown_at[target] = self.o_panel.values_shown()
            self.swap_caption(notes.get(target, f"λ = {target:g}: h′ = h + {target:g}·Δ."))
            self.wait(1.0)
        follow(None)

    def replace_instead(self):
        self.beat("replace-instead")
        s = self.trace.sweep
        i1 = s.index(1.0)
        self.swap_caption("Replace instead (h ← Δ): the old state is thrown away.", DELTA_COLOR)
        replaced = VectorBars(s.delta, self.vmax, DELTA_COLOR, "h ← Δ  (replace)", row_h=self.o_panel.bars[0].height / 0.7)
        replaced.move_to(self.o_panel)
        self.play(ReplacementTransform(self.o_panel, replaced), FadeOut(self.operators), self.slider[0].animate.set_opacity(0.3))
        self.o_panel = replaced
        compare = VGroup(
            VGroup(text("add, λ = 1:", SMALL_SIZE, OUT_COLOR), text("cos to h", SMALL_SIZE, MUTED),
                   number(s.cos_to_h[i1], 2, SMALL_SIZE)),
            VGroup(text("replace:", SMALL_SIZE, DELTA_COLOR), text("cos to h", SMALL_SIZE, MUTED),
                   number(s.replace_cos, 2, SMALL_SIZE)),
        )
        for r in compare:
            r.arrange(RIGHT, buff=0.15)
        compare.arrange(DOWN, aligned_edge=LEFT, buff=0.12).move_to(self.metrics, aligned_edge=LEFT)
        self.compare = compare
        self.play(FadeOut(self.metrics), FadeIn(compare))
        self.wait(2.0)

    def takeaway(self):
        self.beat("takeaway")
        self.swap_caption("Residual: keep the backbone h, stack small increments onto it.", H_COLOR)
        self.wait(2.5)
