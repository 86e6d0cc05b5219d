"""The norm-placement lesson shows the core's numbers (dry runs: nothing is drawn or encoded).

The table follows the tracked token's stream through a pre-norm and a post-norm block on the same input: every
number shown (in the window of dimensions shown) and every spread σ is compared with values computed here from the
two blocks' tensors; the σ values the captions quote must be the ones in the table."""

import re

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, captions, dry_run, expected_trace, overflowing_captions  # noqa: E402

CASES = {**SENTENCES, "d32": {"BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"}}


def spread(v):
    """Population standard deviation, by hand."""
    v = np.asarray(v, dtype=float)
    return float(np.sqrt(((v - v.sum() / len(v)) ** 2).sum() / len(v)))


def expected(t, norm: str, label: str):
    b, i = t.placements[norm], t.tracked
    return {"x": b.x, "h = x + Δattn": b.h_attn, "out = h + Δmlp": b.out, "x + Δattn": b.x + b.attn_out,
            "h = LN₁(x + Δattn)": b.h_attn, "h + Δmlp": b.h_attn + b.ffn_out,
            "out = LN₂(h + Δmlp)": b.out, "h": b.h_attn, "out": b.out}[label][i]


@pytest.mark.parametrize("name", ["default", "short", "max", "d32"])
def test_norm_placement_scene_shows_the_trace(monkeypatch, name):
    from norm_placement import NormPlacementScene

    said = captions(monkeypatch)
    env = CASES[name]
    scene, t = dry_run(NormPlacementScene, monkeypatch, env), expected_trace(env)
    seen = set()
    for norm, label, cols, values, sigma in scene.snaps:
        want = expected(t, norm, label)
        assert np.allclose(values, np.round(want[cols], 2), atol=1e-9), (norm, label)
        assert sigma == round(spread(want), 2), (norm, label)  # σ over every dimension, not only those shown
        seen.add((norm, label))
    assert seen == {("pre", "x"), ("pre", "h = x + Δattn"), ("pre", "out = h + Δmlp"), ("post", "x"),
                    ("post", "x + Δattn"), ("post", "h = LN₁(x + Δattn)"), ("post", "h + Δmlp"),
                    ("post", "out = LN₂(h + Δmlp)")}
    shown_sigma = {(n, lab): s for n, lab, _, _, s in scene.snaps}
    quoted = [float(v) for s in said if "σ" in s for v in re.findall(r"-?\d+\.\d\d", s)]
    assert quoted and set(quoted) <= set(shown_sigma.values())  # every σ a caption quotes is in the table
    last = {(n, lab) for n, lab, *_ in scene.snaps[-8:]}  # the last look: every row at once, sums beside their LN
    assert len(last) == 8 and last == seen
    for s in said:  # what a LayerNorm did, in words that follow the numbers it quotes
        m = re.search(r"normalizes the stream itself: σ.(\d+\.\d\d).→.(\d+\.\d\d)", s)
        if m:
            before, after = float(m.group(1)), float(m.group(2))
            assert ("close to 1 already" in s) == (abs(after - 1) <= 0.2 and abs(before - after) < 0.1)
            assert ("a spread near 1" in s) == (abs(after - 1) <= 0.2 and abs(before - after) >= 0.1)
    assert any("updates differ" in s for s in said)  # Δattn, Δmlp are not the same vectors in the two halves
    assert np.abs(t.placements["pre"].attn_out - t.placements["post"].attn_out).max() > 0.01


def test_norm_placement_diagrams_put_ln_where_each_norm_does(monkeypatch):
    from norm_placement import NormPlacementScene

    from kit.names import names

    scene = dry_run(NormPlacementScene, monkeypatch, {})
    for norm in ("pre", "post"):
        d = scene.diagram[norm]
        on_stream = [abs(d.boxes[k].get_center()[1] - d.stream_y()) < 1e-6 for k in ("ln1", "ln2")]
        assert on_stream == ([False, False] if norm == "pre" else [True, True])
        shown = [m.text_info.source for m in scene.formulas[norm]]
        assert shown == [names(norm).attn_step, names(norm).mlp_step]


@pytest.mark.parametrize("name", ["default", "d32"])
def test_norm_placement_takeaway_shows_the_gradients(monkeypatch, name):
    """The takeaway's claim is shown: each layer's ‖∂loss/∂W‖ at initialization for residual + pre-norm and residual
    + post-norm (trace.depth), read back from the curves drawn; the captions quote the last layer's values (written
    on screen) and their ratio, say post-norm's is the larger near the output when it is, and name the warm-up."""
    from norm_placement import NormPlacementScene
    from test_lesson_block import assert_slides, beats_of
    from test_lesson_depth import read_back

    said = captions(monkeypatch)
    calls = beats_of(monkeypatch, NormPlacementScene)
    env = CASES[name]
    scene, t = dry_run(NormPlacementScene, monkeypatch, env), expected_trace(env)
    assert_slides(calls)
    pre, post = (next(c for c in t.depth if c.norm == k and c.skip) for k in ("pre", "post"))
    plot = scene.plot
    for curve, want in zip(plot.curves, (pre.weight_grad_norm, post.weight_grad_norm)):
        layers, values = read_back(plot, curve)  # read through the axes' tick labels
        assert np.allclose(layers, np.arange(len(want)), atol=1e-6) and np.allclose(values, want, rtol=1e-6)
    ends = [e[1].text_info.source for e in plot.ends]  # the last layer's values, written at the curves' ends
    a, b = f"{post.weight_grad_norm[-1]:.2f}", f"{pre.weight_grad_norm[-1]:.2f}"
    assert ends == [b, a]
    ratio = post.weight_grad_norm[-1] / pre.weight_grad_norm[-1]
    assert ratio > 1.5  # these settings: post-norm's weight gradient near the output is the larger
    claim = next(s for s in said if "Near the output" in s)
    assert f"{ratio:.1f}×" in claim and a in claim and b in claim
    assert any("warm-up" in s for s in said[said.index(claim):])
    assert "pre-norm" in said[-1] and "GPT-2" in said[-1]


def test_norm_placement_captions_fit_a_square_frame(monkeypatch):
    """No caption needs more lines than the caption zone keeps free (3 in a square frame)."""
    from norm_placement import NormPlacementScene

    shown, over = overflowing_captions(monkeypatch, NormPlacementScene, [SENTENCES["max"]], (480, 480))
    assert shown and not over, over


def test_norm_placement_square_table_keeps_columns_readable(monkeypatch):
    """In a square frame the row labels shrink to the tensors' names, so that at least four columns of numbers are
    shown; the numbers and σ are still the trace's."""
    from norm_placement import NormPlacementScene

    scene = dry_run(NormPlacementScene, monkeypatch, {}, size=(480, 480))
    t = expected_trace({})
    assert len(scene.geo.shown) >= 4 and scene.geo.number_size >= 18
    for norm, label, cols, values, sigma in scene.snaps:
        want = expected(t, norm, label)
        assert np.allclose(values, np.round(want[cols], 2), atol=1e-9) and sigma == round(spread(want), 2)
