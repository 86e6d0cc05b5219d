"""TakeawaysScene: the three things to remember, each with a small live visual from the earlier scenes."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    RIGHT,
    UP,
    Indicate,
    RoundedRectangle,
    SurroundingRectangle,
    VGroup,
    linear,
)

from common import (
    ACCENT,
    BODY_SIZE,
    DELTA_COLOR,
    H_COLOR,
    INK,
    MUTED,
    OUT_COLOR,
    SAFE_W,
    SMALL_SIZE,
    CellMatrix,
    FadeIn,
    TraceScene,
    VectorBars,
    fit,
    text,
    title,
)

PANEL_W = 4.1  # width of each takeaway panel


class TakeawaysScene(TraceScene):
    def construct(self):
        self.intro()
        self.residual_keeps_the_backbone()
        self.layernorm_tidies()
        self.ffn_reprocesses()
        self.talk_and_think()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        self.header = title("Three things to remember", f"all numbers: “{self.trace.config.sentence}”")
        self.play(FadeIn(self.header))

    def residual_keeps_the_backbone(self):
        self.beat("residual")
        s = self.trace.sweep
        vmax = float(max(np.abs(s.out).max(), np.abs(s.h).max()))
        bars = VectorBars(s.h, vmax, OUT_COLOR, f"h + λΔ  (“{self.trace.tracked_token}”)", bar_max=1.0,
                          row_h=min(0.3, 2.4 / len(s.h)))
        self.res_bars = bars
        self.res_panel = self.panel("1. Residual keeps the backbone", bars, "h′ = h + λΔ: revise, don't replace",
                                    H_COLOR)
        self.place(self.res_panel, 0)
        self.play(FadeIn(self.res_panel))
        self.swap_caption("Residual: each layer adds an update to the token's state; the state itself stays.")
        i1 = s.index(1.0)
        self.play(bars.animate_values(s.out[:i1 + 1]), run_time=2.0, rate_func=linear)
        self.wait(0.5)

    def layernorm_tidies(self):
        self.beat("layernorm")
        t = self.trace
        T = len(t.tokens)
        cell = min(0.2, 2.6 / T)
        m = CellMatrix(t.block.x, None, vmax=float(np.abs(t.block.x).max()), cell=cell, show_numbers=False)
        self.ln_matrix = m
        self.ln_panel = self.panel("2. LayerNorm tidies values", m, "one row per token: own μ, σ; rows never mix",
                                   ACCENT)
        self.place(self.ln_panel, 1)
        self.play(FadeIn(self.ln_panel))
        self.swap_caption("LayerNorm: every row gets its own mean and spread; it tidies scale, adds no knowledge.")
        self.play(m.animate_to(t.layernorm.out), run_time=2.0)
        self.wait(0.5)

    def ffn_reprocesses(self):
        self.beat("ffn")
        t = self.trace
        T = len(t.tokens)
        cell = min(0.16, 2.6 / T)
        vmax = float(max(np.abs(t.block.ln2).max(), np.abs(t.block.ffn_out).max()))
        inputs = CellMatrix(t.block.ln2, None, vmax, cell=cell, show_numbers=False, label_width=0.1)
        outputs = CellMatrix(np.zeros_like(t.block.ffn_out), None, vmax, cell=cell, show_numbers=False,
                             label_width=0.1)
        net = RoundedRectangle(width=0.9, height=inputs.cells.height, corner_radius=0.1, color=DELTA_COLOR,
                               fill_color=DELTA_COLOR, fill_opacity=0.15)
        net_label = text("FFN", SMALL_SIZE, INK).move_to(net)
        visual = VGroup(inputs, VGroup(net, net_label), outputs).arrange(RIGHT, buff=0.25)
        self.ffn_outputs = outputs
        self.ffn_panel = self.panel("3. FFN reprocesses each token", visual, "the same network, one token at a time",
                                    DELTA_COLOR)
        self.place(self.ffn_panel, 2)
        self.play(FadeIn(self.ffn_panel))
        self.swap_caption("FFN: one network, the same weights, applied to each token separately.")
        for r in range(T):
            box = SurroundingRectangle(inputs.row(r), color=OUT_COLOR, buff=0.02, stroke_width=2)
            self.add(box)
            self.play(outputs.animate_to(t.block.ffn_out, rows=[r]), Indicate(net, scale_factor=1.05),
                      run_time=max(0.2, 2.4 / T))
            self.remove(box)
        self.wait(0.5)

    def talk_and_think(self):
        self.beat("talk-and-think")
        line = VGroup(text("attention lets tokens talk", BODY_SIZE, ACCENT), text("·", BODY_SIZE, MUTED),
                      text("the MLP lets each token think", BODY_SIZE, DELTA_COLOR)).arrange(RIGHT, buff=0.3)
        fit(line, SAFE_W)
        line.next_to(VGroup(self.res_panel, self.ln_panel, self.ffn_panel), DOWN, buff=0.9)
        self.play(FadeIn(line, shift=UP * 0.2))
        self.swap_caption("Residual, LayerNorm, FFN: the half of the block that is not attention.")
        self.wait(3.0)

    # ---------------------------------------------------------------- helpers

    def panel(self, heading: str, visual, note: str, color) -> VGroup:
        """A takeaway: heading, a live visual, and one line underneath, all within PANEL_W."""
        h = fit(text(heading, SMALL_SIZE - 3, color, weight="BOLD"), width=PANEL_W)
        fit(visual, width=PANEL_W - 0.2, height=3.6)
        n = fit(text(note, SMALL_SIZE - 2, INK), width=PANEL_W)
        return VGroup(h, visual, n).arrange(DOWN, buff=0.3)

    def place(self, panel: VGroup, i: int) -> None:
        """Put panel i of three side by side under the title, tops aligned."""
        panel.move_to([(i - 1) * (PANEL_W + 0.45), 0, 0])
        panel.shift((self.header.get_bottom()[1] - 0.45 - panel.get_top()[1]) * UP)
