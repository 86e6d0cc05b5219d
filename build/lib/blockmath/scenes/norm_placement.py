"""NormPlacementScene: pre-norm vs post-norm — where LayerNorm sits, and what that does to the residual stream."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Create,
    Dot,
    Indicate,
    Line,
    RoundedRectangle,
    SurroundingRectangle,
    VectorizedPoint,
    VGroup,
)

from common import (
    ACCENT,
    BG,
    BODY_SIZE,
    DELTA_COLOR,
    H_COLOR,
    INK,
    MUTED,
    OUT_COLOR,
    SAFE_W,
    SMALL_SIZE,
    FadeIn,
    FadeOut,
    TraceScene,
    VectorBars,
    fit,
    plus_node,
    text,
    title,
)

# ---------------------------------------------------------------- layout constants (scene units)
BRANCH_Y = 1.2  # height of a branch above the stream (diagram coordinates)
BOX_H = 0.6
BOX_W = {"LN": 0.7, "Attn": 1.0, "MLP": 1.0}
BOX_GAP = 0.28  # between boxes, and between a branch's ends and its boxes
PLUS_R = 0.2  # radius of an ⊕ node
HALF_W = SAFE_W / 2 - 0.25  # width of one side (pre | post)
PANEL_ROW_H = 0.27  # one dimension of a stream vector
PANEL_BAR_MAX = 1.15  # the largest |value| of the six vectors fills this much of a panel
PANEL_GAP = 0.7  # room for an arrow between one panel's numbers and the next panel's longest bar
ROW_HEAD_W = 2.2  # width of a row's header (pre-norm / post-norm)
GRID_H = 5.7  # height available to the 2 × 3 grid (between the subtitle and the caption)
GRID_Y = -0.25  # its centre

# a block as a sequence of steps: ("branch", boxes) adds a branch and its ⊕; ("ln",) is an LN box on the stream;
# ("mark",) is the stage "after the attention add" (where h_attn is read)
PRE = [("branch", ("LN", "Attn")), ("mark",), ("branch", ("LN", "MLP"))]
POST = [("branch", ("Attn",)), ("ln",), ("mark",), ("branch", ("MLP",)), ("ln",)]
FORMULAS = {"pre": ("h = h + Attn(LN(h))", "h = h + MLP(LN(h))"),
            "post": ("h = LN(h + Attn(h))", "h = LN(h + MLP(h))")}
HEADS = {"pre": ("Pre-norm", "GPT-2 and most LLMs since"), "post": ("Post-norm", "the original Transformer, 2017")}
ROW_NOTES = {"pre": "LN on branches", "post": "LN on stream"}
STAGE_LABELS = {"pre": ("x  (input)", "h + Attn(LN h)", "h + MLP(LN h)"),
                "post": ("x  (input)", "LN(h + Attn h)", "LN(h + MLP h)")}


def box(label: str) -> VGroup:
    """A labelled block box; LayerNorm boxes in the accent color, the branches' layers in the update color."""
    color = ACCENT if label == "LN" else DELTA_COLOR
    r = RoundedRectangle(width=BOX_W[label], height=BOX_H, corner_radius=0.1, color=color, stroke_width=3,
                         fill_color=BG, fill_opacity=1)
    r.set_fill(color, opacity=0.15)
    back = r.copy().set_fill(BG, opacity=1).set_stroke(width=0)  # hides the line behind the box
    return VGroup(back, r, fit(text(label, SMALL_SIZE, INK), width=BOX_W[label] - 0.12).move_to(r))


class Diagram(VGroup):
    """One block drawn left to right: the residual stream (a line), branches above it, ⊕ nodes, LN boxes.

    Attributes: stream (the line), branch_ln / stream_ln (LN boxes by where they sit), marks (three points on the
    stream: input, after the attention add, output; they move with the diagram).
    """

    def __init__(self, steps, **kwargs):
        super().__init__(**kwargs)
        lines, boxes, nodes = VGroup(), VGroup(), VGroup()
        self.branch_ln, self.stream_ln = VGroup(), VGroup()
        x = 0.55
        marks = [0.0]
        for step in steps:
            if step[0] == "branch":
                split = x
                bx = split + BOX_GAP
                for name in step[1]:
                    b = box(name).move_to(np.array([bx + BOX_W[name] / 2, BRANCH_Y, 0]))
                    boxes.add(b)
                    if name == "LN":
                        self.branch_ln.add(b)
                    bx += BOX_W[name] + BOX_GAP
                join = bx + PLUS_R
                path = VGroup(Line(np.array([split, 0, 0]), np.array([split, BRANCH_Y, 0])),
                              Line(np.array([split, BRANCH_Y, 0]), np.array([join, BRANCH_Y, 0])),
                              Arrow(np.array([join, BRANCH_Y, 0]), np.array([join, PLUS_R, 0]), buff=0,
                                    max_tip_length_to_length_ratio=0.3, tip_length=0.16))
                path.set_color(MUTED).set_stroke(width=3)
                lines.add(path, Dot(np.array([split, 0, 0]), radius=0.06, color=H_COLOR))
                nodes.add(plus_node(np.array([join, 0, 0]), PLUS_R))
                x = join + PLUS_R + 0.35
            elif step[0] == "ln":
                b = box("LN").move_to(np.array([x + BOX_W["LN"] / 2, 0, 0]))
                boxes.add(b)
                self.stream_ln.add(b)
                x += BOX_W["LN"] + 0.35
            elif step[0] == "mark":
                marks.append(x - 0.17)
        end = x + 0.35
        marks.append(end)
        self.stream = Arrow(np.array([-0.1, 0, 0]), np.array([end, 0, 0]), buff=0, color=H_COLOR, stroke_width=5,
                            max_tip_length_to_length_ratio=0.04, tip_length=0.2)
        self.marks = VGroup(*[VectorizedPoint(np.array([m, 0, 0])) for m in marks])
        self.ends = VGroup(text("x", SMALL_SIZE, H_COLOR).next_to(self.stream, LEFT, buff=0.12),
                           text("out", SMALL_SIZE, H_COLOR).next_to(self.stream, RIGHT, buff=0.12))
        self.add(self.stream, lines, nodes, boxes, self.marks, self.ends)


