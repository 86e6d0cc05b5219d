"""The layernorm lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, lesson_runner, r2, window  # noqa: E402
from kit.rows import EDGE, READABLE  # noqa: E402
from kit.style import LN, MARGIN, STREAM  # noqa: E402
from kit.text import shown  # noqa: E402

CASES = {
    **SENTENCES,
    "post-norm": {"BLOCKMATH_NORM": "post"},
    "d16": {"BLOCKMATH_D_MODEL": "16"},  # columns and bar rows are windowed
    "d32": {"BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"},
    "d32-max": {**SENTENCES["max"], "BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"},
}
SQUARE, TALL = (480, 480), (480, 854)


run = lesson_runner("layernorm", "LayerNormScene", CASES)

_forget_runs = run.forget_after_module  # drops the shared dry runs after this module


@pytest.mark.parametrize("name", list(CASES))
def test_layernorm_scene_shows_the_trace(monkeypatch, name):
    scene, t = run(monkeypatch, name)
    s, tr = t.ln1_steps, t.tracked
    rows = scene.m_in.rows_shown
    assert tr in rows
    assert np.allclose(scene.m_big.values_shown(), r2(window(s.input, scene.m_big), 1), atol=1e-9)
    assert np.allclose(scene.m_in.values_shown(), r2(window(s.input, scene.m_in), 1), atol=1e-9)
    assert np.allclose(scene.m_out.values_shown(), r2(window(s.out, scene.m_out), 1), atol=1e-9)
    assert scene.m_out.rows_shown == rows and scene.m_out.cols_shown == scene.m_in.cols_shown  # rows line up
    assert [shown(n) for n in scene.mu_numbers] == list(r2(s.mean[rows]))
    assert [shown(n) for n in scene.sigma_numbers] == list(r2(s.std[rows]))
    for panel, row in zip(scene.steps, (s.input, s.centered, s.normalized, s.out)):  # x, x − μ, ÷ σ, γ · … + β
        assert panel.bars.values_shown() == list(r2(row[tr][panel.bars.dims]))
    assert scene.before.bars.values_shown() == list(r2(s.input[tr][scene.before.bars.dims]))
    assert scene.after.bars.values_shown() == list(r2(s.out[tr][scene.after.bars.dims]))
    assert [shown(m[1]) for m in scene.readouts.values] == list(r2([s.mean[tr], s.std[tr]]))


def test_one_row_ends_on_every_step(monkeypatch):
    """The one-row beat's last frame holds x, x − μ, (x − μ) / σ and γ · … + β side by side, each with its
    heading, and the guides that show what each step did (μ; ±σ; ±1)."""
    scene, t = run(monkeypatch, "default")
    s, tr, end = t.ln1_steps, t.tracked, scene.ended["one-row"]
    heads = [p.head.text_info.source for p in scene.steps]
    assert heads == ["x", "x − μ", "(x − μ) / σ", "γ · (x − μ) / σ + β"]
    for p, row in zip(scene.steps, (s.input[tr], s.centered[tr], s.normalized[tr], s.out[tr])):
        drawn = [shown(n) for n in p.bars.numbers]
        assert drawn == pytest.approx(row[p.bars.dims], abs=0.0051)  # each step's numbers are the trace's, as rounded
    for p in scene.steps:
        assert {id(p.bars.bars), id(p.bars.numbers), id(p.head)} <= end
    xs = [p.bars.axis.get_x() for p in scene.steps]
    assert xs == sorted(xs) and len({round(p.bars.axis.get_y(), 6) for p in scene.steps}) == 1  # one row of panels
    marks = [[m.text_info.source for m in p.guides[1]] for p in scene.steps[:3]]
    assert marks == [["μ"], ["−σ", "+σ"], ["−1", "+1"]]
    assert all(id(p.guides) in end for p in scene.steps[:3])
    assert len({p.bars.scale_ for p in scene.steps}) == 1  # one scale: lengths compare across steps
    tall, _ = run(monkeypatch, "default", size=TALL)  # two by two in a tall frame, in reading order
    a, b, c, d = [p.bars.axis.get_center() for p in tall.steps]
    assert a[1] == pytest.approx(b[1]) and c[1] == pytest.approx(d[1]) and c[1] < a[1] and a[0] < b[0]


@pytest.mark.parametrize("name", ["default", "post-norm"])
def test_the_scale_change_is_shown_and_said_with_numbers(monkeypatch, name):
    """Whatever σ is, the before/after panels mark μ, μ ± σ and ±1 on one scale, and the captions give μ and σ."""
    scene, t = run(monkeypatch, name)
    s, tr = t.ln1_steps, t.tracked
    mu, sd = (f"{v:.2f}".replace("-", "−") for v in r2([s.mean[tr], s.std[tr]]))
    assert any(f"μ = {mu}" in c and f"σ = {sd}" in c for c in scene.captions)
    assert any(f"Subtract μ = {mu}" in c for c in scene.captions)
    assert any(f"Divide by σ = {sd}: the bars {'grow' if s.std[tr] < 1 else 'shrink'}" in c for c in scene.captions)
    before, after = scene.before, scene.after
    assert before.bars.scale_ == after.bars.scale_ and before.bars.bar_max == after.bars.bar_max

    def at(panel):  # the values the guide lines stand at, read back from their positions
        b = panel.bars
        return [(line.get_x() - b.axis.get_x()) / b.bar_max * b.scale_ for line in panel.guides[0]]

    assert np.allclose(at(before), [s.mean[tr] - s.std[tr], s.mean[tr], s.mean[tr] + s.std[tr]])
    assert np.allclose(at(after), [-1.0, 1.0])
    end = scene.ended["before-after"]
    assert {id(before.guides), id(after.guides), id(scene.readouts)} <= end


@pytest.mark.parametrize("name,size", [("d16", (854, 480)), ("d32-max", (854, 480)), ("default", SQUARE),
                                       ("d32-max", TALL)])
def test_windows_are_said_on_screen(monkeypatch, name, size):
    """Wherever columns or bars are windowed, the screen says μ and σ use all d numbers (finding: the all-rows beat
    showed a window and did not say it)."""
    scene, t = run(monkeypatch, name, size)
    d = t.config.d_model
    assert None in scene.m_in.col_window  # elided, not shrunk
    assert scene.m_big.col_window == scene.m_in.col_window  # the same matrix keeps its window
    assert scene.m_big.row_window == scene.m_in.row_window
    assert f"each row has {d} numbers" in scene.alone[-1].source
    assert scene.stats_note.source == f"μ, σ: mean and std of all {d} numbers of each row (… = columns not shown)"
    assert id(scene.stats_note) in scene.ended["all-rows"]
    assert any(f"from all {d} of its numbers" in c and "…" in c for c in scene.captions)
    windowed = None in scene.before.bars.row_window
    assert scene.readouts.note.source == f"μ, σ: mean and std of all {d} numbers of the row" + (
        " (⋮ = not shown)" if windowed else "")


@pytest.mark.parametrize("name,size", [("default", (854, 480)), ("d32", (854, 480)), ("default", TALL),
                                       ("d32-max", (854, 480))])
def test_cells_are_readable_and_clear_of_the_edges(monkeypatch, name, size):
    """Cell numbers at READABLE size where the room allows (columns are windowed first), the tracked row's box
    clear of the frame's sides."""
    scene, t = run(monkeypatch, name, size)
    for m in (scene.m_big, scene.m_in):  # READABLE, or one less where rows are elided to keep them that big
        assert min(n.text_info.size for n in m.numbers) >= READABLE - (1.1 if None in m.row_window else 0) - 1e-6
    half = manim.config.frame_width / 2
    for box in (scene.in_focus, scene.out_focus, scene.big_focus):
        assert box.get_left()[0] >= -half + MARGIN + EDGE - 0.05 and box.get_right()[0] <= half - MARGIN - EDGE + 0.05
    assert scene.m_in.col_window[-1] is not None  # the last column stays in view: the box holds the gap


