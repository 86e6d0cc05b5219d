"""NormPlacementScene: pre-norm vs post-norm — where LayerNorm sits, and what that does to the residual stream.

Pre-norm:  h = x + Attn(LN₁(x));  out = h + MLP(LN₂(h))   (LN on the branches; the stream only gets updates added).
Post-norm: h = LN₁(x + Attn(x));  out = LN₂(h + MLP(h))   (LN on the stream; it is normalized after every add).
The same input and weights go through both (trace.placements); the tracked token's stream is followed step by step.
The takeaway shows the trace's deep-stack measurement: each layer's weight gradient at initialization (trace.depth).
Every beat ends on a complete picture (a slide); what it leaves goes when the next beat starts.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arrow, Create, Dot, Indicate, SurroundingRectangle, VGroup

from blockmath.journey import journeys
from kit.base import TraceScene
from kit.columns import fit_table, table_row
from kit.diagram import BlockDiagram
from kit.fast import FadeIn, FadeOut
from kit.layout import Box, content_band
from kit.names import names
from kit.plots import LogPlot
from kit.style import BODY_SIZE, INK, LN, MUTED, NOTE_SIZE, POST_NORM, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import scientific, shown, text
from kit.widgets import nb, paragraph, title

HEADS = {"pre": ("Pre-norm", "GPT-2 and most LLMs since"), "post": ("Post-norm", "the original Transformer, 2017")}
WHERE = {"pre": "LN on the branches", "post": "LN on the stream"}


def stage_labels(norm: str, short: bool = False) -> list[str]:
    """The row label of each stage of the stream (journey.stages), for one placement (short: only the names)."""
    n = names(norm)
    if short:
        return [n.x, n.h, n.out] if norm == "pre" else [n.x, f"{n.x} + {n.attn}", n.h, f"{n.h} + {n.mlp}", n.out]
    if norm == "pre":
        return [n.x, f"{n.h} = {n.x} + {n.attn}", f"{n.out} = {n.h} + {n.mlp}"]
    return [n.x, f"{n.x} + {n.attn}", f"{n.h} = LN₁({n.x} + {n.attn})", f"{n.h} + {n.mlp}",
            f"{n.out} = LN₂({n.h} + {n.mlp})"]


def f2(v: float) -> str:
    return f"{v:.2f}"


def ln_effect(before: float, after: float) -> str:
    """What a LayerNorm did to the stream's spread, in words that follow the numbers."""
    s = nb(f"σ {f2(before)} → {f2(after)}")
    if abs(after - 1) > 0.2:
        return s
    return s + (": it was close to 1 already" if abs(before - after) < 0.1 else ", a spread near 1")


