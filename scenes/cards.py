"""TitleCards: one short title card per scene, each its own section; the movie puts them between the clips."""

from __future__ import annotations

from manim import DOWN, VGroup

from common import (
    BODY_SIZE,
    MUTED,
    SAFE_W,
    TITLE_SIZE,
    FadeIn,
    FadeOut,
    TraceScene,
    fit,
    sentence_strip,
    text,
)

# (scene name, title, one-line idea), in teaching order: the movie follows this order.
CARDS = (
    ("residual", "1 · Residual", "a layer revises the token state: h′ = h + λ·Δ"),
    ("layernorm", "2 · LayerNorm", "each token's row is normalized on its own"),
    ("ffn", "3 · Feed-forward network", "the same small network runs on every token"),
    ("attention", "4 · Attention", "tokens read from earlier tokens"),
    ("block", "5 · The pre-norm block", "communication update, then thinking update"),
    ("norm-placement", "6 · Where LayerNorm sits", "pre-norm vs post-norm"),
    ("depth", "7 · Depth", "why residual stacks stay trainable"),
    ("takeaways", "8 · Takeaways", "three things to remember"),
)


class TitleCards(TraceScene):
    def construct(self):
        for name, heading, idea in CARDS:
            self.card(name, heading, idea)

    def card(self, name: str, heading: str, idea: str):
        self.beat(name)
        group = VGroup(text(heading, TITLE_SIZE, weight="BOLD"), text(idea, BODY_SIZE, MUTED),
                       sentence_strip(self.trace)).arrange(DOWN, buff=0.45)
        fit(group, SAFE_W)
        self.play(FadeIn(group), run_time=0.5)
        self.wait(1.5)
        self.play(FadeOut(group), run_time=0.5)
