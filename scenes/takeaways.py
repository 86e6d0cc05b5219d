"""TakeawaysScene: four things to remember, each a panel with a small live visual from the trace; the four panels
fill the frame from the start (side by side in a wide frame, 2 × 2 in a square one, stacked in a tall one) and each
beat brings its picture to life. The fourth summarises the depth lesson with the same quantity."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, Indicate, Line, RoundedRectangle, SurroundingRectangle, VGroup

from kit.base import TraceScene
from kit.depthtext import depth_heading, depth_note, depth_words, nobreak
from kit.fast import FadeIn
from kit.layout import Box, content_band, place
from kit.matrices import CellMatrix, fit_cells, shown_indices, window
from kit.names import names
from kit.plots import LogPlot
from kit.stack import StackedBars, legend_swatch
from kit.style import INK, LN, MLP, NO_RESIDUAL, NOTE_SIZE, PANEL, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import text
from kit.widgets import component_box, paragraph, title

PAD = 0.18  # inside a panel, around its contents
BAR_ROW_MIN = 0.18  # a bar row without numbers may be this thin (thinner, the dashed outlines of h run together)


class TakeawaysScene(TraceScene):
    def construct(self):
        self.intro()
        self.residual_keeps_the_backbone()
        self.layernorm_tidies_rows()
        self.ffn_works_per_token()
        self.residual_through_depth()
        self.together()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        t = self.trace
        self.n = names(t.config.norm)
        self.pre, _, self.plain = t.depth  # one factor at a time: pre-norm with and without x + …
        self.L = t.config.depth
        square = not frame().landscape and not frame().portrait  # no room for a subtitle
        self.header = title("Four takeaways", None if square else "each picture: this sentence's numbers")
        boxes = panel_boxes(content_band(self.header))
        self.res_panel = Panel(boxes[0], ("1. Residual keeps the backbone", "1. Residual keeps h"), STREAM,
                               "h + Δ: the update is stacked onto h, and h stays whole")
        self.ln_panel = Panel(boxes[1], ("2. LayerNorm rescales each row", "2. LN: per-row scale"), LN,
                              "each token's row is centred and scaled by its own μ and σ; rows never mix")
        self.ffn_panel = Panel(boxes[2], ("3. FFN: each token on its own", "3. FFN: row by row"), MLP,
                               "the same weights, one token's row at a time; no row reads another")
        self.grad_panel = Panel(boxes[3], depth_heading(self.pre, self.plain, len(t.tokens)), STREAM,
                                None if frame().portrait else depth_note(len(t.tokens), self.L))  # tall: key says it
        self.panels = (self.res_panel, self.ln_panel, self.ffn_panel, self.grad_panel)
        self.play(FadeIn(self.header))
        self.play(*[FadeIn(p.body) for p in self.panels])
        self.swap_caption("Four ideas from this series, each shown with this sentence's numbers.")
        self.wait(1.0)

    def residual_keeps_the_backbone(self):
        self.beat("residual")
        s = self.trace.sweep
        i1 = s.index(1.0)
        w, h = self.res_panel.visual_size
        legend = VGroup(legend_swatch(STREAM), text("h", NOTE_SIZE, STREAM), legend_swatch(MLP),
                        text("Δ", NOTE_SIZE, MLP)).arrange(RIGHT, buff=0.1)
        rows_h = h - legend.height - 0.15
        rows = window(len(s.h), max(3, int(rows_h // BAR_ROW_MIN)))
        scale = float(max(np.abs(s.h).max(), np.abs(s.out[i1]).max()))
        self.res_bars = StackedBars(s.h, scale, bar_max=min(w / 2 - 0.1, 1.6), row_h=min(0.3, rows_h / len(rows)),
                                    rows=rows, numbers=False)
        visual = VGroup(legend, self.res_bars).arrange(DOWN, buff=0.15)
        self.res_panel.show(visual)
        self.play(FadeIn(visual))
        self.swap_caption("Residual: a layer adds its update to the token's state; the state stays.", STREAM)
        self.play(self.res_bars.sweep(s.out[:i1 + 1]), run_time=2.0)
        self.wait(0.5)

    def layernorm_tidies_rows(self):
        self.beat("layernorm")
        t = self.trace
        x, z = t.layernorm.input, t.layernorm.normalized  # x and (x − μ) / σ, row by row
        w, h = self.ln_panel.visual_size
        self.ln_key = paragraph("each row: mean 0, spread 1", NOTE_SIZE, w, LN)
        vmax = float(max(np.abs(x).max(), np.abs(z).max()))
        gap, head_h = 0.7, text("(x − μ)/σ", NOTE_SIZE).height + 0.1
        room = h - self.ln_key.height - 0.15
        side = cells(*x.shape, (w - gap) / 2, room - head_h)  # x  →  (x − μ)/σ
        stacked = cells(*x.shape, w, (room - gap) / 2 - head_h)  # x above (x − μ)/σ
        down = score(stacked) > score(side)
        fit, cw, ch = stacked if down else side
        rows = keep_row(fit.rows, t.tracked, len(t.tokens))
        self.ln_before, self.ln_after = (CellMatrix(x, vmax, cw, ch, rows=rows, cols=fit.cols, numbers=False)
                                         for _ in range(2))
        heads = [text("x", NOTE_SIZE, STREAM), text("(x − μ)/σ", NOTE_SIZE, LN)]
        pair = VGroup(*[VGroup(hd, m).arrange(DOWN, buff=0.1) for hd, m in zip(heads, (self.ln_before, self.ln_after))])
        pair.arrange(DOWN if down else RIGHT, buff=gap)
        arrow = text("↓" if down else "→", SMALL_SIZE, LN)
        arrow.move_to((pair[0][1].get_bottom() + pair[1][0].get_top()) / 2 if down else
                      VGroup(self.ln_before, self.ln_after).get_center())
        self.ln_marks = VGroup(*[SurroundingRectangle(m.row(t.tracked), color=RESULT, buff=0.02, stroke_width=2)
                                 for m in (self.ln_before, self.ln_after) if t.tracked in m.rows_shown])
        visual = VGroup(VGroup(pair, arrow, self.ln_marks), self.ln_key).arrange(DOWN, buff=0.15)
        self.ln_panel.show(visual)
        self.play(FadeIn(visual[0]))
        self.swap_caption("LayerNorm: each row is rescaled alone, by its own mean and spread.", LN)
        self.play(self.ln_after.animate_to(z), run_time=2.0)
        self.play(FadeIn(self.ln_key))
        self.wait(0.5)

    def ffn_works_per_token(self):
        self.beat("ffn")
        t = self.trace
        a, m = t.block.ln2, t.block.ffn_out
        w, h = self.ffn_panel.visual_size
        box_w = text("FFN", SMALL_SIZE).width + 0.4
        fit, cw, ch = cells(*a.shape, (w - box_w - 0.5) / 2, h - text("Δmlp", NOTE_SIZE).height - 0.1)
        rows = keep_row(fit.rows, t.tracked, len(t.tokens))
        vmax = float(max(np.abs(a).max(), np.abs(m).max()))
        self.ffn_inputs = CellMatrix(a, vmax, cw, ch, rows=rows, cols=fit.cols, numbers=False)
        self.ffn_outputs = CellMatrix(np.zeros_like(m), vmax, cw, ch, rows=rows, cols=fit.cols, numbers=False)
        net = component_box("FFN", MLP, height=max(0.5, self.ffn_inputs.cells.height))
        heads = [text(self.n.ln2, NOTE_SIZE, STREAM if self.n.ln2 == "h" else LN), text(self.n.mlp, NOTE_SIZE, MLP)]
        cols = [VGroup(heads[0], self.ffn_inputs).arrange(DOWN, buff=0.1), net,
                VGroup(heads[1], self.ffn_outputs).arrange(DOWN, buff=0.1)]
        visual = VGroup(*cols).arrange(RIGHT, buff=0.25)
        net.match_y(self.ffn_inputs)
        self.ffn_panel.show(visual)
        self.play(FadeIn(visual))
        self.swap_caption("FFN: one network with the same weights, applied to each token's row on its own.", MLP)
        step = max(0.15, 2.4 / len(self.ffn_inputs.rows_shown))
        for r in self.ffn_inputs.rows_shown:
            self.ffn_row = self.row_path(r, net)
            self.add(self.ffn_row)
            self.play(self.ffn_outputs.animate_to(m, rows=[r]), run_time=step)
            if r != self.ffn_inputs.rows_shown[-1]:
                self.remove(self.ffn_row)
        self.wait(0.5)

    def residual_through_depth(self):
        self.beat("depth")
        t = self.trace
        w, h = self.grad_panel.visual_size
        tokens = len(t.tokens) > 1
        series = [c.gap_drawn if tokens else c.weight_grad_norm for c in (self.pre, self.plain)]
        floor = tokens and any(c.floored for c in (self.pre, self.plain))
        beside = w > 3.0 * h  # a wide, short panel: the key right of the plot, else above it
        for names_ in (("with x + …", "without"), ("x + …", "no x + …")):  # the shorter pair where the longer
            self.legend = VGroup(*[VGroup(Line(LEFT * 0.15, RIGHT * 0.15, color=c, stroke_width=4),  # does not fit
                                          text(nobreak(s), NOTE_SIZE, c)).arrange(RIGHT, buff=0.1)
                                   for c, s in zip((STREAM, NO_RESIDUAL), names_)])
            if beside:
                self.legend.arrange(DOWN, buff=0.12, aligned_edge=LEFT)
            else:
                self.legend.arrange(RIGHT, buff=0.3)
            if self.legend.width <= w:
                break
        box = Box(0, w - self.legend.width - 0.3, 0, h) if beside else Box(0, w, 0, h - self.legend.height - 0.12)
        quantity = "1 − cos between tokens" if tokens else "‖∂loss/∂W‖ per layer"
        if text(f"{quantity}, pre-norm", NOTE_SIZE).width <= box.width:
            quantity += ", pre-norm"
        every = np.concatenate(series)
        self.depth_plot = LogPlot(box, self.L, every.min(), every.max(), quantity, size=NOTE_SIZE, floor=floor,
                                  most_ticks=3 if box.height > 1.2 else 2, x_ticks=[0, self.L - 1])
        self.depth_curves = VGroup(*[self.depth_plot.curve(v, c, width=3, downward=not tokens)
                                     for v, c in zip(series, (STREAM, NO_RESIDUAL))])
        if beside:
            self.legend.next_to(self.depth_plot.area.center, RIGHT, buff=0).set_x(
                box.right + 0.25 + self.legend.width / 2)
        else:
            self.legend.next_to(self.depth_plot, UP, buff=0.12).align_to(self.depth_plot, LEFT)
        visual = VGroup(self.legend, self.depth_plot, self.depth_curves)
        self.grad_panel.show(visual)
        self.play(FadeIn(self.legend), FadeIn(self.depth_plot))
        lines = depth_words(self.pre, self.plain, t.depth_plain_over_pre, self.L, tokens)
        self.swap_caption(nobreak(lines[0]), STREAM, say=lines[0])
        self.play(*[Create(c) for c in self.depth_curves], run_time=2.5)
        for line in lines[1:]:
            self.wait(1.0)
            self.swap_caption(nobreak(line), STREAM, say=line)
        self.wait(1.0)

    def together(self):
        self.beat("together")
        self.play(*[Indicate(p.heading, color=INK, scale_factor=1.05) for p in self.panels], run_time=1.2)
        self.swap_caption("Attention lets tokens talk and the FFN lets each one think; "
                          "the residual stream carries both.")
        self.wait(3.0)

    def row_path(self, r: int, net) -> VGroup:
        """Row r of the FFN's input and output marked, joined through the FFN box: one row in, one row out."""
        src, dst = self.ffn_inputs.row(r), self.ffn_outputs.row(r)
        y = src.get_y()
        return VGroup(SurroundingRectangle(src, color=RESULT, buff=0.02, stroke_width=2),
                      SurroundingRectangle(dst, color=RESULT, buff=0.02, stroke_width=2),
                      Line([src.get_right()[0] + 0.04, y, 0], [net.get_left()[0], y, 0], color=RESULT, stroke_width=2),
                      Line([net.get_right()[0], y, 0], [dst.get_left()[0] - 0.04, y, 0], color=RESULT, stroke_width=2))