def test_names_and_colours_are_true_for_the_norm_placement(monkeypatch):
    pre, t = run(monkeypatch, "default")
    assert (pre.in_head.text_info.source, pre.out_head.text_info.source) == ("x", "LN₁(x)")
    assert np.allclose(t.ln1_steps.out, t.block.ln1)  # what it calls LN₁(x) is what attention reads
    post, t = run(monkeypatch, "post-norm")
    assert (post.in_head.text_info.source, post.out_head.text_info.source) == ("v = x + Δattn", "h = LN₁(v)")
    # post-norm: LN₁ normalizes x + Δattn, and its output is the stream h the MLP then reads
    assert np.allclose(t.ln1_steps.input, t.block.x + t.block.attn_out)
    assert np.allclose(t.ln1_steps.out, t.block.h_attn)
    assert not np.allclose(post.m_in.values_shown(), r2(window(t.block.x, post.m_in), 1))
    for scene in (pre, post):  # one rule in both placements: what LayerNorm reads is the stream's, what it makes LN's
        assert scene.in_head.get_fill_color().to_hex() == STREAM.to_hex()
        for head in (scene.out_head, scene.after.head, scene.steps[-1].head):
            assert head.get_fill_color().to_hex() == LN.to_hex()
        assert scene.after.bars.color_.to_hex() == LN.to_hex()


