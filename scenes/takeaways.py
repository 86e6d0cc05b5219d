"""TakeawaysScene: four things to remember, each a panel with a small live visual from the trace; the panels fill
the frame (2 × 2 in wide and square frames, stacked in a tall one)."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    Dot,
    Indicate,
    Line,
    RoundedRectangle,
    SurroundingRectangle,
    VGroup,
    VMobject,
)

from kit.base import TraceScene
from kit.fast import FadeIn
from kit.layout import Box, content_band, place
from kit.matrices import CellMatrix, fit_cells, window
from kit.names import names
from kit.stack import StackedBars, legend_swatch
from kit.style import INK, LN, MLP, MUTED, NOTE_SIZE, PANEL, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import scientific, text
from kit.widgets import component_box, label_text, paragraph, title

PAD = 0.18  # inside a panel, around its contents
BAR_ROW_MIN = 0.12  # a bar row without numbers may be this thin


class TakeawaysScene(TraceScene):
    def construct(self):
        self.intro()
        self.residual_keeps_the_backbone()
        self.layernorm_tidies_rows()
        self.ffn_works_per_token()
        self.gradients_take_the_direct_path()
        self.together()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        self.n = names(self.trace.config.norm)
        square = not frame().landscape and not frame().portrait  # no room for a subtitle
        self.header = title("Four takeaways", None if square else "each picture: this sentence's numbers")
        self.boxes = panel_boxes(content_band(self.header))
        self.play(FadeIn(self.header))
        self.swap_caption("Four ideas from this series, each shown once more with this sentence's numbers.")
        self.wait(1.0)

    def residual_keeps_the_backbone(self):
        self.beat("residual")
        s = self.trace.sweep
        i1 = s.index(1.0)
        self.res_panel = Panel(self.boxes[0], ("1. Residual keeps the backbone", "1. Residual keeps h"), STREAM,
                               "h + Δ: the update is stacked onto h, and h stays whole")
        w, h = self.res_panel.visual_size
        legend = VGroup(legend_swatch(STREAM), text("h", NOTE_SIZE, STREAM), legend_swatch(MLP),
                        text("Δ", NOTE_SIZE, MLP)).arrange(RIGHT, buff=0.1)
        rows_h = h - legend.height - 0.15
        rows = window(len(s.h), max(3, int(rows_h // BAR_ROW_MIN)))
        scale = float(max(np.abs(s.h).max(), np.abs(s.out[i1]).max()))
        self.res_bars = StackedBars(s.h, scale, bar_max=min(w / 2 - 0.1, 1.6), row_h=min(0.3, rows_h / len(rows)),
                                    rows=rows, numbers=False)
        self.res_panel.show(VGroup(legend, self.res_bars).arrange(DOWN, buff=0.15))
        self.play(FadeIn(self.res_panel))
        self.swap_caption("Residual: a layer adds its update to the token's state; the state itself stays.", STREAM)
        self.play(self.res_bars.sweep(s.out[:i1 + 1]), run_time=2.0)
        self.wait(0.5)

    def layernorm_tidies_rows(self):
        self.beat("layernorm")
        t = self.trace
        x, ln = t.block.x, t.layernorm.out
        self.ln_panel = Panel(self.boxes[1], ("2. LayerNorm tidies each row", "2. LayerNorm: rows"), LN,
                              "each token's row gets its own mean and spread; rows never mix")
        w, h = self.ln_panel.visual_size
        vmax = float(max(np.abs(x).max(), np.abs(ln).max()))
        gap, head_h = 0.7, text("LN(x)", NOTE_SIZE).height + 0.1
        side = cells(*x.shape, (w - gap) / 2, h - head_h)  # x  →  LN(x)
        stacked = cells(*x.shape, w, (h - gap) / 2 - head_h)  # x above LN(x)
        down = stacked[1] * stacked[2] > side[1] * side[2]
        fit, cw, ch = stacked if down else side
        self.ln_before, self.ln_after = (CellMatrix(x, vmax, cw, ch, rows=fit.rows, cols=fit.cols, numbers=False)
                                         for _ in range(2))
        heads = [text("x", NOTE_SIZE, STREAM), text("LN(x)", NOTE_SIZE, LN)]
        pair = VGroup(*[VGroup(hd, m).arrange(DOWN, buff=0.1) for hd, m in zip(heads, (self.ln_before, self.ln_after))])
        pair.arrange(DOWN if down else RIGHT, buff=gap)
        arrow = text("↓" if down else "→", SMALL_SIZE, LN)
        arrow.move_to((pair[0][1].get_bottom() + pair[1][0].get_top()) / 2 if down else
                      VGroup(self.ln_before, self.ln_after).get_center())
        self.ln_panel.show(VGroup(pair, arrow))
        self.play(FadeIn(self.ln_panel))
        self.swap_caption("LayerNorm: every row is rescaled with its own mean and spread; rows never mix.", LN)
        self.play(self.ln_after.animate_to(ln), run_time=2.0)
        self.wait(0.5)

    def ffn_works_per_token(self):
        self.beat("ffn")
        t = self.trace
        a, m = t.block.ln2, t.block.ffn_out
        self.ffn_panel = Panel(self.boxes[2], ("3. FFN: each token on its own", "3. FFN: per token"), MLP,
                               "the same weights, one token's row at a time; no row reads another")
        w, h = self.ffn_panel.visual_size
        box_w = text("FFN", SMALL_SIZE).width + 0.4
        fit, cw, ch = cells(*a.shape, (w - box_w - 0.5) / 2, h - text("Δmlp", NOTE_SIZE).height - 0.1)
        vmax = float(max(np.abs(a).max(), np.abs(m).max()))
        self.ffn_inputs = CellMatrix(a, vmax, cw, ch, rows=fit.rows, cols=fit.cols, numbers=False)
        self.ffn_outputs = CellMatrix(np.zeros_like(m), vmax, cw, ch, rows=fit.rows, cols=fit.cols, numbers=False)
        net = component_box("FFN", MLP, height=max(0.5, self.ffn_inputs.cells.height))
        heads = [text(self.n.ln2, NOTE_SIZE, STREAM if self.n.ln2 == "h" else LN), text(self.n.mlp, NOTE_SIZE, MLP)]
        cols = [VGroup(heads[0], self.ffn_inputs).arrange(DOWN, buff=0.1), net,
                VGroup(heads[1], self.ffn_outputs).arrange(DOWN, buff=0.1)]
        visual = VGroup(*cols).arrange(RIGHT, buff=0.25)
        net.match_y(self.ffn_inputs)
        self.ffn_panel.show(visual)
        self.play(FadeIn(self.ffn_panel))
        self.swap_caption("FFN: one network with the same weights, applied to each token's row on its own.", MLP)
        step = max(0.15, 2.4 / len(self.ffn_inputs.rows_shown))
        for r in self.ffn_inputs.rows_shown:
            mark = SurroundingRectangle(self.ffn_inputs.row(r), color=RESULT, buff=0.02, stroke_width=2)
            self.add(mark)
            self.play(self.ffn_outputs.animate_to(m, rows=[r]), run_time=step)
            self.remove(mark)
        self.wait(0.5)

    def gradients_take_the_direct_path(self):
        self.beat("gradients")
        curves = {c.label: c for c in self.trace.depth}
        norm = self.trace.config.norm
        self.with_res = next(c for c in curves.values() if c.skip and c.norm == norm)
        self.without = next(c for c in curves.values() if not c.skip)
        L = len(self.with_res.grad_norm)
        self.grad_panel = Panel(self.boxes[3], ("4. A direct path for gradients", "4. Gradient path"), STREAM,
                                f"gradient reaching each of {L} blocks (log scale): {self.with_res.label} vs "
                                f"{self.without.label}")
        w, h = self.grad_panel.visual_size
        self.chart = GradientChart([self.with_res.grad_norm, self.without.grad_norm],
                                   ["with the residual", "without it"], [STREAM, MUTED], w, h)
        self.grad_panel.show(self.chart)
        self.play(FadeIn(self.grad_panel.body), FadeIn(self.chart.frame))
        self.swap_caption(f"Backward through {L} blocks, layer 0 gets a gradient of {self.chart.shown[0]} with the "
                          f"residual and {self.chart.shown[1]} without it.", STREAM)
        self.play(*[Create(c) for c in self.chart.curves], run_time=2.5)
        self.play(FadeIn(self.chart.dots), FadeIn(self.chart.values))
        self.wait(1.0)

    def together(self):
        self.beat("together")
        self.play(*[Indicate(p.heading, color=INK, scale_factor=1.05) for p in
                    (self.res_panel, self.ln_panel, self.ffn_panel, self.grad_panel)], run_time=1.2)
        self.swap_caption("Attention lets tokens talk and the FFN lets each one think; "
                          "the residual stream carries both.")
        self.wait(3.0)


# ---------------------------------------------------------------- layout helpers


def cells(n_rows: int, n_cols: int, width: float, height: float):
    """A colour-only matrix's fit in width × height: (CellFit, cell width, cell height), cells at most 0.3 and
    at most twice as long one way as the other (a window of rows or columns where even that does not fit)."""
    fit = fit_cells(n_rows, n_cols, width, height, numbers=False, min_cell=0.07)
    cw, ch = min(fit.cell_w, 0.3), min(fit.cell_h, 0.3)
    return fit, min(cw, 2 * ch), min(ch, 2 * cw)


def panel_boxes(band: Box) -> list[Box]:
    """Four panels filling the band: side by side in a wide frame, 2 × 2 in a square one, stacked in a tall one."""
    f = frame()
    if f.landscape or f.portrait:
        return band.split([1, 1, 1, 1], gap=0.2)
    top, bottom = band.split([1, 1], gap=0.2, vertical=True)
    return [*top.split([1, 1], gap=0.2, vertical=False), *bottom.split([1, 1], gap=0.2, vertical=False)]


class Panel(VGroup):
    """A takeaway: a tinted back filling its box, a heading on top, a one-idea note and a visual. A wide, short box
    puts the note in a column left of the visual; a tall one puts it under the visual. A square frame's panels are
    small: a short heading and no note (the caption says it)."""

    def __init__(self, box: Box, heading: tuple[str, str], color, note: str):
        super().__init__()
        inner = box.inset(PAD, PAD)
        square = not frame().landscape and not frame().portrait
        side = box.width > 2.2 * box.height
        self.back = RoundedRectangle(width=box.width, height=box.height, corner_radius=0.12, stroke_width=1.5,
                                     stroke_color=color, fill_color=PANEL, fill_opacity=1).move_to(box.center)
        self.heading = paragraph(heading[1] if square else heading[0], SMALL_SIZE, inner.width * 0.88, color,
                                 weight="BOLD", align=LEFT)  # bold runs wider than the wrap measures
        left = np.array([inner.left, 0, 0])
        self.heading.move_to(inner.center).align_to(np.array([0, inner.top, 0]), UP).align_to(left, LEFT)
        top = self.heading.get_bottom()[1] - 0.15
        words_w = inner.width * 0.42 if side else inner.width
        self.note = VGroup() if square else paragraph(note, NOTE_SIZE, words_w, INK, align=LEFT)
        if side:
            self.note.move_to(np.array([0, (top + inner.bottom) / 2, 0])).align_to(left, LEFT)
            self.visual_box = Box(inner.left + words_w + 0.25, inner.right, inner.bottom, top)
        elif len(self.note):
            self.note.move_to(inner.center).align_to(np.array([0, inner.bottom, 0]), DOWN).align_to(left, LEFT)
            self.visual_box = Box(inner.left, inner.right, self.note.get_top()[1] + 0.15, top)
        else:
            self.visual_box = Box(inner.left, inner.right, inner.bottom, top)
        self.body = VGroup(self.back, self.heading, self.note)
        self.add(self.body)

    @property
    def visual_size(self) -> tuple[float, float]:
        return self.visual_box.width, self.visual_box.height

    def show(self, visual) -> None:
        """Put the visual in the middle of its part of the panel (it was made to fit there)."""
        place(visual, self.visual_box)
        self.add(visual)


class GradientChart(VGroup):
    """Gradient norms per layer on a log scale, one curve per variant, each drawn from the top layer down to layer 0
    (the way backprop goes), a dot at layer 0; above the plot, each curve's value at layer 0 (from the trace) with
    its name, in its colour."""

    def __init__(self, series, names, colors, width: float, height: float):
        super().__init__()
        logs = [np.log10(np.asarray(g, dtype=float)) for g in series]  # positions on the log axis (nothing shown)
        lo, hi = min(v.min() for v in logs), max(v.max() for v in logs)
        self.shown = [scientific(g[0]) for g in series]  # each curve's value at layer 0, as drawn
        self.values = VGroup(*[label_text(f"{scientific(g[0])} {name}", NOTE_SIZE, width, c)
                               for g, name, c in zip(series, names, colors)]).arrange(DOWN, aligned_edge=LEFT,
                                                                                      buff=0.06)
        labels = VGroup(text("layer 0", NOTE_SIZE, MUTED), text(f"layer {len(series[0]) - 1}", NOTE_SIZE, MUTED))
        plot_w, plot_h = width - 0.1, height - self.values.height - labels.height - 0.35
        origin = np.array([-plot_w / 2, -height / 2 + labels.height + 0.1, 0.0])
        span = max(hi - lo, 1e-9)

        def point(i, v, n):
            return origin + np.array([plot_w * i / max(n - 1, 1), plot_h * (v - lo) / span, 0.0])

        axes = VGroup(Line(origin, origin + RIGHT * plot_w, color=MUTED, stroke_width=2),
                      Line(origin, origin + UP * plot_h, color=MUTED, stroke_width=2))
        labels[0].next_to(origin, DOWN, buff=0.08).align_to(origin, LEFT)
        labels[1].next_to(origin + RIGHT * plot_w, DOWN, buff=0.08).align_to(origin + RIGHT * plot_w, RIGHT)
        self.values.next_to(origin + UP * plot_h, UP, buff=0.15).align_to(origin, LEFT)
        self.curves, self.dots = VGroup(), VGroup()
        for v, color in zip(logs, colors):
            pts = [point(i, y, len(v)) for i, y in reversed(list(enumerate(v)))]  # top layer first
            self.curves.add(VMobject(stroke_color=color, stroke_width=3).set_points_as_corners(pts))
            self.dots.add(Dot(pts[-1], radius=0.06, color=color))
        self.frame = VGroup(axes, labels)
        self.add(self.frame, self.curves, self.dots, self.values)