# ---------------------------------------------------------------- layout helpers


def keep_row(rows, r: int, n: int):
    """The window of range(n) `rows` (one gap), as many slots, with row r shown: r joins the last rows."""
    if r in shown_indices(rows):
        return rows
    slots = len(rows)
    tail = max(n - r, len(rows) - rows.index(None) - 1)  # the last rows, from r on
    if slots - 1 - tail >= 1:  # one gap: the first rows, then the last ones with r among them
        return [*range(slots - 1 - tail), None, *range(n - tail, n)]
    if slots >= 5:  # r and the rows after it between two gaps
        return [0, None, *range(r, r + slots - 4), None, n - 1]
    return rows  # too few slots for r between two gaps: not shown


def score(fit) -> tuple[int, float]:
    """How good a cells() fit is: visible cells, then fewer elided axes (gaps both ways crowd a corner), then bigger
    cells."""
    f, cw, ch = fit
    return min(cw, ch) >= 0.07, -((None in f.rows) + (None in f.cols)), cw * ch  # cells too thin to see: last


def cells(n_rows: int, n_cols: int, width: float, height: float):
    """A colour-only matrix's fit in width × height: (CellFit, cell width, cell height), cells at most 0.3 and
    at most twice as long one way as the other (a window of rows or columns where even that does not fit)."""
    fit = fit_cells(n_rows, n_cols, width, height, numbers=False, min_cell=0.07)
    if None in fit.rows and None in fit.cols:  # gaps both ways meet in a corner: cells big enough for the dots
        fit = fit_cells(n_rows, n_cols, width, height, numbers=False, min_cell=0.14)
    cw, ch = max(0.0, min(fit.cell_w, 0.3)), max(0.0, min(fit.cell_h, 0.3))  # 0: no room at all
    return fit, min(cw, 2 * ch), min(ch, 2 * cw)


