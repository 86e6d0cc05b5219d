"""LayerNormScene: each token's row is normalized on its own (−μ, ÷σ, then γ, β); rows never mix.

It tidies scale, it adds no knowledge. Shown on the rows the block's LN₁ really normalizes (trace.ln1_steps):
x in a pre-norm block (output LN₁(x)), x + Δattn in a post-norm block (output h). Colours: the rows it reads are
the stream's, whatever LayerNorm makes (every step after x, and its output) is LN's, in both placements.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arrow, DashedLine, LaggedStart, Line, ReplacementTransform, \
    TransformFromCopy, UpdateFromAlphaFunc, VGroup

from kit.base import TraceScene
from kit.fast import FadeIn, FadeOut
from kit.layout import Box, content_band, line_height
from kit.matrices import VectorBars, number_box, window
from kit.names import names
from kit.rows import BIG_CELL, EDGE, pair_cells_width, pair_label_width, pair_middle, quoted, row_box, token_matrix
from kit.style import GAP, LN, MUTED, NOTE_SIZE, NUMBER_SIZE, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import number, shown, text
from kit.widgets import baseline_of, baseline_text, paragraph, set_baseline, title_fitting

STATS_W = (0.72, 0.64)  # width of the μ and σ columns: in a wide frame; in a square or tall one
HEAD_GAP = 0.2  # between a matrix (or bars) and its heading's baseline
PANEL_GAP = 0.3  # between the step panels
BAR_ROW = (0.27, 0.42, 0.6)  # a bar row's height: least; most in a wide frame; most in a tall one
BIG_ROW = 0.75  # a bar row's height at most when only two panels share the frame
WINDOW_NOTE = " (… = columns not shown)"
NEAR_ONE = 0.1  # |σ − 1| under this: dividing by σ hardly changes the bars (said so)


class LayerNormScene(TraceScene):
    def construct(self):
        self.words()
        self.rows()
        self.one_row()
        self.all_rows()
        self.before_after()

    # ---------------------------------------------------------------- beats

    def rows(self):
        self.beat("rows")
        d, tok = self.trace.config.d_model, quoted(self.trace.tracked_token)
        self.header = title_fitting(["LayerNorm: each row on its own", "LayerNorm: row by row"], self.formula)
        self.band = content_band(self.header)
        self.build_matrices()
        self.build_alone()
        self.play(FadeIn(self.header))
        self.play(FadeIn(self.alone))
        self.swap_caption(self.intro_caption.format(d=d))
        self.wait(1.0)
        self.play(FadeIn(self.big_focus))
        self.swap_caption(f"LayerNorm works on one row at a time. Follow {tok}.")
        self.wait(1.0)

    def one_row(self):
        self.beat("one-row")
        tr, s, d = self.trace.tracked, self.trace.ln1_steps, self.trace.config.d_model
        self.build_steps()
        first, rest = self.steps[0], self.steps[1:]
        row = VGroup(self.m_big.row(tr), self.m_big.row_numbers(tr))
        kept = set(row.get_family())
        self.vanish(*[m for m in self.alone.family_members_with_points() if m not in kept], self.big_focus)
        self.play(ReplacementTransform(row[0].copy(), first.bars.bars), FadeOut(row),
                  FadeIn(VGroup(first.bars.axis, first.bars.numbers, first.bars.gaps, first.head)), run_time=1.2)
        self.remove(*row)
        self.swap_caption(f"Its {d} numbers as bars, one per dimension.")
        self.wait(0.6)
        mu, sd = self.fmt(s.mean[tr]), self.fmt(s.std[tr])
        self.play(FadeIn(first.guides), FadeIn(self.readouts))
        self.swap_caption(f"μ = {mu} and σ = {sd}: the mean and the spread (std) of this row's own {d} numbers.", LN)
        self.wait(1.0)
        rows = (s.input[tr], s.centered[tr], s.normalized[tr], s.out[tr])
        scale = "grow" if s.std[tr] < 1 else "shrink"
        near = " (σ is close to 1: they barely change)" if abs(s.std[tr] - 1) < NEAR_ONE else ""
        captions = (f"Subtract μ = {mu} from every number: all bars shift together, and the row's mean is now 0.",
                    f"Divide by σ = {sd}: the bars {scale} until ±σ lands on ±1: the spread is now 1{near}.",
                    "Then γ scales and β shifts each dimension: model weights, the same for every row.")
        for k, (panel, caption) in enumerate(zip(rest, captions), start=1):
            self.swap_caption(caption, LN)
            panel.bars.set_values(rows[k - 1])
            self.play(TransformFromCopy(self.steps[k - 1].bars.bars, panel.bars.bars),
                      FadeIn(VGroup(panel.bars.axis, panel.bars.numbers, panel.bars.gaps, panel.head)), run_time=0.9)
            self.play(self.morph(panel.bars, rows[k - 1], rows[k]), run_time=1.4)
            self.play(FadeIn(panel.guides), run_time=0.5)
            self.wait(0.8)
        self.wait(0.6)

    def all_rows(self):
        self.beat("all-rows")
        d = self.trace.config.d_model
        self.vanish(*self.steps, self.readouts)
        self.play(FadeIn(self.in_group), FadeIn(self.in_focus), FadeIn(self.stats_note))
        stats = [VGroup(m, s) for m, s in zip(self.mu_numbers, self.sigma_numbers)]
        elided = " (… stands for the columns not shown)" if len(self.m_in.cols_shown) < d else ""
        self.swap_caption(f"Every row gets its own μ and σ, from all {d} of its numbers{elided}.", LN,
                          FadeIn(self.stat_heads))
        self.play(LaggedStart(*[FadeIn(r, shift=RIGHT * 0.1) for r in stats], FadeIn(self.stat_gaps),
                              lag_ratio=0.5 / len(stats) + 0.03, run_time=1.4))
        self.wait(0.6)
        self.swap_caption("All rows at once, each on its own: nothing flows between rows.")
        self.play(FadeIn(self.row_arrows), run_time=0.5)  # cells travel across; numbers appear (none fly over μ, σ)
        self.play(ReplacementTransform(self.m_in.cells.copy(), self.m_out.cells),
                  FadeIn(VGroup(self.m_out.numbers, self.m_out.gaps, self.m_out.labels, self.out_head)), run_time=1.8)
        self.play(FadeIn(self.out_focus), FadeIn(self.lanes), run_time=0.6)
        self.wait(1.2)

    def before_after(self):
        self.beat("before-after")
        tr, s, tok = self.trace.tracked, self.trace.ln1_steps, quoted(self.trace.tracked_token)
        self.vanish(self.in_group, self.in_focus, self.m_out, self.out_head, self.out_focus, self.stat_heads,
                    self.row_arrows, self.lanes, self.mu_numbers, self.sigma_numbers, self.stat_gaps, self.stats_note)
        self.build_before_after()
        self.play(FadeIn(self.pair))
        self.swap_caption(f"{tok} before and after: centred by μ = {self.fmt(s.mean[tr])}, divided by "
                          f"σ = {self.fmt(s.std[tr])}, then γ, β. No other token is involved.", LN)
        self.wait(2.0)
        self.swap_caption("LayerNorm tidies scale, it adds no knowledge: the same dimensions, each row on its own.",
                          RESULT)
        self.wait(2.0)

    # ---------------------------------------------------------------- layout

    def words(self):
        """Names and formulas true for the norm placement (kit.names), the same in every clip."""
        n = names(self.trace.config.norm)
        if n.norm == "pre":
            self.sym, self.in_name, self.out_name = n.x, n.x, n.ln1
            self.formula = f"{n.ln1} = γ · ({n.x} − μ) / σ + β"
            self.intro_caption = "The block's input " + n.x + ": one row of {d} numbers per token."
        else:
            self.sym, self.in_name, self.out_name = "v", f"v = {n.x} + {n.attn}", f"{n.h} = LN₁(v)"
            self.formula = f"post-norm: {n.attn_step}, i.e. {n.h} = LN₁(v) = γ · (v − μ) / σ + β"
            self.intro_caption = (f"Post-norm: LN₁ reads v = {n.x} + {n.attn}, the stream after attention's add: "
                                  "{d} numbers per token.")

    def head(self, s: str, color, size: float = SMALL_SIZE):
        return baseline_text(s, size, color)

    def fmt(self, v: float) -> str:
        """A trace value as the readouts draw it (2 places)."""
        return f"{shown(number(v, 2)):.2f}".replace("-", "−")

    def build_matrices(self):
        """Input | μ σ | arrows | output side by side (stacked in a tall frame), a note under them; placed once."""
        t, s, tr, d = self.trace, self.trace.ln1_steps, self.trace.tracked, self.trace.config.d_model
        lh, stacked, sw = line_height(SMALL_SIZE), frame().portrait, STATS_W[0 if frame().landscape else 1]
        note = f"μ, σ: mean and std of all {d} numbers of each row"
        foot = paragraph(note + WINDOW_NOTE, NOTE_SIZE, self.band.width).height + 0.2  # its room, at its longest
        band = self.band.below(lh + HEAD_GAP)
        band = Box(band.left + EDGE, band.right - EDGE, band.bottom + foot, band.top)
        vmax = float(max(np.abs(s.input).max(), np.abs(s.out).max()))
        if stacked:
            top, bottom = band.split([1, 1], gap=GAP + lh + HEAD_GAP, vertical=True)
            in_box, cells = Box(top.left, top.right - 2 * sw - 0.1, top.bottom, top.top), None
        else:
            cells = pair_cells_width(band.inset(-EDGE), t.tokens)
            in_box = Box(band.left, band.right - pair_middle() - cells, band.bottom, band.top)
        m_in = token_matrix(s.input, in_box, vmax, labels=t.tokens, keep_row=tr, highlight=tr, cells_width=cells,
                            max_label_w=pair_label_width())
        m_out = m_in.target_for(s.out)
        rows = m_in.rows_shown
        ys = [m_in.row(r).get_center()[1] for r in rows]
        gap_ys = [ys[0] - m_in.row_window.index(None) * m_in.cell_h] if None in m_in.row_window else []
        x0 = m_in.cells.get_right()[0] + 0.12
        size = NUMBER_SIZE if m_in.cell_h >= 0.3 else NOTE_SIZE
        self.mu_numbers = VGroup(*[number(s.mean[r], 2, size).move_to([x0 + sw * 0.5, y, 0]) for r, y in zip(rows, ys)])
        self.sigma_numbers = VGroup(*[number(s.std[r], 2, size).move_to([x0 + sw * 1.5, y, 0]) for r, y in zip(rows, ys)])
        self.stat_gaps = VGroup(*[text("⋮", NOTE_SIZE, MUTED).move_to([x0 + sw * (k + 0.5), y, 0])
                                  for k in (0, 1) for y in gap_ys[:1]])
        for m in (self.mu_numbers[rows.index(tr)], self.sigma_numbers[rows.index(tr)]):
            m.set_color(RESULT)
        right = x0 + 2 * sw
        if stacked:
            m_out.next_to(m_in, DOWN, buff=GAP + line_height(SMALL_SIZE) + HEAD_GAP)
            m_out.shift(RIGHT * (m_in.cells.get_left()[0] - m_out.cells.get_left()[0]))  # columns line up
            self.row_arrows = VGroup()
        else:
            arrow_w = min(0.9, pair_middle() - 2 * sw - 0.22)
            m_out.remove(m_out.labels)
            m_out.labels = VGroup()
            m_out.shift(RIGHT * (right + arrow_w + 0.1 - m_out.cells.get_left()[0]))
            self.row_arrows = VGroup(*[Arrow([right + 0.05, y, 0], [right + arrow_w - 0.05, y, 0], buff=0, color=MUTED,
                                             stroke_width=2, tip_length=min(0.12, m_in.cell_h * 0.4),
                                             max_tip_length_to_length_ratio=0.4, max_stroke_width_to_length_ratio=10)
                                       for y in ys])
        self.m_in, self.m_out = m_in, m_out
        self.in_focus = row_box(m_in, tr)
        self.out_focus = row_box(m_out, tr, with_label=stacked)
        baseline = m_in.cells.get_top()[1] + HEAD_GAP
        in_head = set_baseline(self.head(self.in_name, STREAM), baseline).set_x(m_in.cells.get_center()[0])
        self.stat_heads = VGroup(*[set_baseline(self.head(c, LN), baseline).set_x(col.get_center()[0])
                                   for c, col in (("μ", self.mu_numbers), ("σ", self.sigma_numbers))])
        self.out_head = set_baseline(self.head(self.out_name, LN), m_out.cells.get_top()[1] + HEAD_GAP)
        self.out_head.set_x(m_out.cells.get_center()[0])
        self.lanes = VGroup() if stacked else VGroup(*[  # row boundaries straight across: each row keeps its lane
            Line([m_in.cells.get_left()[0], y, 0], [m_out.cells.get_right()[0], y, 0], color=MUTED, stroke_width=1.5,
                 stroke_opacity=0.6) for y in (m_in.row(r).get_bottom()[1] for r in rows[:-1])
            if not any(abs(y - g) < m_in.cell_h for g in gap_ys)])
        self.in_head = in_head
        self.in_group = VGroup(m_in, in_head)
        everything = VGroup(m_in, m_out, in_head, self.out_head, self.stat_heads, self.mu_numbers, self.sigma_numbers,
                            self.stat_gaps, self.row_arrows, self.lanes, self.in_focus, self.out_focus)
        everything.move_to(band.center + UP * (lh + HEAD_GAP) / 2).set_x(0)
        windowed = None in m_in.col_window
        self.stats_note = paragraph(note + (WINDOW_NOTE if windowed else ""), NOTE_SIZE, self.band.width, MUTED)
        self.stats_note.next_to(everything, DOWN, buff=0.2)

    def build_alone(self):
        """The input matrix alone for the first beat: the window it has in the all-rows beat, larger cells."""
        t, s, tr, d = self.trace, self.trace.ln1_steps, self.trace.tracked, self.trace.config.d_model
        k = len(self.m_in.cols_shown)
        note = [paragraph(f"each row has {d} numbers; … marks the {d - k} not shown", NOTE_SIZE, self.band.width,
                          MUTED)] if k < d else []
        foot = note[0].height + 0.15 if note else 0.0
        box = self.band.below(line_height(SMALL_SIZE) + HEAD_GAP).inset(EDGE, 0)
        box = Box(box.left, box.right, box.bottom + foot, box.top)
        m = token_matrix(s.input, box, self.m_in.vmax, labels=t.tokens, keep_row=tr, highlight=tr,
                         cols=self.m_in.col_window, rows=self.m_in.row_window, max_cell=BIG_CELL,
                         max_number=SMALL_SIZE)
        head = set_baseline(self.head(self.in_name, STREAM), m.cells.get_top()[1] + HEAD_GAP)
        head.set_x(m.cells.get_center()[0])
        self.m_big, self.big_focus = m, row_box(m, tr)
        self.alone = VGroup(m, head, *note)
        if note:
            note[0].next_to(m, DOWN, buff=0.15)
        shift = self.band.center - VGroup(self.alone, self.big_focus).get_center()
        VGroup(self.alone, self.big_focus).shift(shift)

    def build_steps(self):
        """The tracked row four times, as bars on one shared scale: x, x − μ, (x − μ) / σ, γ · … + β (a row of
        panels; two by two in a tall frame); μ and σ read out under them."""
        s, tr, band, sym = self.trace.ln1_steps, self.trace.tracked, self.band, self.sym
        grid = (2, 2) if frame().portrait else (1, 4)
        pw = (band.width - (grid[1] - 1) * PANEL_GAP) / grid[1]
        wide = pw >= text(f"γ · ({sym} − μ) / σ + β", SMALL_SIZE).width + 0.2
        heads = (sym, f"{sym} − μ", f"({sym} − μ) / σ" if wide else "÷ σ",
                 f"γ · ({sym} − μ) / σ + β" if wide else "γ · … + β")
        rows = (s.input[tr], s.centered[tr], s.normalized[tr], s.out[tr])
        self.steps = x, cen, nor, _ = self.bar_panels(rows, heads, (STREAM, LN, LN, LN), grid, band, extra=[1.0])
        self.add_guides(x, [s.mean[tr]], ["μ"])
        self.add_guides(cen, [-s.std[tr], s.std[tr]], ["−σ", "+σ"])
        self.add_guides(nor, [-1.0, 1.0], ["−1", "+1"])
        self.readouts = self.make_readouts(None in x.bars.row_window)
        self.readouts.next_to(VGroup(*self.steps), DOWN, buff=0.3)
        VGroup(*self.steps, self.readouts).move_to(band.center)

    def build_before_after(self):
        """The tracked row before (the rows LN₁ reads) and after (its output), side by side and larger, on one
        scale, with the row's μ and μ ± σ marked before and ±1 after; μ and σ read out under them."""
        s, tr = self.trace.ln1_steps, self.trace.tracked
        mu, sd = float(s.mean[tr]), float(s.std[tr])
        self.before, self.after = self.bar_panels((s.input[tr], s.out[tr]), (self.in_name, self.out_name),
                                                  (STREAM, LN), (1, 2), self.band, extra=[abs(mu) + sd, 1.0],
                                                  max_row=BIG_ROW)
        self.add_guides(self.before, [mu - sd, mu, mu + sd], ["μ−σ", "μ", "μ+σ"])
        self.add_guides(self.after, [-1.0, 1.0], ["−1", "+1"])
        self.readouts = self.make_readouts(None in self.before.bars.row_window)
        self.readouts.next_to(VGroup(self.before, self.after), DOWN, buff=0.3)
        self.pair = VGroup(self.before, self.after, self.readouts).move_to(self.band.center)

    def make_readouts(self, windowed: bool) -> VGroup:
        """'“it”: μ = 0.57  σ = 0.85' and, under it, what μ and σ are computed from (all d numbers of the row)."""
        t, s, tr, d = self.trace, self.trace.ln1_steps, self.trace.tracked, self.trace.config.d_model
        values = VGroup(readout("μ =", s.mean[tr]), readout("σ =", s.std[tr])).arrange(RIGHT, buff=GAP)
        who = baseline_text(f"{quoted(t.tracked_token, SMALL_SIZE, 0.4)}:", SMALL_SIZE, RESULT)
        set_baseline(who.next_to(values, LEFT, buff=GAP), baseline_of(values[1][0]))
        line = VGroup(who, values)
        note = paragraph(f"μ, σ: mean and std of all {d} numbers of the row" + (" (⋮ = not shown)" if windowed else ""),
                         NOTE_SIZE, self.band.width, MUTED).next_to(line, DOWN, buff=0.15)
        out = VGroup(line, note)
        out.values, out.note = values, note
        return out

    def bar_panels(self, rows, heads, colors, grid, band: Box, extra=(), max_row: float | None = None) -> list:
        """One VectorBars panel per row of values, on one scale (the largest |value|, or of `extra`) and one window
        of dimensions, in a grid over the readouts' room; each panel a VGroup(bars, head) with those (and its
        guides, added later) as attributes."""
        d, lh = len(rows[0]), line_height(SMALL_SIZE)
        n_rows, n_cols = grid
        foot = self.make_readouts(True).height + 0.3  # the readouts under the panels, at their tallest
        number_w = number_box(2, NUMBER_SIZE)[0]
        pw = min((band.width - (n_cols - 1) * PANEL_GAP) / n_cols, 2 * 2.0 + 0.25 + number_w)
        bar_max = float(min(2.0, (pw - 0.25 - number_w) / 2))
        per = lh + HEAD_GAP + 0.1 + lh + 0.15  # each panel: its heading over the bars, guide marks under them
        avail = (band.height - foot - (n_rows - 1) * GAP) / n_rows - per
        most = max_row or (BAR_ROW[2] if frame().portrait else BAR_ROW[1])
        row_h = float(np.clip(avail / d, BAR_ROW[0], max(most, BAR_ROW[0])))
        slots = int(avail // row_h)
        window_ = window(d, slots) if d > slots else None
        scale = float(max([np.abs(r).max() for r in rows] + list(extra)))
        panels = []
        for k, (values, head, color) in enumerate(zip(rows, heads, colors)):
            bars = VectorBars(values, scale, color, bar_max=bar_max, row_h=row_h, places=2, rows=window_)
            label = set_baseline(self.head(head, color), bars.axis.get_top()[1] + HEAD_GAP).set_x(0)
            panel = VGroup(bars, label)
            panel.bars, panel.head, panel.guides = bars, label, VGroup()
            i, j = divmod(k, n_cols)
            axis_top = band.top - i * (per + bars.axis.get_length() + GAP) - (lh + HEAD_GAP + 0.1)
            panel.shift(np.array([band.left + j * (pw + PANEL_GAP) + bar_max, axis_top - bars.axis.get_top()[1], 0]))
            panels.append(panel)
        return panels

    # ---------------------------------------------------------------- helpers

    def add_guides(self, panel, values, marks):
        """Dashed lines at the given values across a panel's bars, each named under the axis (outward, so two
        close lines keep their names apart)."""
        b = panel.bars
        x = lambda v: b.axis.get_x() + v / b.scale_ * b.bar_max  # noqa: E731
        top, bottom = b.axis.get_top()[1], b.axis.get_bottom()[1]
        lines = VGroup(*[DashedLine([x(v), top, 0], [x(v), bottom, 0], color=LN, stroke_width=2, dash_length=0.08)
                         for v in values])
        labels = VGroup()
        order = np.argsort(values)
        for rank, i in enumerate(order):
            lab = text(marks[i], SMALL_SIZE, LN).next_to(lines[i], DOWN, buff=0.08)
            if len(values) > 1 and rank == 0:
                lab.next_to(lines[i].get_bottom(), DOWN + LEFT, buff=0.04).shift(RIGHT * 0.06)
            elif len(values) > 1 and rank == len(values) - 1:
                lab.next_to(lines[i].get_bottom(), DOWN + RIGHT, buff=0.04).shift(LEFT * 0.06)
            labels.add(lab)
        panel.guides = VGroup(lines, labels)
        panel.add(panel.guides)

    def morph(self, bars, start, end):
        """Bars glide from one trace row to the next; their numbers show the first row, then (from halfway) the
        second: never a value the trace does not hold."""
        start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
        return UpdateFromAlphaFunc(bars, lambda m, a: m.set_values(
            end if a >= 1 else start + a * (end - start), shown=start if a < 0.5 else end))


def readout(name: str, value: float) -> VGroup:
    """'μ = 0.57': the name and the trace's value on one baseline."""
    lab, num = baseline_text(name, SMALL_SIZE, LN), number(value, 2, SMALL_SIZE, RESULT)
    num.next_to(lab, RIGHT, buff=0.1)
    return VGroup(lab, num.shift(UP * (baseline_of(lab) - num.get_bottom()[1])))
