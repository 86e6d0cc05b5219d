"""LayerNormScene: each token's row is normalized on its own (−μ, ÷σ, then γ, β); rows never mix."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    RIGHT,
    UP,
    Arrow,
    DashedLine,
    FadeTransform,
    LaggedStart,
    Line,
    Rectangle,
    ReplacementTransform,
    TransformFromCopy,
    UpdateFromAlphaFunc,
    VGroup,
)

from common import (
    ACCENT,
    BODY_SIZE,
    BUFF,
    GAP,
    H_COLOR,
    INK,
    MUTED,
    OUT_COLOR,
    SAFE_W,
    SMALL_SIZE,
    CellMatrix,
    FadeIn,
    FadeOut,
    TraceScene,
    VectorBars,
    caption,
    fit,
    number,
    text,
    title,
)

# ---------------------------------------------------------------- layout constants (scene units)
CELL_W = 0.56  # matrix cell width (fixed: d_model columns)
CELL_H_MAX = 0.56  # matrix cell height when there are few tokens
ROWS_H = 5.0  # height available to the matrix rows (between headers and caption)
STAT_COL_W = 0.68  # width of the μ and σ columns
BAR_ROW_H = 0.34  # one bar of the tracked row's VectorBars


def row_box(label, row) -> Rectangle:
    """A highlight around one matrix row and its label; hugs the row vertically so neighbours' labels stay clear."""
    group = VGroup(label, row)
    box = Rectangle(width=group.width + 0.16, height=row.height + 0.04, color=OUT_COLOR, stroke_width=3)
    return box.move_to(np.array([group.get_center()[0], row.get_center()[1], 0]))