def test_it_ends_with_the_token_before_and_after_side_by_side(monkeypatch):
    for size in ((854, 480), TALL):
        scene, t = run(monkeypatch, "default", size)
        before, after = scene.before, scene.after
        assert {id(before.bars.bars), id(after.bars.bars), id(after.head)} <= scene.ended["before-after"]
        assert after.head.text_info.source == "LN₁(x)"
        assert after.bars.axis.get_x() > before.bars.axis.get_x() + 2 * before.bars.bar_max  # beside, not under
        assert abs(after.bars.axis.get_y() - before.bars.axis.get_y()) < 1e-6  # dimension k on the same line


def test_gliding_bars_show_only_trace_values(monkeypatch):
    scene, t = run(monkeypatch, "default")
    s, tr = t.ln1_steps, t.tracked
    bars = scene.steps[1].bars
    anim = scene.morph(bars, s.input[tr], s.centered[tr])
    for alpha, row in ((0.2, s.input[tr]), (0.45, s.input[tr]), (0.55, s.centered[tr]), (0.9, s.centered[tr])):
        anim.interpolate(alpha)
        assert bars.values_shown() == list(r2(row[bars.dims]))


def test_tall_frame_stacks_the_matrices(monkeypatch):
    scene, t = run(monkeypatch, "default", size=TALL)
    assert scene.m_out.cells.get_top()[1] < scene.m_in.cells.get_bottom()[1]
    assert np.allclose(scene.m_out.values_shown(), r2(window(t.ln1_steps.out, scene.m_out), 1), atol=1e-9)


def test_narrow_frames_get_a_title_on_one_line(monkeypatch):
    wide, _ = run(monkeypatch, "default")
    assert [len(p) for p in wide.header[:1]] == [1] and wide.header[0].source == "LayerNorm: each row on its own"
    for size in (SQUARE, TALL):
        scene, _ = run(monkeypatch, "default", size)
        assert len(scene.header[0]) == 1 and scene.header[0].source == "LayerNorm: row by row"


def test_no_window_no_window_note(monkeypatch):
    scene, t = run(monkeypatch, "default")
    assert None not in scene.m_in.col_window and len(scene.alone) == 2  # the matrix and its heading, no note
    assert scene.stats_note.source == "μ, σ: mean and std of all 8 numbers of each row"