class NormPlacementScene(TraceScene):
    def construct(self):
        self.intro()
        self.diagrams()
        self.pre_branch()
        self.post_stream()
        self.stream_values_beat()
        self.takeaway()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        self.header = title("Pre-norm vs post-norm",
                            "where LayerNorm sits: same input, same weights, only the LN boxes move")
        self.play(FadeIn(self.header))
        self.swap_caption("Two ways to wire the same block around the residual stream h.")
        self.wait(0.8)

    def diagrams(self):
        self.beat("diagrams")
        self.build_diagrams()
        for k in ("pre", "post"):
            self.play(FadeIn(self.heads[k]), Create(self.diagram[k].stream), run_time=0.8)
            self.play(*[FadeIn(m) for m in self.diagram[k] if m is not self.diagram[k].stream],
                      FadeIn(self.formulas[k]), run_time=0.9)
        self.wait(1.0)

    def pre_branch(self):
        self.beat("pre-norm")
        d = self.diagram["pre"]
        self.swap_caption("Pre-norm: LN sits on the branches. The stream itself is never normalized.", ACCENT)
        boxes = VGroup(*[SurroundingRectangle(b, color=OUT_COLOR, buff=0.07) for b in d.branch_ln])
        self.play(Create(boxes), *[Indicate(b, color=OUT_COLOR) for b in d.branch_ln])
        self.play(self.pulse(d))
        self.wait(1.2)
        self.play(FadeOut(boxes), run_time=0.4)

    def post_stream(self):
        self.beat("post-norm")
        d = self.diagram["post"]
        self.swap_caption("Post-norm: LN sits on the stream, re-normalizing it after every add.", ACCENT)
        boxes = VGroup(*[SurroundingRectangle(b, color=OUT_COLOR, buff=0.07) for b in d.stream_ln])
        self.play(Create(boxes), *[Indicate(b, color=OUT_COLOR) for b in d.stream_ln])
        self.play(self.pulse(d))
        self.wait(1.2)
        self.play(FadeOut(boxes), run_time=0.4)

    def stream_values_beat(self):
        self.beat("stream-values")
        tok = self.trace.tracked_token
        diagrams = VGroup(*self.heads.values(), *self.diagram.values(), *self.formulas.values())
        self.play(FadeOut(diagrams))
        self.build_panels()
        self.play(FadeIn(self.row_heads))
        self.play(*[FadeIn(self.panels[k][0]) for k in self.panels])
        self.swap_caption(f"Follow the stream vector of “{tok}”: both blocks start from the same x.")
        self.wait(1.2)
        notes = ("After the attention add: post-norm's LN pulls the stream back to mean 0, spread 1.",
                 "After the MLP add: pre-norm's stream keeps its own scale; post-norm's is normalized again.")
        for stage, note in zip((1, 2), notes):
            self.swap_caption(note)
            self.play(*[FadeIn(self.panels[k][stage], shift=RIGHT * 0.2) for k in self.panels],
                      *[Create(self.arrows[k][stage - 1]) for k in self.panels])
            self.wait(2.4)
        self.stream_values = {k: [p.values_shown() for p in self.panels[k]] for k in self.panels}

    def takeaway(self):
        self.beat("takeaway")
        self.swap_caption("Pre-norm: LN on the branches, the stream keeps its scale. Post-norm: LN on the stream.",
                          OUT_COLOR)
        self.wait(2.2)
        self.swap_caption("Most LLMs since GPT-2 use pre-norm: the untouched stream makes deep stacks easier "
                          "to train.", OUT_COLOR)
        self.wait(2.2)

    # ---------------------------------------------------------------- helpers and layout

    def pulse(self, d: Diagram):
        """A dot running along a diagram's stream (what the residual stream passes through)."""
        dot = Dot(d.marks[0].get_center(), radius=0.08, color=OUT_COLOR)
        self.add(dot)
        return dot.animate(run_time=1.4, remover=True).move_to(d.marks[-1])

    def build_diagrams(self):
        """Pre (left) and post (right): header, diagram, formulas; same scale, streams on one line."""
        self.diagram = {"pre": Diagram(PRE), "post": Diagram(POST)}
        k = min(1.0, HALF_W / max(d.width for d in self.diagram.values()))
        self.heads, self.formulas = {}, {}
        for d in self.diagram.values():
            d.scale(k)
        rise = max(d.get_top()[1] - d.stream.get_center()[1] for d in self.diagram.values())  # above the stream
        drop = max(d.stream.get_center()[1] - d.get_bottom()[1] for d in self.diagram.values())  # below it
        cols = VGroup()
        for i, (name, d) in enumerate(self.diagram.items()):
            x = (-1 if i == 0 else 1) * SAFE_W / 4
            head = VGroup(text(HEADS[name][0], 32, INK, weight="BOLD"), text(HEADS[name][1], SMALL_SIZE, MUTED))
            head.arrange(DOWN, buff=0.1).move_to(np.array([x, 0, 0]), aligned_edge=UP)
            d.shift(np.array([x - d.stream.get_center()[0], head.get_bottom()[1] - 0.5 - rise
                              - d.stream.get_center()[1], 0]))
            f = VGroup(*[text(s, 24, INK, mono=True) for s in FORMULAS[name]])
            f.arrange(DOWN, aligned_edge=LEFT, buff=0.18)
            f.move_to(np.array([x, d.stream.get_center()[1] - drop - 0.55, 0]), aligned_edge=UP)
            self.heads[name], self.formulas[name] = head, f
            cols.add(VGroup(head, d, f))
        cols.move_to(np.array([0, -0.2, 0]))

    def build_panels(self):
        """A 2 × 3 grid: rows pre / post, columns x, h_attn, out of the tracked token, bars on one shared scale."""
        t = self.trace.tracked
        pl = self.trace.placements
        stages = ("x", "h_attn", "out")
        vals = {k: [getattr(pl[k], s)[t] for s in stages] for k in ("pre", "post")}
        vmax = float(max(np.abs(v).max() for vs in vals.values() for v in vs))  # display scale, shared by all six
        d = len(vals["pre"][0])
        row_h = min(PANEL_ROW_H, 2.2 / d)
        self.row_heads = VGroup()
        self.panels, self.arrows = {}, {}
        for k in ("pre", "post"):
            panels = VGroup()
            for i, v in enumerate(vals[k]):
                p = (VectorBars(v, vmax, H_COLOR, STAGE_LABELS[k][i], bar_max=PANEL_BAR_MAX,
                                              row_h=row_h))
                if k == "post" and i > 0:
                    p.label.set_color(ACCENT)
                panels.add(p)
            for prev, p in zip(panels, panels[1:]):  # axes spaced so that an arrow fits between panels
                step = prev.numbers.get_right()[0] - prev.axis.get_center()[0] + PANEL_GAP + p.bar_max
                p.shift(RIGHT * (prev.axis.get_center()[0] + step - p.axis.get_center()[0]))
                p.align_to(prev, UP)
            head = VGroup(text(HEADS[k][0], BODY_SIZE, INK, weight="BOLD"),
                          text(ROW_NOTES[k], SMALL_SIZE, ACCENT)).arrange(DOWN, buff=0.1)
            fit(head, width=ROW_HEAD_W)
            self.panels[k] = panels
            self.row_heads.add(head)
        pre, post = self.panels["pre"], self.panels["post"]
        post.next_to(pre, DOWN, buff=0.3)
        for p, q in zip(pre, post):  # stage columns: each post panel's axis under the pre panel's axis
            q.shift(RIGHT * (p.axis.get_center()[0] - q.axis.get_center()[0]))
        left = min(pre.get_left()[0], post.get_left()[0]) - 0.4
        for head, row in zip(self.row_heads, (pre, post)):
            head.move_to(np.array([left - ROW_HEAD_W / 2, row.get_center()[1], 0]))
        grid = VGroup(self.row_heads, pre, post)
        fit(grid, SAFE_W, GRID_H)
        grid.move_to(np.array([0, GRID_Y, 0]))
        for k in ("pre", "post"):
            ps = self.panels[k]
            self.arrows[k] = VGroup(*[
                Arrow(ps[i].numbers.get_right() + RIGHT * 0.1,
                      ps[i + 1].axis.get_center() + LEFT * (ps[i + 1].bar_max + 0.1),
                      buff=0.05, color=MUTED, stroke_width=3, max_tip_length_to_length_ratio=0.3)
                .set_y(ps[i].axis.get_center()[1]) for i in range(2)])