def panel_boxes(band: Box) -> list[Box]:
    """Four panels filling the band: side by side in a wide frame, 2 × 2 in a square one, stacked in a tall one."""
    if not frame().square:
        return band.split([1, 1, 1, 1], gap=0.2)
    top, bottom = band.split([1, 1.25], gap=0.2, vertical=True)  # the lower pictures (FFN, a plot) need more room
    return [*top.split([1, 1], gap=0.2, vertical=False), *bottom.split([1, 1], gap=0.2, vertical=False)]


class Panel(VGroup):
    """A takeaway: a tinted back filling its box, a heading on top, a one-idea note and a visual. A wide, short box
    puts the note in a column left of the visual; a tall one puts it under the visual. A square frame's panels are
    small: a short heading and no note (the caption says it); note=None: no note (the visual says it)."""

    def __init__(self, box: Box, heading: tuple[str, str], color, note: str | None):
        super().__init__()
        inner = box.inset(PAD, PAD)
        square = not frame().landscape and not frame().portrait
        side = box.width > 2.2 * box.height and note
        self.back = RoundedRectangle(width=box.width, height=box.height, corner_radius=0.12, stroke_width=1.5,
                                     stroke_color=color, fill_color=PANEL, fill_opacity=1).move_to(box.center)
        self.heading = paragraph(nobreak(heading[1] if square else heading[0]), SMALL_SIZE, inner.width, color,
                                 weight="BOLD", align=LEFT)
        left = np.array([inner.left, 0, 0])
        self.heading.move_to(inner.center).align_to(np.array([0, inner.top, 0]), UP).align_to(left, LEFT)
        top = self.heading.get_bottom()[1] - 0.15
        words_w = inner.width * 0.42 if side else inner.width
        self.note = VGroup() if square or not note else paragraph(nobreak(note), NOTE_SIZE, words_w, INK, align=LEFT)
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
