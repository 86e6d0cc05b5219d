"""The layernorm lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, r2  # noqa: E402
from kit.text import shown  # noqa: E402

CASES = {
    **SENTENCES,
    "post-norm": {"BLOCKMATH_NORM": "post"},
    "d16": {"BLOCKMATH_D_MODEL": "16"},  # columns and bar rows are windowed
    "d32-max": {**SENTENCES["max"], "BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"},
}


def recording(cls):
    """The scene class, recording every caption it shows."""

    class Recording(cls):
        def swap_caption(self, s, *args, **kwargs):
            self.captions = [*getattr(self, "captions", []), s]
            super().swap_caption(s, *args, **kwargs)

    return Recording


def window(a, m):
    """a [rows, cols] sliced to the rows and columns a CellMatrix m shows."""
    return np.asarray(a)[m.rows_shown][:, m.cols_shown]


def run(monkeypatch, name, size=(854, 480)):
    from layernorm import LayerNormScene

    env = CASES[name]
    return dry_run(recording(LayerNormScene), monkeypatch, env, size), expected_trace(env)


@pytest.mark.parametrize("name", list(CASES))
def test_layernorm_scene_shows_the_trace(monkeypatch, name):
    scene, t = run(monkeypatch, name)
    s, tr = t.ln1_steps, t.tracked
    rows = scene.m_in.rows_shown
    assert tr in rows
    assert np.allclose(scene.m_in.values_shown(), r2(window(s.input, scene.m_in), 1), atol=1e-9)
    assert np.allclose(scene.m_out.values_shown(), r2(window(s.out, scene.m_out), 1), atol=1e-9)
    assert scene.m_out.rows_shown == rows and scene.m_out.cols_shown == scene.m_in.cols_shown  # rows line up
    assert [shown(n) for n in scene.mu_numbers] == list(r2(s.mean[rows]))
    assert [shown(n) for n in scene.sigma_numbers] == list(r2(s.std[rows]))
    before, work = scene.bars
    assert before.values_shown() == list(r2(s.input[tr][before.dims]))
    assert work.values_shown() == list(r2(s.out[tr][work.dims]))  # it ends on γ · (x − μ) / σ + β
    assert [shown(m[1]) for m in scene.readouts[:2]] == list(r2([s.mean[tr], s.std[tr]]))


@pytest.mark.parametrize("name", ["d16", "d32-max"])
def test_windows_are_said_on_screen(monkeypatch, name):
    scene, t = run(monkeypatch, name)
    d = t.config.d_model
    assert None in scene.m_in.col_window and None in scene.bars[0].row_window  # elided, not shrunk
    assert any(f"from all {d} of its numbers" in c and "…" in c for c in scene.captions)
    assert scene.readouts[2].text_info.source == f"μ, σ: mean and std of all {d} numbers of the row"


def test_names_are_true_for_the_norm_placement(monkeypatch):
    pre, t = run(monkeypatch, "default")
    assert (pre.in_head.text_info.source, pre.out_head.text_info.source) == ("x", "LN₁(x)")
    assert np.allclose(t.ln1_steps.out, t.block.ln1)  # what it calls LN₁(x) is what attention reads
    post, t = run(monkeypatch, "post-norm")
    assert (post.in_head.text_info.source, post.out_head.text_info.source) == ("v = x + Δattn", "h = LN₁(v)")
    # post-norm: LN₁ normalizes x + Δattn, and its output is the stream h the MLP then reads
    assert np.allclose(t.ln1_steps.input, t.block.x + t.block.attn_out)
    assert np.allclose(t.ln1_steps.out, t.block.h_attn)
    assert not np.allclose(post.m_in.values_shown(), r2(window(t.block.x, post.m_in), 1))


def test_it_ends_with_the_token_before_and_after_side_by_side(monkeypatch):
    scene, t = run(monkeypatch, "default")
    on_screen = {id(m) for top in scene.mobjects for m in top.get_family()}
    before, work = scene.bars
    assert {id(before.bars), id(work.bars), id(scene.step_label)} <= on_screen
    assert scene.step_label.text_info.source == "LN₁(x)"
    assert work.axis.get_x() > before.axis.get_x() + 2 * before.bar_max  # beside it, not under or over it
    assert abs(work.axis.get_y() - before.axis.get_y()) < 1e-6  # dimension k on the same line in both


def test_gliding_bars_show_only_trace_values(monkeypatch):
    scene, t = run(monkeypatch, "default")
    s, tr = t.ln1_steps, t.tracked
    work = scene.bars[1]
    anim = scene.morph(s.input[tr], s.centered[tr])
    for alpha, row in ((0.2, s.input[tr]), (0.45, s.input[tr]), (0.55, s.centered[tr]), (0.9, s.centered[tr])):
        anim.interpolate(alpha)
        assert work.values_shown() == list(r2(row[work.dims]))


def test_tall_frame_stacks_the_matrices(monkeypatch):
    scene, t = run(monkeypatch, "default", size=(480, 854))
    assert scene.m_out.cells.get_top()[1] < scene.m_in.cells.get_bottom()[1]
    assert np.allclose(scene.m_out.values_shown(), r2(window(t.ln1_steps.out, scene.m_out), 1), atol=1e-9)
