"""LayerNormScene: each token's row is normalized on its own (−μ, ÷σ, then γ, β); rows never mix.

It tidies scale, it adds no knowledge. Shown on the rows the block's LN₁ really normalizes (trace.ln1_steps):
x in a pre-norm block (output LN₁(x)), x + Δattn in a post-norm block (output h).
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arrow, DashedLine, FadeTransform, LaggedStart, Line, ReplacementTransform, \
    UpdateFromAlphaFunc, VGroup

from kit.base import TraceScene
from kit.fast import FadeIn, FadeOut
from kit.layout import Box, content_band, line_height
from kit.matrices import VectorBars, number_box, window
from kit.names import names
from kit.rows import quoted, row_box, token_matrix
from kit.style import GAP, LN, MUTED, NOTE_SIZE, NUMBER_SIZE, RESULT, SMALL_SIZE, STREAM, frame
from kit.text import number, text
from kit.widgets import baseline_of, baseline_text, label_text, set_baseline, title

STATS_W = 0.72  # width of the μ and σ columns
ARROW_W = 0.5  # the per-row arrows between the stats and the output matrix
HEAD_GAP = 0.2  # between a matrix and its heading's baseline
BAR_ROW = (0.27, 0.42, 0.6)  # a bar row's height: least; most in a wide frame; most in a tall one


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
        self.header = title("LayerNorm: each row on its own", self.formula)
        self.band = content_band(self.header)
        self.build_matrices()
        self.build_bars()
        self.to_centre = self.band.center - self.in_group.get_center()  # alone for now: centred
        VGroup(self.in_group, self.in_focus).shift(self.to_centre)
        self.play(FadeIn(self.header))
        self.play(FadeIn(self.in_group))
        self.swap_caption(self.intro_caption.format(d=d))
        self.wait(1.0)
        self.play(FadeIn(self.in_focus))
        self.swap_caption(f"LayerNorm works on one row at a time. Follow {tok}.")
        self.wait(1.0)

    def one_row(self):
        self.beat("one-row")
        tr, s = self.trace.tracked, self.trace.ln1_steps
        d, (before, work) = self.trace.config.d_model, self.bars
        row = VGroup(self.m_in.row(tr), self.m_in.row_numbers(tr))
        kept = set(row.get_family())
        self.vanish(self.in_focus, *[m for m in self.in_group.family_members_with_points() if m not in kept])
        self.play(ReplacementTransform(row[0].copy(), before.bars), ReplacementTransform(row[0].copy(), work.bars),
                  FadeOut(row),
                  FadeIn(VGroup(before.axis, before.numbers, before.gaps, work.axis, work.numbers, work.gaps)),
                  FadeIn(self.bar_heads), FadeIn(self.step_label), FadeIn(self.token_line), run_time=1.2)
        self.remove(*row)
        self.swap_caption(f"Its {d} numbers as bars: on the left as they are, on the right through each step.")
        self.wait(0.8)

        self.play(FadeIn(self.mu_guide), FadeIn(self.readouts[:3]))
        self.swap_caption(f"μ and σ: the mean and the spread (std) of this row's own {d} numbers.")
        self.wait(1.0)

        self.swap_caption("Subtract μ: the row is centred, its mean is now 0.", LN, *self.new_step(f"{self.sym} − μ"))
        self.play(self.morph(s.input[tr], s.centered[tr]), self.mu_guide.animate.shift(RIGHT * (
            self.bar_x(0.0) - self.bar_x(s.mean[tr]))), run_time=1.6)
        self.play(FadeOut(self.mu_guide), FadeIn(self.sd_guides), run_time=0.6)
        self.wait(0.4)

        self.swap_caption("Divide by σ: its spread is now 1.", LN, *self.new_step(f"({self.sym} − μ) / σ"))
        self.play(self.morph(s.centered[tr], s.normalized[tr]), ReplacementTransform(self.sd_guides[0], self.unit_guides[0]),
                  FadeTransform(self.sd_guides[1], self.unit_guides[1]), run_time=1.6)
        self.wait(0.8)

        self.swap_caption("Then γ scales and β shifts each dimension: model weights, the same for every row.", LN,
                          *self.new_step(f"γ · ({self.sym} − μ) / σ + β"))
        self.play(self.morph(s.normalized[tr], s.out[tr]), FadeOut(self.unit_guides), run_time=1.6)
        self.wait(1.0)

    def all_rows(self):
        self.beat("all-rows")
        d = self.trace.config.d_model
        self.panel = VGroup(*self.bars, self.bar_heads, self.readouts)
        self.vanish(self.panel, self.step_label)
        VGroup(self.in_group, self.in_focus).shift(-self.to_centre)
        self.play(FadeIn(self.in_group), FadeIn(self.in_focus))
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
        tok = quoted(self.trace.tracked_token)
        out_head = self.head(self.out_name, self.out_color).move_to(self.step_label)
        self.vanish(self.in_group, self.in_focus, self.m_out, self.out_head, self.out_focus, self.stat_heads,
                    self.row_arrows, self.lanes, self.mu_numbers, self.sigma_numbers, self.stat_gaps)
        self.step_label = out_head
        self.play(FadeIn(self.panel), FadeIn(out_head))
        self.swap_caption(f"{tok} before and after: the same dimensions, a tidier scale, no other token involved.",
                          RESULT)
        self.wait(2.0)
        self.swap_caption("LayerNorm tidies scale, it adds no knowledge; each row is normalized on its own.",
                          RESULT)
        self.wait(2.0)

    # ---------------------------------------------------------------- layout

    def words(self):
        """Names and formulas true for the norm placement (kit.names), the same in every clip."""
        n = names(self.trace.config.norm)
        if n.norm == "pre":
            self.sym, self.in_name, self.out_name, self.out_color = n.x, n.x, n.ln1, LN
            self.formula = f"{n.ln1} = γ · ({n.x} − μ) / σ + β"
            self.intro_caption = "The block's input " + n.x + ": one row of {d} numbers per token."
        else:
            self.sym, self.in_name, self.out_name, self.out_color = "v", f"v = {n.x} + {n.attn}", f"{n.h} = LN₁(v)", STREAM
            self.formula = f"post-norm: {n.attn_step}, i.e. {n.h} = LN₁(v) = γ · (v − μ) / σ + β"
            self.intro_caption = (f"Post-norm: LN₁ reads v = {n.x} + {n.attn}, the stream after attention's add: "
                                  "{d} numbers per token.")

    def head(self, s: str, color, size: float = SMALL_SIZE):
        return baseline_text(s, size, color)

    def build_matrices(self):
        """Input | μ σ | arrows | output side by side (stacked in a tall frame), placed once."""
        t, s, tr = self.trace, self.trace.ln1_steps, self.trace.tracked
        band = self.band.below(line_height(SMALL_SIZE) + HEAD_GAP)
        vmax = float(max(np.abs(s.input).max(), np.abs(s.out).max()))
        stacked = frame().portrait
        if stacked:
            top, bottom = band.split([1, 1], gap=GAP + line_height(SMALL_SIZE) + HEAD_GAP, vertical=True)
            in_box = Box(top.left, top.right - 2 * STATS_W - 0.1, top.bottom, top.top)
        else:
            lw = min(1.3, max(label_text(w, SMALL_SIZE, 1.3).width for w in t.tokens)) + 0.15
            cells = (band.width - lw - 2 * STATS_W - ARROW_W - 0.4) / 2
            in_box = Box(band.left, band.left + lw + cells, band.bottom, band.top)
        m_in = token_matrix(s.input, in_box, vmax, labels=t.tokens, keep_row=tr, highlight=tr,
                            cells_width=None if stacked else cells)
        m_out = m_in.target_for(s.out)
        rows = m_in.rows_shown
        ys = [m_in.row(r).get_center()[1] for r in rows]
        gap_ys = [m_in.gaps[0].get_y()] if None in m_in.row_window else []
        x0 = m_in.cells.get_right()[0] + 0.12
        size = NUMBER_SIZE if m_in.cell_h >= 0.3 else NOTE_SIZE
        self.mu_numbers = VGroup(*[number(s.mean[r], 2, size).move_to([x0 + STATS_W * 0.5, y, 0]) for r, y in zip(rows, ys)])
        self.sigma_numbers = VGroup(*[number(s.std[r], 2, size).move_to([x0 + STATS_W * 1.5, y, 0]) for r, y in zip(rows, ys)])
        self.stat_gaps = VGroup(*[text("⋮", NOTE_SIZE, MUTED).move_to([x0 + STATS_W * (k + 0.5), y, 0])
                                  for k in (0, 1) for y in gap_ys[:1]])
        for m in (self.mu_numbers[rows.index(tr)], self.sigma_numbers[rows.index(tr)]):
            m.set_color(RESULT)
        right = x0 + 2 * STATS_W
        if stacked:
            m_out.next_to(m_in, DOWN, buff=GAP + line_height(SMALL_SIZE) + HEAD_GAP)
            m_out.shift(RIGHT * (m_in.cells.get_left()[0] - m_out.cells.get_left()[0]))  # columns line up
            self.row_arrows = VGroup()
        else:
            m_out.remove(m_out.labels)
            m_out.labels = VGroup()
            m_out.shift(RIGHT * (right + ARROW_W + 0.1 - m_out.cells.get_left()[0]))
            self.row_arrows = VGroup(*[Arrow([right + 0.05, y, 0], [right + ARROW_W - 0.05, y, 0], buff=0, color=MUTED,
                                             stroke_width=2, tip_length=min(0.12, m_in.cell_h * 0.4),
                                             max_tip_length_to_length_ratio=0.4, max_stroke_width_to_length_ratio=10)
                                       for y in ys])
        self.m_in, self.m_out = m_in, m_out
        self.in_focus = row_box(m_in, tr)
        self.out_focus = row_box(m_out, tr, with_label=stacked)
        baseline = m_in.cells.get_top()[1] + HEAD_GAP
        self.in_head = in_head = set_baseline(self.head(self.in_name, STREAM), baseline).set_x(m_in.cells.get_center()[0])
        self.stat_heads = VGroup(*[set_baseline(self.head(c, LN), baseline).set_x(col.get_center()[0])
                                   for c, col in (("μ", self.mu_numbers), ("σ", self.sigma_numbers))])
        self.out_head = set_baseline(self.head(self.out_name, self.out_color), m_out.cells.get_top()[1] + HEAD_GAP)
        self.out_head.set_x(m_out.cells.get_center()[0])
        self.lanes = VGroup() if stacked else VGroup(*[  # row boundaries straight across: each row keeps its lane
            Line([m_in.cells.get_left()[0], y, 0], [m_out.cells.get_right()[0], y, 0], color=MUTED, stroke_width=1.5,
                 stroke_opacity=0.6) for y in (m_in.row(r).get_bottom()[1] for r in rows[:-1])
            if not any(abs(y - g) < m_in.cell_h for g in gap_ys)])
        self.in_group = VGroup(m_in, in_head)
        everything = VGroup(m_in, m_out, in_head, self.out_head, self.stat_heads, self.mu_numbers, self.sigma_numbers,
                            self.stat_gaps, self.row_arrows, self.lanes, self.in_focus, self.out_focus)
        everything.move_to(band.center + UP * (line_height(SMALL_SIZE) + HEAD_GAP) / 2).set_x(0)

    def build_bars(self):
        """The tracked row twice, as bars: as it is (left) and through the steps (right); μ σ readouts below."""
        t, s, tr = self.trace, self.trace.ln1_steps, self.trace.tracked
        d, band, portrait = t.config.d_model, self.band, frame().portrait
        lh, nh = line_height(SMALL_SIZE), line_height(NOTE_SIZE)
        heads, foot = lh + HEAD_GAP + 0.1, 2 * lh + nh + 0.45  # over the bars; under them: guide marks, readouts, note
        avail = band.height - heads - foot
        row_h = float(np.clip(avail / d, BAR_ROW[0], BAR_ROW[2] if portrait else BAR_ROW[1]))
        slots = int(avail // row_h)
        rows = window(d, slots) if d > slots else None
        number_w = number_box(2, NUMBER_SIZE)[0]
        half = (band.width - GAP) / 2
        bar_max = float(min(2.0, (half - 0.25 - number_w) / 2))
        scale = float(max(np.abs(a[tr]).max() for a in (s.input, s.centered, s.normalized, s.out)))
        self.bars = [VectorBars(s.input[tr], scale, c, bar_max=bar_max, row_h=row_h, places=2, rows=rows)
                     for c in (STREAM, LN)]
        before, work = self.bars
        width = 2 * bar_max + 0.2 + max(before.number_w, work.number_w)  # each panel, its bars at their longest
        work.shift(RIGHT * (before.axis.get_x() + width + GAP - work.axis.get_x()))
        self.bar_heads = VGroup(self.head(self.in_name, STREAM))
        self.step_label = self.head(self.sym, LN)
        for h, b in ((self.bar_heads[0], before), (self.step_label, work)):
            set_baseline(h, b.axis.get_top()[1] + HEAD_GAP).set_x(b.axis.get_x())
        self.bar_x = lambda v: work.axis.get_x() + v / work.scale_ * work.bar_max
        self.readouts = VGroup(readout("μ =", s.mean[tr]), readout("σ =", s.std[tr])).arrange(RIGHT, buff=GAP)
        room = min(band.width, 2 * width + GAP) - self.readouts.width - GAP  # no wider than the two panels
        self.token_line = label_text(f"“{t.tracked_token}”:", SMALL_SIZE, room, RESULT)  # whose row, beside its μ, σ
        set_baseline(self.token_line.next_to(self.readouts, LEFT, buff=GAP), baseline_of(self.readouts[1][0]))
        note = text(f"μ, σ: mean and std of all {d} numbers of the row", NOTE_SIZE, MUTED)
        self.readouts.add(note, self.token_line)
        note.next_to(self.readouts[:2], DOWN, buff=0.15).set_x(VGroup(self.token_line, *self.readouts[:2]).get_x())
        self.readouts.next_to(work.axis, DOWN, buff=lh + 0.2)
        self.readouts.set_x(before.axis.get_x() - bar_max + (2 * width + GAP) / 2)
        panel = VGroup(*self.bars, self.bar_heads, self.step_label, self.readouts)
        left, right = before.axis.get_x() - bar_max, work.axis.get_x() - bar_max + width
        panel.shift(band.center - np.array([(left + right) / 2, panel.get_center()[1], 0]))
        self.mu_guide = self.guides([s.mean[tr]], ["μ"])
        self.sd_guides = self.guides([-s.std[tr], s.std[tr]], ["−σ", "+σ"])
        self.unit_guides = self.guides([-1.0, 1.0], ["−1", "+1"])

    # ---------------------------------------------------------------- helpers

    def vanish(self, *mobs, run_time: float = 0.6):
        """Fade mobjects out and take them (and their parts, wherever they sit) off the scene."""
        self.play(FadeOut(VGroup(*mobs)), run_time=run_time)
        self.remove(*[m for mob in mobs for m in mob.get_family()])

    def guides(self, values, marks) -> VGroup:
        """Dashed lines at the given values across the working bars, each named under the axis."""
        a = self.bars[1].axis
        lines = VGroup(*[DashedLine([self.bar_x(v), a.get_top()[1], 0], [self.bar_x(v), a.get_bottom()[1], 0],
                                    color=LN, stroke_width=2, dash_length=0.08) for v in values])
        labels = VGroup(*[text(m, SMALL_SIZE, LN).next_to(line, DOWN, buff=0.08) for m, line in zip(marks, lines)])
        return VGroup(lines, labels)

    def morph(self, start, end):
        """The working bars glide from one trace row to the next; their numbers show the first row, then (from
        halfway) the second: never a value the trace does not hold."""
        start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
        return UpdateFromAlphaFunc(self.bars[1], lambda m, a: m.set_values(
            end if a >= 1 else start + a * (end - start), shown=start if a < 0.5 else end))

    def new_step(self, s: str):
        """Animations that replace the formula over the working bars."""
        label = self.head(s, LN)
        set_baseline(label, self.bars[1].axis.get_top()[1] + HEAD_GAP).set_x(self.bars[1].axis.get_x())
        old, self.step_label = self.step_label, label
        return FadeOut(old), FadeIn(label)


def readout(name: str, value: float) -> VGroup:
    """'μ = 0.57': the name and the trace's value on one baseline."""
    lab, num = baseline_text(name, SMALL_SIZE, LN), number(value, 2, SMALL_SIZE, RESULT)
    num.next_to(lab, RIGHT, buff=0.1)
    return VGroup(lab, num.shift(UP * (baseline_of(lab) - num.get_bottom()[1])))
