"""The block lesson shows the core's numbers, and what it shows is true for the norm placement rendered.

Dry runs (nothing is drawn or encoded). Every row of numbers on the two cards (the stream's vector and the copy that
goes through the branch) is compared with the trace, rounded as drawn and in the window of dimensions shown; the
expected values are computed here from the block's own tensors (LayerNorm by hand), not read from the journey."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace  # noqa: E402

STEPS = {"− μ": "centered", "÷ σ": "normalized", "× γ + β": "out"}
CASES = {**SENTENCES, "post": {"BLOCKMATH_NORM": "post"},
         "post-long": {**SENTENCES["max"], "BLOCKMATH_NORM": "post", "BLOCKMATH_D_MODEL": "16"},
         "d32": {"BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"},
         "learn": {"BLOCKMATH_SENTENCE": "Small models learn quickly when the data is clean.",
                   "BLOCKMATH_TOKEN": "learn"}}


def ln_steps(v, gamma, beta):
    """LayerNorm of one vector, step by step (by hand: biased variance, eps 1e-5)."""
    c = v - v.mean()
    n = c / np.sqrt((c**2).mean() + 1e-5)
    return {"centered": c, "normalized": n, "out": gamma * n + beta}


def expected_rows(t, beat: str):
    """What each row label means in this beat, for the tracked token (full vectors)."""
    b, p, i = t.block, t.params, t.tracked
    pre = t.config.norm == "pre"
    x, a, h, m, out = b.x[i], b.attn_out[i], b.h_attn[i], b.ffn_out[i], b.out[i]
    s1, s2 = x + a, h + m
    first = beat in ("attention", "add-attention", "ln1") if not pre else beat in ("ln1", "attention", "add-attention")
    ln = ln_steps(x if pre else s1, p.ln1_gamma, p.ln1_beta) if first else \
        ln_steps(h if pre else s2, p.ln2_gamma, p.ln2_beta)
    rows = {"x": x, "+ Δattn": a, "Δattn": a, "h": h, "+ Δmlp": m, "Δmlp": m, "= h": h, "= out": out, "out": out,
            "LN₁(x)": ln["out"], "LN₂(h)": ln["out"], "x + Δattn": s1, "h + Δmlp": s2, "=": s1 if first else s2}
    rows.update({k: ln[v] for k, v in STEPS.items()})
    return rows


def check_snaps(scene, t):
    """Every recorded row equals the trace rounded to 2 places in the columns shown; returns how many rows."""
    count = 0
    for beat, _, cols, rows in scene.snaps:
        expected = expected_rows(t, beat)
        for label, values in rows:
            want = np.round(expected[label][cols], 2)
            assert np.allclose(values, want, atol=1e-9), (beat, label, values, want)
            count += 1
    return count


@pytest.mark.parametrize("name", ["default", "short", "max", "post", "post-long", "d32", "learn"])
def test_block_scene_shows_the_trace(monkeypatch, name):
    from block import BlockScene

    env = CASES[name]
    scene, t = dry_run(BlockScene, monkeypatch, env), expected_trace(env)
    assert check_snaps(scene, t) >= 20
    beats = {b for b, *_ in scene.snaps}
    assert {"ride", "attention", "mlp", "add-attention", "add-mlp", "ln1", "ln2", "read-out"} <= beats
    rows, weights = scene.weights_shown  # attention's weights for the tracked token, mean over heads
    assert np.allclose(weights, np.round(t.block.attn_weights.mean(axis=0)[t.tracked][rows], 2), atol=1e-9)
    assert rows[-1] == t.tracked and all(r <= t.tracked for r in rows)  # causal: only earlier tokens


def captions(monkeypatch):
    import kit.base

    said = []
    orig = kit.base.TraceScene.swap_caption

    def record(self, s, *a, **k):
        said.append(s)
        return orig(self, s, *a, **k)

    monkeypatch.setattr(kit.base.TraceScene, "swap_caption", record)
    return said


def texts(mob) -> list[str]:
    return [m.text_info.source for m in mob.get_family() if getattr(m, "text_info", None) is not None]


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_block_is_true_for_its_norm(monkeypatch, norm):
    """Title, formulas, diagram and captions follow the norm; the displayed numbers re-add under the displayed
    formula: h = x + Δattn column by column and out = x + Δattn + Δmlp for pre-norm; for post-norm the stream shows
    x + Δattn, then LN₁ of it, and out is LN₂(h + Δmlp), which is not x plus the two updates."""
    from block import BlockScene

    from kit.names import names

    said = captions(monkeypatch)
    env = {"BLOCKMATH_NORM": norm}
    scene, t = dry_run(BlockScene, monkeypatch, env), expected_trace(env)
    n = names(norm)
    head = texts(scene.header)
    assert any(f"{norm}-norm block" in s for s in head) and any(n.attn_step in s and n.mlp_step in s for s in head)
    other = names("post" if norm == "pre" else "pre")
    assert not any(other.attn_step in s or other.block in s for s in head)
    boxes = scene.diagram.boxes  # where the LN boxes sit: on the branches (pre) or on the stream (post)
    on_stream = [abs(boxes[k].get_center()[1] - scene.diagram.stream_y()) < 1e-6 for k in ("ln1", "ln2")]
    assert on_stream == ([False, False] if norm == "pre" else [True, True])
    adds = [rows for beat, card, _, rows in scene.snaps if card == "stream" and beat.startswith("add-")]
    for rows in adds:  # every ⊕ on screen: the displayed last row is the displayed rows above it, added
        *terms, (label, total) = rows
        assert label.startswith("=")
        assert np.allclose(np.sum([v for _, v in terms], axis=0), total, atol=0.005 * len(terms) + 1e-9)
    final = scene.snaps[-1][3]
    labels = [label for label, _ in final]
    if norm == "pre":
        assert labels == ["x", "+ Δattn", "+ Δmlp", "= out"]
        assert any("out = x + Δattn + Δmlp" in s for s in said)
        assert not any("LN₁, then LN₂" in s or "not x plus" in s for s in said)
    else:
        assert labels == ["h + Δmlp", "out"]
        assert any("not x plus two updates" in s for s in said)
        assert not any("x + Δattn + Δmlp" in s for s in said)
        b, i, cols = t.block, t.tracked, scene.card.geo.shown
        two_updates = np.round((b.x[i] + b.attn_out[i] + b.ffn_out[i])[cols], 2)
        assert np.abs(np.array(final[1][1]) - two_updates).max() > 0.05  # the claim holds for what is shown
        ln = ln_steps(np.array(b.h_attn[i] + b.ffn_out[i]), t.params.ln2_gamma, t.params.ln2_beta)["out"]
        assert np.allclose(final[1][1], np.round(ln[cols], 2), atol=1e-9)  # out = LN₂ of the sum shown above it
