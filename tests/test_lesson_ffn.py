"""The ffn lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, lesson_runner, r2, window  # noqa: E402
from kit.matrices import value_color  # noqa: E402
from kit.rows import EDGE, READABLE  # noqa: E402
from kit.style import MARGIN  # noqa: E402
from kit.text import shown  # noqa: E402

CASES = {
    **SENTENCES,
    "post-norm": {"BLOCKMATH_NORM": "post"},
    "d32": {"BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"},  # d_ff = 128
    "d32-max": {**SENTENCES["max"], "BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"},  # windows
    "d_ff 200": {"BLOCKMATH_D_FF": "200"},  # the hidden layer is windowed, its strongest units kept
    "1 head": {"BLOCKMATH_N_HEADS": "1"},
}
SQUARE, TALL = (480, 480), (480, 854)


run = lesson_runner("ffn", "FFNScene", CASES)

_forget_runs = run.forget_after_module  # drops the shared dry runs after this module


def vector(v, scene):
    """A vector as the scene's CellMatrix holds it: a d×1 column, or a 1×d row where the network runs downwards."""
    v = np.asarray(v, dtype=float)
    return v[None, :] if scene.net.vertical else v[:, None]


def along(mob, scene) -> float:
    """A mobject's length across the flow (the long side of a vector or of the hidden layer)."""
    return mob.width if scene.net.vertical else mob.height


def colours(net, values, layer=None):
    """The fill colours of a drawn hidden layer, and those values would give (units shown)."""
    units = net.units_shown()
    drawn = [net.cell(u, layer).get_fill_color().to_hex() for u in units]
    return drawn, [value_color(values[u], net.hidden.vmax).to_hex() for u in units]


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
    drawn, expected = colours(scene.net, b.ffn_pre[i], scene.net.pre)  # before GELU: W₁x + b₁
    assert drawn == expected
    assert np.allclose(scene.inputs.values_shown(), r2(window(b.ln2, scene.inputs), 1), atol=1e-9)
    assert np.allclose(scene.outputs.values_shown(), r2(window(b.ffn_out, scene.outputs), 1), atol=1e-9)
    assert set(scene.out_rows) == set(scene.inputs.rows_shown)  # every row shown goes through the network


@pytest.mark.parametrize("size", [(854, 480), TALL])
def test_one_token_ends_on_gelu_before_and_after_with_a_key(monkeypatch, size):
    """GELU's effect stays in view (the hidden layer before and after it, a colour key), and the boxed units say
    what they are."""
    scene, t = run(monkeypatch, "default", size)
    b, i, net, end = t.block, t.tracked, scene.net, scene.ended["one-token"]
    assert {id(net.pre.cells), id(net.hidden.cells), id(scene.key), id(scene.key_top), *map(id, scene.top_boxes)} <= end
    drawn, expected = colours(net, b.ffn_post[i])
    assert drawn == expected
    words = [m.text_info.source for m in scene.key.family_members_with_points() if hasattr(m, "text_info")]
    assert words == ["negative", "0", "positive"]
    assert scene.key_top[1].text_info.source == "most active units"
    assert any("most active hidden units" in c and "largest values after GELU" in c for c in scene.captions)
    gelu = [m.text_info.source for m in scene.gelu_marks if hasattr(m, "text_info")]
    assert "after GELU" in gelu or {"GELU", "before", "after"} <= set(gelu)
    neg = [u for u in net.units_shown() if b.ffn_pre[i][u] < -0.5]  # squashed toward 0: the colour fades
    assert neg and all(abs(b.ffn_post[i][u]) < abs(b.ffn_pre[i][u]) for u in neg)


@pytest.mark.parametrize("name,size", [("default", (854, 480)), ("d32", (854, 480)), ("default", TALL),
                                       ("d32", TALL), ("default", SQUARE), ("d_ff 200", (854, 480))])
def test_the_hidden_layer_is_longer_than_the_input(monkeypatch, name, size):
    """d → d_ff widens: the hidden layer is drawn longer than the input vector, W₁ widens from one to the other."""
    scene, t = run(monkeypatch, name, size)
    net, hidden, n_in = scene.net, along(scene.net.hidden, scene), along(scene.in_vec.cells, scene)
    assert hidden > 1.25 * n_in
    v = net.shapes[0].get_vertices()  # W₁: its input side, then its hidden side
    a, b = (v[1][0] - v[0][0], v[2][0] - v[3][0]) if net.vertical else (v[0][1] - v[3][1], v[1][1] - v[2][1])
    assert a == pytest.approx(n_in, abs=1e-3) and b == pytest.approx(hidden, abs=1e-3)


