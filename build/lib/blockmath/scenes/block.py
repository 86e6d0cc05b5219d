"""BlockScene: the pre-norm block — a communication update, then a thinking update, on one residual stream."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Create,
    Line,
    RoundedRectangle,
    ShowPassingFlash,
    VGroup,
    VMobject,
)

from common import (
    ACCENT,
    BODY_SIZE,
    DELTA_COLOR,
    H_COLOR,
    INK,
    MUTED,
    OUT_COLOR,
    SMALL_SIZE,
    CellMatrix,
    FadeIn,
    FadeOut,
    TraceScene,
    fit,
    plus_node,
    text,
    title,
)

STREAM_Y = -0.35  # the residual stream's height on screen
BRANCH_Y = 0.95  # where the branch boxes sit
CARD_DY = 1.0  # the tracked token's vector sits this far below the stream
STOPS = (-4.2, 0.0, 4.2)  # x of the vector card: input, after the attention add, after the MLP add


def box(label: str, color) -> VGroup:
    r = RoundedRectangle(width=1.35, height=0.6, corner_radius=0.12, color=color, stroke_width=3,
                         fill_color=color, fill_opacity=0.12)
    return VGroup(r, fit(text(label, SMALL_SIZE, INK), width=1.2).move_to(r))


class BlockScene(TraceScene):
    def construct(self):
        self.intro()
        self.communication()
        self.thinking()
        self.direct_path()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        t, b = self.trace, self.trace.block
        self.header = title("The pre-norm block", "two updates added onto one residual stream")
        self.formulas = VGroup(
            VGroup(text("h = h + Attn(LN(h))", BODY_SIZE, mono=True), text("communication update", SMALL_SIZE, MUTED)),
            VGroup(text("h = h + MLP(LN(h))", BODY_SIZE, mono=True), text("thinking update", SMALL_SIZE, MUTED)),
        )
        for f in self.formulas:
            f.arrange(RIGHT, buff=0.4)
        self.formulas.arrange(DOWN, aligned_edge=LEFT, buff=0.12).next_to(self.header, DOWN, buff=0.25)
        self.stream = Arrow([-6.7, STREAM_Y, 0], [6.7, STREAM_Y, 0], color=H_COLOR, stroke_width=10, buff=0,
                            max_tip_length_to_length_ratio=0.03)
        stream_label = text("residual stream", SMALL_SIZE, H_COLOR).next_to(self.stream.get_start(), UP, buff=0.12,
                                                                             aligned_edge=LEFT)
        self.plus = [plus_node([x, STREAM_Y, 0]) for x in (-2.2, 2.2)]
        self.attn_branch, self.attn_boxes = self.branch(-6.0, -2.2, ("LN", "Attention"), ACCENT)
        self.mlp_branch, self.mlp_boxes = self.branch(-1.8, 2.2, ("LN", "MLP"), DELTA_COLOR)
        self.vmax = float(np.abs(np.stack([b.x[t.tracked], b.h_attn[t.tracked], b.out[t.tracked],
                                           b.attn_out[t.tracked], b.ffn_out[t.tracked]])).max())
        self.card = self.vector_card(b.x[t.tracked], f"“{t.tracked_token}”", STOPS[0])
        self.shown_states = [self.card.values_shown()[0]]
        self.play(FadeIn(self.header), FadeIn(self.formulas))
        self.play(Create(self.stream), FadeIn(stream_label), *[FadeIn(p) for p in self.plus])
        self.play(FadeIn(self.attn_branch), FadeIn(self.attn_boxes), FadeIn(self.mlp_branch), FadeIn(self.mlp_boxes))
        self.play(FadeIn(self.card))
        self.swap_caption(f"Every token's vector travels along the stream; follow “{t.tracked_token}”.")
        self.wait(1.5)

    def communication(self):
        self.beat("communication-update")
        t = self.trace
        self.focus(0)
        self.swap_caption("Communication: LN, then attention mixes in information from other tokens.")
        self.add_update(self.attn_branch, t.block.attn_out[t.tracked], "+ Attn(LN(h))", ACCENT,
                        t.block.h_attn[t.tracked], STOPS[1])

    def thinking(self):
        self.beat("thinking-update")
        t = self.trace
        self.focus(1)
        self.swap_caption(f"Thinking: LN, then the MLP processes “{t.tracked_token}” on its own.")
        self.add_update(self.mlp_branch, t.block.ffn_out[t.tracked], "+ MLP(LN(h))", DELTA_COLOR,
                        t.block.out[t.tracked], STOPS[2])

    def direct_path(self):
        self.beat("direct-path")
        t = self.trace
        self.focus(None)
        ghost = self.vector_card(t.block.x[t.tracked], "input", STOPS[2], dy=CARD_DY + 0.8)
        ghost.align_to(self.card, RIGHT)
        self.play(ShowPassingFlash(self.stream.copy().set_color(OUT_COLOR).set_stroke(width=14), time_width=0.6),
                  run_time=1.5)
        self.play(FadeIn(ghost))
        self.swap_caption("The stream is never overwritten: output = input + two updates (a direct path).")
        self.wait(2.0)
        self.swap_caption("That direct path lets gradients flow through deep stacks; new layers can start near zero.",
                          H_COLOR)
        self.wait(2.5)

    # ---------------------------------------------------------------- helpers

    def branch(self, x_from: float, x_to: float, labels: tuple[str, str], color) -> tuple[VMobject, VGroup]:
        """A path that leaves the stream, runs through two boxes above it, and comes back down at a ⊕."""
        boxes = VGroup(*[box(s, color) for s in labels]).arrange(RIGHT, buff=0.45)
        boxes.move_to([(x_from + x_to) / 2, BRANCH_Y, 0])
        path = VMobject(color=color, stroke_width=4).set_points_as_corners([
            [x_from, STREAM_Y, 0], [x_from, BRANCH_Y, 0], boxes[0].get_left(),
        ])
        mid = Line(boxes[0].get_right(), boxes[1].get_left(), color=color, stroke_width=4)
        back = VMobject(color=color, stroke_width=4).set_points_as_corners([
            boxes[1].get_right(), [x_to, BRANCH_Y, 0], [x_to, STREAM_Y + 0.22, 0],
        ])
        return VGroup(path, mid, back), boxes

    def vector_card(self, values, label: str, x: float, dy: float = CARD_DY) -> CellMatrix:
        card = CellMatrix(np.asarray(values)[None, :], [label], self.vmax, cell=0.46, label_width=0.9)
        fit(card, width=4.6)
        card.move_to([x, STREAM_Y - dy, 0])
        return card

    def add_update(self, branch: VGroup, delta, label: str, color, new_state, x_next: float):
        """Flash the branch, show its output under the next ⊕, then add it into the token's vector."""
        self.play(ShowPassingFlash(branch.copy().set_stroke(width=9, color=OUT_COLOR), time_width=0.5), run_time=1.5)
        update = self.vector_card(delta, "", x_next, dy=CARD_DY + 0.8)
        tag = text(label, SMALL_SIZE, color).next_to(update, LEFT, buff=0.15)
        self.play(FadeIn(update), FadeIn(tag))
        self.update_rows = getattr(self, "update_rows", []) + [update.values_shown()[0]]
        self.play(self.card.animate.move_to([x_next, STREAM_Y - CARD_DY, 0]))
        self.play(update.animate.move_to(self.card.cells).set_opacity(0), FadeOut(tag), run_time=0.8)
        self.remove(update)
        self.play(self.card.animate_to(np.asarray(new_state)[None, :]))
        self.shown_states.append(self.card.values_shown()[0])
        self.wait(1.5)

    def focus(self, i: int | None):
        """Highlight formula i (None: both back to normal)."""
        anims = []
        for j, f in enumerate(self.formulas):
            anims.append(f[0].animate.set_color(OUT_COLOR if j == i else (INK if i is None else MUTED)))
        self.play(*anims, run_time=0.5)
