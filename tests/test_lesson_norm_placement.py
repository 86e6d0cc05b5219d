"""The norm-placement lesson shows the core's numbers (dry runs: nothing is drawn or encoded).

The table follows the tracked token's stream through a pre-norm and a post-norm block on the same input: every
number shown (in the window of dimensions shown) and every spread σ is compared with values computed here from the
two blocks' tensors; the σ values the captions quote must be the ones in the table."""

import re

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace  # noqa: E402

CASES = {**SENTENCES, "d32": {"BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"}}


def spread(v):
    """Population standard deviation, by hand."""
    v = np.asarray(v, dtype=float)
    return float(np.sqrt(((v - v.sum() / len(v)) ** 2).sum() / len(v)))


def expected(t, norm: str, label: str):
    b, i = t.placements[norm], t.tracked
    return {"x": b.x, "h = x + Δattn": b.h_attn, "out = h + Δmlp": b.out, "x + Δattn": b.x + b.attn_out,
            "h = LN₁(x + Δattn)": b.h_attn, "h + Δmlp": b.h_attn + b.ffn_out,
            "out = LN₂(h + Δmlp)": b.out}[label][i]


@pytest.mark.parametrize("name", ["default", "short", "max", "d32"])
def test_norm_placement_scene_shows_the_trace(monkeypatch, name):
    import kit.base
    from norm_placement import NormPlacementScene

    said = []
    orig = kit.base.TraceScene.swap_caption
    monkeypatch.setattr(kit.base.TraceScene, "swap_caption",
                        lambda self, s, *a, **k: (said.append(s), orig(self, s, *a, **k))[1])
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