@pytest.mark.parametrize("name", ["default", "d32", "d_ff 200"])
def test_the_true_sizes_are_said(monkeypatch, name):
    scene, t = run(monkeypatch, name)
    d, f = t.config.d_model, t.config.d_ff
    assert scene.header[1].source == f"one MLP, {d}\u00a0→\u00a0{f}\u00a0→\u00a0GELU\u00a0→\u00a0{d}, for every token"
    assert [lab[1].text_info.source for lab in scene.net.labels] == [f"{d}×{f}", f"{f}×{d}"]
    assert scene.heads[1].text_info.source == f"{f} hidden units"
    assert any(f"into {f} hidden numbers" in c for c in scene.captions)
    assert any(f"back to {d} numbers" in c for c in scene.captions)


def test_hidden_layer_window_keeps_the_strongest_units(monkeypatch):
    scene, t = run(monkeypatch, "d_ff 200")
    shown_units = scene.net.units_shown()
    assert len(shown_units) < t.config.d_ff and set(t.ffn_top_units) <= set(shown_units)


@pytest.mark.parametrize("name,size", [("default", (854, 480)), ("d32", (854, 480)), ("d32-max", (854, 480)),
                                       ("default", SQUARE), ("default", TALL)])
def test_matrices_are_readable_windowed_alike_and_clear_of_the_edges(monkeypatch, name, size):
    """The input keeps one column window in every beat, the same as the layernorm lesson's for the same settings;
    numbers READABLE where the rows allow it; the highlight boxes clear of the frame's sides."""
    from layernorm import LayerNormScene

    scene, t = run(monkeypatch, name, size)
    assert scene.m_in.col_window == scene.inputs.col_window and scene.m_in.row_window == scene.inputs.row_window
    d = t.config.d_model
    assert scene.mlp_note.source == f"the MLP reads all {d} numbers of each row" + (
        " (… = columns not shown)" if None in scene.inputs.col_window else "")
    assert scene.inputs.col_window[-1] is not None  # the last column stays in view: the box holds the "…"
    ln = dry_run(LayerNormScene, monkeypatch, CASES[name], size)
    assert ln.m_in.col_window == scene.inputs.col_window
    for m in (scene.m_in, scene.inputs):  # READABLE, or one less where rows are elided to keep them that big
        assert min(n.text_info.size for n in m.numbers) >= READABLE - (1.1 if None in m.row_window else 0) - 1e-6
    half = manim.config.frame_width / 2
    for box in (scene.focus, scene.in_box, scene.out_box):
        assert box.get_left()[0] >= -half + MARGIN + EDGE - 0.15 and box.get_right()[0] <= half - MARGIN - EDGE + 0.15


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
    drawn, expected = colours(scene.net2, t.block.ffn_post[last])
    assert drawn == expected
    assert abs(scene.in_box.get_y() - scene.inputs.row(last).get_y()) < 1e-6


@pytest.mark.parametrize("name", ["default", "max", "short", "1 head"])
def test_attention_contrast_draws_the_trace_weights(monkeypatch, name):
    from ffn import weight_width

    scene, t = run(monkeypatch, name)
    w, h = t.attn_mean, t.config.n_heads
    assert all(j <= i for i, j in scene.weight_pairs)  # causal: a token reads itself and earlier ones only
    assert len(scene.weight_pairs) == len(t.tokens) * (len(t.tokens) + 1) // 2
    for line, (i, j) in zip(scene.weight_lines, scene.weight_pairs):
        assert line.get_stroke_width() == pytest.approx(weight_width(w[i, j]))
        assert line.get_stroke_opacity() == pytest.approx(1.0 if i == t.tracked else 0.25)
    note = scene.attn_panel[0][1].source  # what the lines are: which weights, averaged how, trained or not
    assert note == f"width = attention weight ({'1 head' if h == 1 else f'mean over {h} heads'}, untrained)"


@pytest.mark.parametrize("size", [(854, 480), SQUARE])
def test_contrast_panels_share_their_rows(monkeypatch, size):
    scene, t = run(monkeypatch, "default", size)
    attn_rows = [m.get_y() for m in scene.attn_panel[1][:len(t.tokens)]]
    mlp_rows = [m.get_y() for m in scene.mlp_panel[1][:len(t.tokens)]]
    assert np.allclose(attn_rows, mlp_rows)  # side by side, token k on one line in both
    assert len(scene.attn_panel[0][0]) == len(scene.mlp_panel[0][0]) == 1  # headings on one line each


def test_tall_frame_flows_top_to_bottom(monkeypatch):
    scene, t = run(monkeypatch, "default", size=TALL)
    assert scene.net.vertical and scene.out_vec.get_y() < scene.net.get_y() < scene.in_vec.get_y()
    assert scene.outputs.cells.get_top()[1] < scene.inputs.cells.get_bottom()[1]
    assert np.allclose(scene.outputs.values_shown(), r2(window(t.block.ffn_out, scene.outputs), 1), atol=1e-9)


def test_narrow_frames_get_a_title_on_one_line(monkeypatch):
    for size, expected in (((854, 480), "FFN: each token on its own"), (SQUARE, "FFN: token by token"),
                           (TALL, "FFN: token by token")):
        scene, _ = run(monkeypatch, "default", size)
        assert len(scene.header[0]) == 1 and scene.header[0].source == expected