class LayerNormScene(TraceScene):
    def construct(self):
        self.intro()
        self.one_row()
        self.all_rows()
        self.takeaway()

    # ---------------------------------------------------------------- beats

    def intro(self):
        self.beat("intro")
        self.header = title("LayerNorm: each row on its own", "LN(x) = γ · (x − μ) / σ + β")
        self.build_layout()
        d = self.trace.block.x.shape[1]
        self.play(FadeIn(self.header))
        self.play(FadeIn(self.before), FadeIn(self.before_head))
        self.swap_caption(f"The block's input x: one row of {d} numbers per token.")
        self.wait(1.0)
        self.play(FadeIn(self.focus))
        self.swap_caption(f"LayerNorm looks at one row at a time. Follow “{self.trace.tracked_token}”.")
        self.wait(1.2)

    def one_row(self):
        self.beat("one-row")
        ln, tr = self.trace.layernorm, self.trace.tracked
        left = VGroup(self.before, self.before_head, self.focus)
        self.play(left.animate.shift(self.slot_shift))
        self.build_panel()
        bars = self.row_bars
        self.play(TransformFromCopy(self.before.row(tr), bars.bars), FadeIn(bars.axis), FadeIn(bars.numbers),
                  FadeIn(self.step_label))
        self.swap_caption(f"The row of “{self.trace.tracked_token}” as bars: its {len(bars.bars)} numbers.")
        self.wait(0.6)

        # μ and σ: this row's own statistics
        self.play(FadeIn(self.mu_line), FadeIn(self.mu_mark), FadeIn(self.readouts))
        self.swap_caption("μ and σ: this row's own mean and spread (std).")
        self.wait(1.0)

        # step 1: subtract μ
        self.swap_caption("Subtract μ: the row is centred, its mean is now 0.", H_COLOR, step="x − μ")
        self.play(self.morph_bars(self.trace.block.x[tr], ln.centered[tr]),
                  self.mu_line.animate.move_to(bars.axis), self.mu_mark.animate.next_to(bars.axis, DOWN, buff=0.08),
                  run_time=1.6)
        self.play(FadeOut(self.mu_line), FadeOut(self.mu_mark), FadeIn(self.sd_lines), FadeIn(self.sd_marks),
                  run_time=0.8)
        self.wait(0.4)

        # step 2: divide by σ
        self.swap_caption("Divide by σ: its spread is now 1.", H_COLOR, step="(x − μ) / σ")
        unit_lines, unit_marks = self.unit_guides()
        self.play(self.morph_bars(ln.centered[tr], ln.normalized[tr]), ReplacementTransform(self.sd_lines, unit_lines),
                  FadeTransform(self.sd_marks, unit_marks), run_time=1.6)
        self.wait(0.8)

        # step 3: γ and β
        self.swap_caption("Then γ scales and β shifts each dimension (learned, same for every row).", OUT_COLOR,
                          step="γ · (x − μ) / σ + β")
        self.play(self.morph_bars(ln.normalized[tr], ln.out[tr]), FadeOut(unit_lines), FadeOut(unit_marks),
                  run_time=1.6)
        self.wait(1.2)

    def all_rows(self):
        self.beat("all-rows")
        self.play(FadeOut(self.panel), FadeOut(self.step_label))
        self.swap_caption("Every row gets its own μ and σ.")
        rows = [VGroup(m, s) for m, s in zip(self.mu_numbers, self.sigma_numbers)]
        self.play(FadeIn(self.stat_heads), LaggedStart(*[FadeIn(r, shift=RIGHT * 0.15) for r in rows],
                                                       lag_ratio=0.5 / max(len(rows), 1) + 0.05, run_time=1.6))
        self.wait(0.8)
        self.swap_caption("All rows at once, each straight across: nothing flows between rows.")
        source = VGroup(self.before.cells.copy(), self.before.numbers.copy())
        self.play(LaggedStart(*[FadeIn(a) for a in self.row_arrows], lag_ratio=0.02, run_time=0.6))
        self.play(ReplacementTransform(source, VGroup(self.after.cells, self.after.numbers)), FadeIn(self.after_head),
                  run_time=2.0)
        self.play(ReplacementTransform(self.focus, self.row_band), run_time=0.8)
        self.wait(1.2)

    def takeaway(self):
        self.beat("takeaway")
        self.swap_caption("Same information, tidier scale: each row has mean 0, std 1 (then γ, β).", OUT_COLOR)
        self.wait(2.0)
        self.play(LaggedStart(*[FadeIn(lane) for lane in self.lanes], lag_ratio=0.1, run_time=0.8))
        self.swap_caption("Rows never mix: LayerNorm tidies scale, it adds no knowledge.", OUT_COLOR)
        self.wait(2.5)

    # ---------------------------------------------------------------- layout

    def build_layout(self):
        """Before-matrix | μ | σ | per-row arrows | after-matrix, sized for the token count, placed once."""
        t, ln = self.trace, self.trace.layernorm
        x = t.block.x
        n_rows = x.shape[0]
        vmax = float(max(np.abs(x).max(), np.abs(ln.out).max()))
        cell_h = min(CELL_H_MAX, ROWS_H / n_rows)
        self.before = CellMatrix(x, t.tokens, vmax, CELL_W, cell_h=cell_h)
        after = CellMatrix(x, t.tokens, vmax, CELL_W, cell_h=cell_h).target_for(ln.out)
        after.remove(after.labels)  # rows line up with the before-matrix: its labels serve both
        self.after = after

        stat_size = min(17.0, cell_h * 44)
        self.mu_numbers = VGroup(*[number(v, 2, size=stat_size) for v in ln.mean])
        self.sigma_numbers = VGroup(*[number(v, 2, size=stat_size) for v in ln.std])
        x0 = self.before.cells.get_right()[0] + BUFF
        for r, (m, s) in enumerate(zip(self.mu_numbers, self.sigma_numbers)):
            y = self.before.row(r).get_center()[1]
            m.move_to(np.array([x0 + STAT_COL_W * 0.5, y, 0]))
            s.move_to(np.array([x0 + STAT_COL_W * 1.5, y, 0]))
        for group in (self.mu_numbers[t.tracked], self.sigma_numbers[t.tracked]):
            group.set_color(OUT_COLOR)
        stats_right = x0 + 2 * STAT_COL_W
        arrow_len = 0.55
        self.row_arrows = VGroup(*[
            Arrow(np.array([stats_right + 0.08, y, 0]), np.array([stats_right + 0.08 + arrow_len, y, 0]), buff=0,
                  color=MUTED, stroke_width=2, tip_length=min(0.14, cell_h * 0.4),
                  max_tip_length_to_length_ratio=0.4, max_stroke_width_to_length_ratio=10)
            for y in (self.before.row(r).get_center()[1] for r in range(n_rows))])
        after.next_to(self.row_arrows, RIGHT, buff=0.12)
        after.align_to(self.before.cells, UP)

        self.before_head = text("x  (input)", SMALL_SIZE, INK).next_to(self.before.cells, UP, buff=0.12)
        self.stat_heads = VGroup(text("μ", SMALL_SIZE, ACCENT), text("σ", SMALL_SIZE, ACCENT))
        for h, col in zip(self.stat_heads, (self.mu_numbers, self.sigma_numbers)):
            h.set_x(col.get_center()[0])
        self.after_head = text("LN(x)", SMALL_SIZE, OUT_COLOR).next_to(after.cells, UP, buff=0.12)
        # baselines: "σ" sits on the baseline of the "x" in "x (input)"; "μ" (descender) shares σ's top
        self.stat_heads[1].align_to(self.before_head[0], DOWN)
        self.stat_heads[0].align_to(self.stat_heads[1], UP)
        self.after_head.align_to(self.before_head, DOWN)

        self.focus = row_box(self.before.labels[t.tracked], self.before.row(t.tracked))
        self.row_band = row_box(self.before.labels[t.tracked], after.row(t.tracked))

        left_x, right_x = self.before.cells.get_left()[0], after.cells.get_right()[0]
        self.lanes = VGroup(*[  # row boundaries drawn straight across: each row stays in its own lane
            Line(np.array([left_x, y, 0]), np.array([right_x, y, 0]), color=MUTED, stroke_width=1.5, stroke_opacity=0.7)
            for y in ((self.before.row(r).get_bottom()[1] for r in range(n_rows - 1)))])

        # place the whole arrangement: centred horizontally, between title and caption vertically
        everything = VGroup(self.before, after, self.mu_numbers, self.sigma_numbers, self.row_arrows,
                            self.lanes, self.before_head, self.stat_heads, self.after_head, self.focus, self.row_band)
        fit(everything, width=SAFE_W)
        # the middle of the free band between the title and a (typical) caption
        self.zone_y = (self.header.get_bottom()[1] + caption("Ag “μσ”").get_top()[1]) / 2
        everything.move_to(np.array([0, self.zone_y, 0]))
        # beat 1 shows the before-matrix centred; beat 2 moves it to this slot
        self.slot_shift = RIGHT * self.before.get_center()[0]
        for m in (self.before, self.before_head, self.focus):
            m.shift(-self.slot_shift)

    def build_panel(self):
        """The tracked row as bars, right of the before-matrix, with its μ, σ readouts and guide lines."""
        ln, tr, x = self.trace.layernorm, self.trace.tracked, self.trace.block.x
        scale = float(max(np.abs(a[tr]).max() for a in (x, ln.centered, ln.normalized, ln.out)))
        self.row_bars = VectorBars(x[tr], scale, H_COLOR, row_h=BAR_ROW_H, places=2)
        self.step_label = fit(text(f"x  (row “{self.trace.tracked_token}”)", BODY_SIZE, INK), width=4.2)
        self.step_label.next_to(self.row_bars, UP, buff=0.3)
        self.readouts = VGroup(
            VGroup(text("μ =", SMALL_SIZE, ACCENT, glyphs=True), number(ln.mean[tr], 2, size=SMALL_SIZE)),
            VGroup(text("σ =", SMALL_SIZE, ACCENT, glyphs=True), number(ln.std[tr], 2, size=SMALL_SIZE)),
        )
        for r in self.readouts:
            r.arrange(RIGHT, buff=0.12)
            r[1].set_y(r[0][-1].get_y())  # number centred on the "=" sign
        self.readouts.arrange(RIGHT, buff=GAP).next_to(self.row_bars, DOWN, buff=0.55)
        panel_core = VGroup(self.step_label, self.row_bars, self.readouts)
        left_edge = self.before.get_right()[0] + GAP
        right_edge = SAFE_W / 2
        panel_core.move_to(np.array([(left_edge + right_edge) / 2, self.zone_y, 0]))

        self.mu_line = self.guide(self.bar_x(ln.mean[tr]))
        self.mu_mark = text("μ", SMALL_SIZE, ACCENT).next_to(self.mu_line, DOWN, buff=0.08)
        self.sd_lines = VGroup(self.guide(self.bar_x(-ln.std[tr])), self.guide(self.bar_x(ln.std[tr])))
        self.sd_marks = VGroup(text("−σ", SMALL_SIZE, ACCENT).next_to(self.sd_lines[0], DOWN, buff=0.08),
                               text("+σ", SMALL_SIZE, ACCENT).next_to(self.sd_lines[1], DOWN, buff=0.08))
        self.panel = VGroup(self.row_bars, self.readouts)  # the step label is swapped separately

    def unit_guides(self):
        lines = VGroup(self.guide(self.bar_x(-1.0)), self.guide(self.bar_x(1.0)))
        marks = VGroup(text("−1", SMALL_SIZE, ACCENT).next_to(lines[0], DOWN, buff=0.08),
                       text("+1", SMALL_SIZE, ACCENT).next_to(lines[1], DOWN, buff=0.08))
        return lines, marks

    # ---------------------------------------------------------------- helpers

    def bar_x(self, v: float) -> float:
        """Screen x of value v on the tracked row's bar axis."""
        b = self.row_bars
        return b.axis.get_center()[0] + v / b.scale_ * b.bar_max

    def guide(self, x: float) -> DashedLine:
        a = self.row_bars.axis
        return DashedLine(np.array([x, a.get_top()[1], 0]), np.array([x, a.get_bottom()[1], 0]), color=ACCENT,
                          stroke_width=2, dash_length=0.08)

    def morph_bars(self, start, end):
        """Bars and their numbers glide from one trace row to the next (endpoints exactly as in the trace)."""
        start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
        return UpdateFromAlphaFunc(self.row_bars,
                                   lambda m, a: m.set_values(end if a >= 1 else start + a * (end - start)))

    def swap_caption(self, s: str, color=INK, step: str | None = None):
        """New bottom caption (and, with step, a new formula over the bars)."""
        anims = []
        if step is not None:
            label = text(step, BODY_SIZE, INK).move_to(self.step_label)
            anims += [FadeOut(self.step_label), FadeIn(label)]
            self.step_label = label
        super().swap_caption(s, color, *anims)