class NormPlacementScene(TraceScene):
    def construct(self):
        self.journeys = journeys(self.trace)  # both placements step by step: sums, stages, spreads
        self.left = []  # what a beat leaves for its last look; it goes when the next beat starts
        self.intro()
        self.diagrams()
        self.rings("pre")
        self.rings("post")
        self.stream_values()
        self.takeaway()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        self.header = title("Pre-norm vs post-norm", "where LayerNorm sits (same input, same weights)")
        self.band = content_band(self.header)
        self.build_diagrams()
        streams = [m for k in ("pre", "post") for m in (self.heads[k], self.diagram[k].stream, self.diagram[k].ends)]
        self.play(FadeIn(self.header), *[FadeIn(m) for m in streams], run_time=1.0)
        self.swap_caption("Two ways to wire the same block around the residual stream: the same x goes in.")
        self.wait(1.2)

    def diagrams(self):
        self.beat("diagrams")
        for k in ("pre", "post"):
            d = self.diagram[k]
            rest = [m for m in d if m is not d.stream and m is not d.ends]
            self.play(*[FadeIn(m) for m in rest], FadeIn(self.formulas[k]), run_time=0.9)
        self.swap_caption("Same boxes, same ⊕: only where the two LayerNorms sit differs.")
        self.wait(1.2)

    def rings(self, k: str):
        self.beat(f"{k}-norm")
        d = self.diagram[k]
        ring = VGroup(*[SurroundingRectangle(d.boxes[b], color=RESULT, buff=0.07) for b in ("ln1", "ln2")])
        self.play(*[FadeOut(m) for m in self.left], Create(ring), *[Indicate(d.boxes[b], color=RESULT)
                                                                    for b in ("ln1", "ln2")])
        self.left = [ring]
        if k == "pre":
            self.swap_caption("Pre-norm: LN₁ and LN₂ sit on the branches. The stream itself is never normalized.", LN)
        else:
            self.swap_caption("Post-norm: LN₁ and LN₂ sit on the stream, which is normalized again after every add.",
                              LN)
        self.play(self.pulse(d))
        self.wait(1.2)

    def stream_values(self):
        self.beat("stream-values")
        t, sp = self.trace, {k: j.spread[:, self.trace.tracked] for k, j in
                                                     self.journeys.items()}
        gone = [FadeOut(m) for m in self.left]
        gone.append(FadeOut(VGroup(*self.heads.values(), *self.diagram.values(), *self.formulas.values())))
        self.build_table()
        pre, post = self.rows["pre"], self.rows["post"]
        self.play(*gone, FadeIn(self.table_heads), FadeIn(pre[0]), FadeIn(post[0]), run_time=0.8)
        who = f"“{t.tracked_token}”" if text(t.tracked_token, BODY_SIZE).width < 2.5 else "the tracked token"
        self.swap_caption(f"Follow the stream of {who} through both: the same x, with spread "
                          f"{nb('σ = ' + f2(sp['pre'][0]))}.")
        self.snap()
        self.wait(1.0)
        self.play(FadeIn(pre[1]), run_time=0.6)
        self.play(FadeIn(pre[2]), run_time=0.6)
        self.snap()
        self.swap_caption(f"Pre-norm only adds to its stream: σ goes {f2(sp['pre'][0])} → {f2(sp['pre'][1])} → "
                          f"{f2(sp['pre'][2])}.", STREAM)
        self.wait(1.6)
        for r, key in ((1, "LN₁"), (3, "LN₂")):
            self.play(FadeIn(post[r]), run_time=0.6)
            self.play(FadeIn(post[r + 1]), FadeIn(self.marks[r]), run_time=0.8)
            self.snap()
            self.swap_caption(f"Post-norm adds, then {key} normalizes the stream itself: "
                              f"{ln_effect(sp['post'][r], sp['post'][r + 1])}.", LN)
            self.wait(1.6)
        self.play(FadeIn(self.notes), run_time=0.6)
        self.swap_caption("The updates differ too: post-norm's branches read x and h, pre-norm's LN₁(x) and "
                          "LN₂(h).")
        self.wait(1.6)

    def takeaway(self):
        self.beat("takeaway")
        pre, post = (next(c for c in self.trace.depth if c.norm == k and c.skip) for k in ("pre", "post"))
        n = len(pre.weight_grad_norm)
        self.build_plot(pre.weight_grad_norm, post.weight_grad_norm)
        self.play(FadeOut(self.table), FadeIn(self.plot.frame), run_time=0.8)
        self.play(Create(self.plot.curves), FadeIn(self.plot.tags), run_time=1.4)
        self.swap_caption(f"A stack of {n} such blocks at initialization: each layer's weight gradient, pre-norm "
                          "against post-norm.")
        self.wait(1.6)
        a, b = (scientific(float(c.weight_grad_norm[-1]), 2) for c in (post, pre))
        ratio = float(post.weight_grad_norm[-1] / pre.weight_grad_norm[-1])
        self.play(FadeIn(self.plot.ends), run_time=0.6)
        if ratio >= 1.5:
            self.swap_caption(f"Near the output (layer {n - 1}), post-norm's is {ratio:.1f}× pre-norm's: {a} against "
                              f"{b}.", RESULT)
        else:
            self.swap_caption(f"Here they end close, {a} and {b}; in large models post-norm's are far larger there "
                              "(Xiong et al., 2020).", RESULT)
        self.wait(1.8)
        self.swap_caption("Large gradients near the output make the first steps unstable: post-norm needs a "
                          "learning-rate warm-up.", RESULT)
        self.wait(1.8)
        self.swap_caption("Pre-norm, with LN on the branches, can train without a warm-up: GPT-2 and most LLMs "
                          "since use pre-norm.", RESULT)
        self.wait(2.0)

    # ---------------------------------------------------------------- helpers

    def pulse(self, d: BlockDiagram):
        """A dot running along a diagram's stream (what the residual stream passes through)."""
        dot = Dot(d.stops[0].get_center(), radius=0.08, color=RESULT)
        self.add(dot)
        return dot.animate(run_time=1.4, remover=True).move_to(d.stops[-1])

    def snap(self):
        """Record the table as drawn: (placement, row label, columns, values shown, σ shown) per visible row."""
        self.snaps = getattr(self, "snaps", [])
        family = set(self.get_mobject_family_members())
        for k in ("pre", "post"):
            for row in self.rows[k]:
                if row.side in family and row.side.fill_rgbas[0, 3] > 0:
                    self.snaps.append((k, row.label.text_info.source, self.geo.shown,
                                       [shown(m) for m in row.numbers], shown(row.side)))

    # ---------------------------------------------------------------- layout

    def build_diagrams(self):
        """Pre above post; each with its name, its diagram and its formulas (beside it in a wide frame)."""
        band, wide = self.band, frame().landscape
        self.diagram, self.heads, self.formulas = {}, {}, {}
        groups = []
        for k in ("pre", "post"):
            n = names(k)
            head = VGroup(text(HEADS[k][0], BODY_SIZE, INK, weight="BOLD"), text(HEADS[k][1], NOTE_SIZE, MUTED))
            formulas = VGroup(*[text(s, SMALL_SIZE, INK, mono=True) for s in (n.attn_step, n.mlp_step)])
            formulas.arrange(DOWN, aligned_edge=LEFT, buff=0.15)
            head.arrange(RIGHT, buff=0.25, aligned_edge=DOWN)
            if wide:  # the name above, the diagram and its formulas side by side
                d = BlockDiagram(k)
                if d.width + formulas.width + 0.6 > band.width:
                    d = BlockDiagram.compact(k)
                g = VGroup(head, VGroup(d, formulas).arrange(RIGHT, buff=0.6)).arrange(DOWN, buff=0.25,
                                                                                      aligned_edge=LEFT)
            else:  # name, diagram, formulas, one under the other
                d = BlockDiagram.compact(k, stream_label=frame().portrait)
                if not frame().portrait:
                    formulas.arrange(RIGHT, buff=0.4)
                g = VGroup(head, d, formulas).arrange(DOWN, buff=0.2 if frame().portrait else 0.1)
            self.diagram[k], self.heads[k], self.formulas[k] = d, head, formulas
            groups.append(g)
        both = VGroup(*groups)
        gap = (band.height - sum(g.height for g in groups)) / 2
        both.arrange(DOWN, buff=float(np.clip(gap, 0.15, 1.2)), aligned_edge=LEFT if wide else np.zeros(3))
        both.move_to(band.center)

    def build_table(self):
        """A block of rows per placement: each stage of the stream (post-norm: the sum, then its LayerNorm), a window
        of its numbers, its spread σ at the right; beside each post-norm LayerNorm, a mark from the sum's σ to its."""
        t, i, band = self.trace, self.trace.tracked, self.band
        stages = {k: [a[i] for _, a in j.stages] for k, j in self.journeys.items()}
        vmax = float(max(np.abs(np.array(v)).max() for v in stages.values()))
        for short in (False, True):  # the formulas as labels, unless they leave too few columns
            labels = {k: stage_labels(k, short) for k in stages}
            g = self.geo = fit_table(t.config.d_model, band.width - (0.9 if frame().landscape else 1.3), vmax,
                                     [s for k in labels for s in labels[k]], label_above=frame().portrait)
            if len(g.shown) >= min(t.config.d_model, 4):
                break
        pitch, head_h, gap = g.row_h, 0.45, 0.25
        if frame().portrait:  # a tall frame: air between the rows, up to the band's height
            pitch += float(np.clip((band.height * 0.85 - 2 * head_h - gap - 8 * pitch - 0.7) / 8, 0, 0.3))
        left = band.center[0] - (g.width + 0.9) / 2
        self.rows, self.marks, heads = {"pre": [], "post": []}, {}, VGroup()
        y = 0.0
        for k in ("pre", "post"):
            head = VGroup(text(HEADS[k][0], SMALL_SIZE, INK, weight="BOLD"), text(WHERE[k], SMALL_SIZE, LN))
            head.arrange(RIGHT, buff=0.25, aligned_edge=DOWN).move_to(np.array([left, y - head_h / 2, 0]), LEFT)
            heads.add(head)
            y -= head_h
            for r, (v, lab) in enumerate(zip(stages[k], labels[k])):
                y -= pitch
                sigma = self.journeys[k].spread[r, i]
                self.rows[k].append(table_row(g, v, lab, sigma, left, y + g.line_h / 2, label_color=STREAM))
            y -= gap
        sig = self.rows["pre"][0].side
        heads.add(text("σ", SMALL_SIZE, MUTED).move_to(np.array([sig.get_center()[0], heads[0].get_center()[1], 0])))
        for r, key in ((1, "LN₁"), (3, "LN₂")):  # the LayerNorm takes the sum's σ to its own
            a, b = self.rows["post"][r].side, self.rows["post"][r + 1].side
            x = a.get_right()[0] + 0.2
            arrow = Arrow(np.array([x, a.get_center()[1], 0]), np.array([x, b.get_center()[1], 0]), buff=0.02,
                          color=LN, stroke_width=3, max_tip_length_to_length_ratio=0.4, tip_length=0.12)
            self.marks[r] = VGroup(arrow, text(key, NOTE_SIZE, LN).next_to(arrow, RIGHT, buff=0.08))
        self.table_heads = heads
        self.table = VGroup(heads, *self.rows["pre"], *self.rows["post"], *self.marks.values())
        d = t.config.d_model
        notes = [f"σ: the spread of all {d} numbers, not only those shown."] if len(g.shown) < d else []
        notes.insert(0, "Δattn, Δmlp: each block's own updates (different inputs).")
        for keep in (notes, notes[1:]):  # the first note only if there is room (the caption says it too)
            self.notes = VGroup(*[paragraph(s, NOTE_SIZE, band.width, MUTED, align=LEFT) for s in keep])
            if not keep:
                break
            self.notes.arrange(DOWN, aligned_edge=LEFT, buff=0.08).next_to(self.table, DOWN, buff=0.2)
            self.notes.align_to(np.array([left, 0, 0]), LEFT)
            if VGroup(self.table, self.notes).height <= band.height:
                break
        self.table.add(self.notes)
        self.table.move_to(np.array([self.table.get_center()[0], band.center[1], 0]))

    def build_plot(self, pre, post):
        """Each layer's ‖∂loss/∂W‖ at initialization on a log scale, pre-norm (STREAM) and post-norm (POST_NORM),
        named at their right ends (.tags); .ends: the last layer's values, marked and written beside the names."""
        band, f = self.band, frame()
        if f.portrait:  # not taller than wide
            band = Box(band.left, band.right, band.center[1] - band.width / 2, band.center[1] + band.width / 2)
        lines = [(pre, "pre-norm", STREAM), (post, "post-norm", POST_NORM)]
        tag_w = max(text(f"{s} {scientific(float(v[-1]), 2)}", SMALL_SIZE).width for v, s, _ in lines) + 0.3
        values = np.concatenate([pre, post])
        plot = LogPlot(Box(band.left, band.right - tag_w, band.bottom, band.top), len(pre), float(values.min()),
                       float(values.max()), "‖∂loss/∂W‖ per layer at initialization (as in Xiong et al., 2020)")
        curves, tags, ends = VGroup(), VGroup(), VGroup()
        for v, name, color in lines:
            p = plot.point(len(v) - 1, float(v[-1]))
            curves.add(plot.curve(v, color))
            tags.add(text(name, SMALL_SIZE, color).next_to(p, RIGHT, buff=0.15))
            ends.add(VGroup(Dot(p, radius=0.07, color=color), text(scientific(float(v[-1]), 2), SMALL_SIZE, color)))
        lo, hi = sorted(tags, key=lambda m: m.get_center()[1])
        apart = 0.45 - (hi.get_center()[1] - lo.get_center()[1])
        if apart > 0:  # the two names would touch: move them apart
            lo.shift(DOWN * apart / 2), hi.shift(UP * apart / 2)
        for tag, end in zip(tags, ends):
            end[1].next_to(tag, RIGHT, buff=0.12)
        plot.frame, plot.curves, plot.tags, plot.ends = VGroup(*plot.submobjects), curves, tags, ends
        self.plot = plot
