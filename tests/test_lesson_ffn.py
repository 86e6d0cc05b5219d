"""The ffn lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, r2  # noqa: E402
from kit.matrices import value_color  # noqa: E402
from kit.text import shown  # noqa: E402

CASES = {
    **SENTENCES,
    "post-norm": {"BLOCKMATH_NORM": "post"},
    "d32-max": {**SENTENCES["max"], "BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"},  # windows
    "d_ff 200": {"BLOCKMATH_D_FF": "200"},  # the hidden layer is windowed, its strongest units kept
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
    from ffn import FFNScene

    env = CASES[name]
    return dry_run(recording(FFNScene), monkeypatch, env, size), expected_trace(env)


def vector(v, scene):
    """A vector as the scene's CellMatrix holds it: a d×1 column, or a 1×d row where the network runs downwards."""
    v = np.asarray(v, dtype=float)
    return v[None, :] if scene.net.vertical else v[:, None]


@pytest.mark.parametrize("name", list(CASES))
def test_ffn_scene_shows_the_trace(monkeypatch, name):
    scene, t = run(monkeypatch, name)
    b, i = t.block, t.tracked
    assert np.allclose(scene.m_in.values_shown(), r2(window(b.ln2, scene.m_in), 1), atol=1e-9)
    for m, v in ((scene.in_vec, b.ln2[i]), (scene.out_vec, b.ffn_out[i])):
        assert np.allclose(m.values_shown(), r2(window(vector(v, scene), m), 1), atol=1e-9)
    units = list(t.ffn_top_units)
    assert [shown(n) for n in scene.top_numbers] == list(r2(b.ffn_post[i][units]))
    for box, u in zip(scene.top_boxes, units):  # each value sits by its own unit's box
        assert np.allclose(box.get_center(), scene.net.cell(u).get_center())
    assert np.allclose(scene.inputs.values_shown(), r2(window(b.ln2, scene.inputs), 1), atol=1e-9)
    assert np.allclose(scene.outputs.values_shown(), r2(window(b.ffn_out, scene.outputs), 1), atol=1e-9)
    assert set(scene.out_rows) == set(scene.inputs.rows_shown)  # every row shown goes through the network


@pytest.mark.parametrize("name", ["default", "d32-max", "d_ff 200"])
def test_the_true_sizes_are_said(monkeypatch, name):
    scene, t = run(monkeypatch, name)
    d, f = t.config.d_model, t.config.d_ff
    assert scene.header[1].source == f"one MLP, {d}\u00a0→\u00a0{f}\u00a0→\u00a0GELU\u00a0→\u00a0{d}, for every token"
    assert [lab[1].text_info.source for lab in scene.net.labels] == [f"{d}×{f}", f"{f}×{d}"]
    assert any(f"into {f} hidden numbers" in c for c in scene.captions)
    assert any(f"back to {d} numbers" in c for c in scene.captions)


def test_hidden_layer_window_keeps_the_strongest_units(monkeypatch):
    scene, t = run(monkeypatch, "d_ff 200")
    shown_units = scene.net.hidden.cols_shown if scene.net.vertical else scene.net.hidden.rows_shown
    assert len(shown_units) < t.config.d_ff and set(t.ffn_top_units) <= set(shown_units)


def test_names_are_true_for_the_norm_placement(monkeypatch):
    pre, t = run(monkeypatch, "default")
    assert [h.text_info.source for h in pre.mat_heads] == ["LN₂(h)", "Δmlp"]
    assert any("out = h + MLP(LN₂(h))" in c for c in pre.captions)
    post, t = run(monkeypatch, "post-norm")
    assert [h.text_info.source for h in post.mat_heads] == ["h", "Δmlp"]  # post-norm: the MLP reads h itself
    assert np.allclose(t.block.ln2, t.block.h_attn)
    assert any("out = LN₂(h + MLP(h))" in c for c in post.captions)


def test_every_token_loop_ends_on_the_last_row(monkeypatch):
    scene, t = run(monkeypatch, "max")
    last = scene.inputs.rows_shown[-1]
    expected = [value_color(v, scene.net2.hidden.vmax).to_hex() for v in t.block.ffn_post[last]]
    shown_units = scene.net2.hidden.cols_shown if scene.net2.vertical else scene.net2.hidden.rows_shown
    cells = [scene.net2.cell(u).get_fill_color().to_hex() for u in shown_units]
    assert cells == [expected[u] for u in shown_units]
    assert abs(scene.in_box.get_y() - scene.inputs.row(last).get_y()) < 1e-6


@pytest.mark.parametrize("name", ["default", "max", "short"])
def test_attention_contrast_draws_the_trace_weights(monkeypatch, name):
    from ffn import weight_width

    scene, t = run(monkeypatch, name)
    w = t.attn_mean
    assert all(j <= i for i, j in scene.weight_pairs)  # causal: a token reads itself and earlier ones only
    assert len(scene.weight_pairs) == len(t.tokens) * (len(t.tokens) + 1) // 2
    for line, (i, j) in zip(scene.weight_lines, scene.weight_pairs):
        assert line.get_stroke_width() == pytest.approx(weight_width(w[i, j]))
        assert line.get_stroke_opacity() == pytest.approx(1.0 if i == t.tracked else 0.25)


def test_tall_frame_flows_top_to_bottom(monkeypatch):
    scene, t = run(monkeypatch, "default", size=(480, 854))
    assert scene.net.vertical and scene.out_vec.get_y() < scene.net.get_y() < scene.in_vec.get_y()
    assert scene.outputs.cells.get_top()[1] < scene.inputs.cells.get_bottom()[1]
    assert np.allclose(scene.outputs.values_shown(), r2(window(t.block.ffn_out, scene.outputs), 1), atol=1e-9)
