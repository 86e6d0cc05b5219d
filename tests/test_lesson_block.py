"""The block lesson shows the core's numbers, and what it shows is true for the norm placement rendered.

Dry runs (nothing is drawn or encoded). Every row of numbers on the two cards (the stream's vector and the copy that
goes through the branch) is compared with the trace, rounded as drawn and in the window of dimensions shown; the
expected values are computed here from the block's own tensors (LayerNorm by hand), not read from the journey."""

import re

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, captions, dry_run, expected_trace, overflowing_captions  # noqa: E402

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
            "LN₁(x)": ln["out"], "LN₂(h)": ln["out"], "x + Δattn": s1, "h + Δmlp": s2, "= x + Δattn": s1,
            "= h + Δmlp": s2, "= sum": x + a + m}
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


def texts(mob) -> list[str]:
    return [m.text_info.source for m in mob.get_family() if getattr(m, "text_info", None) is not None]


def beats_of(monkeypatch, scene_cls):
    """Record, per beat, the scene's plays and waits in order ("play" or ("wait", seconds))."""
    calls = {}
    orig_beat, orig_play, orig_wait = scene_cls.beat, scene_cls.play, scene_cls.wait

    def beat(self, name):
        calls[name] = []
        return orig_beat(self, name)

    def play(self, *a, **k):
        if calls and not (len(a) == 1 and isinstance(a[0], manim.Wait)):  # (wait plays a Wait)
            calls[list(calls)[-1]].append("play")
        return orig_play(self, *a, **k)

    def wait(self, duration=1.0, *a, **k):
        if calls:
            calls[list(calls)[-1]].append(("wait", duration))
        return orig_wait(self, duration, *a, **k)

    monkeypatch.setattr(scene_cls, "beat", beat)
    monkeypatch.setattr(scene_cls, "play", play)
    monkeypatch.setattr(scene_cls, "wait", wait)
    return calls


def assert_slides(calls):
    """Every beat is a slide that ends on a still picture: its last call holds the screen (no fade runs into the
    beat's last frame), and what it leaves is cleared by the next beat, not at its own end."""
    for name, seq in calls.items():
        assert seq and seq[-1] != "play" and seq[-1][1] >= 0.5, (name, seq[-3:])


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_block_is_true_for_its_norm(monkeypatch, norm):
    """Title, formulas, diagram and captions follow the norm; the displayed numbers re-add under the displayed
    formula: h = x + Δattn column by column and out = x + Δattn + Δmlp for pre-norm; for post-norm the stream shows
    x + Δattn, then LN₁ of it, and out is LN₂(h + Δmlp), which is not x plus the two updates (shown side by side)."""
    from block import BlockScene

    from kit.names import names

    said = captions(monkeypatch)
    calls = beats_of(monkeypatch, BlockScene)
    env = {"BLOCKMATH_NORM": norm}
    scene, t = dry_run(BlockScene, monkeypatch, env), expected_trace(env)
    assert_slides(calls)
    n = names(norm)
    head = texts(scene.header)
    assert any(f"{norm}-norm block" in s for s in head) and any(n.attn_step in s and n.mlp_step in s for s in head)
    other = names("post" if norm == "pre" else "pre")
    assert not any(other.attn_step in s or other.block in s for s in head)
    boxes = scene.diagram.boxes  # where the LN boxes sit: on the branches (pre) or on the stream (post)
    on_stream = [abs(boxes[k].get_center()[1] - scene.diagram.stream_y()) < 1e-6 for k in ("ln1", "ln2")]
    assert on_stream == ([False, False] if norm == "pre" else [True, True])
    adds = [rows for beat, card, _, rows in scene.snaps if card == "stream" and beat.startswith("add-")]
    for rows in adds:  # every ⊕ on screen: the displayed last row is the displayed rows above it, added, and named
        *terms, (label, total) = rows
        assert label.startswith("= ") and len(label) > 2
        assert np.allclose(np.sum([v for _, v in terms], axis=0), total, atol=0.005 * len(terms) + 1e-9)
    labels = {beat: [lab for lab, _ in rows] for beat, card, _, rows in scene.snaps if card == "stream"}
    b, i, cols = t.block, t.tracked, scene.card.geo.shown
    final = scene.snaps[-1][3]
    drawn = dict(final)
    x_row = np.round(b.x[i][cols], 2)
    assert np.allclose(drawn["x"], x_row, atol=1e-9)  # x is on the last slide: the input, read against out
    if norm == "pre":
        assert labels["ln2"] == labels["mlp"] == ["x", "+ Δattn", "= h"]  # LN₂(h) with h beside it
        assert labels["add-mlp"] == ["h", "+ Δmlp", "= out"]  # out = h + Δmlp, with an h row
        assert [lab for lab, _ in final] == ["x", "+ Δattn", "+ Δmlp", "= out"]
        assert any("out = x + Δattn + Δmlp" in s for s in said)
        assert not any("LN₁, then LN₂" in s or "not x plus" in s for s in said)
        assert not any("near zero" in s or "almost unchanged" in s for s in said)  # nothing on screen says so
        assert "x is still there, inside out" in said[-1]  # the last claim: the x row is in out, column by column
    else:
        assert labels["add-attention"][-1] == "= x + Δattn" and labels["add-mlp"][-1] == "= h + Δmlp"
        assert labels["ln1"] == ["x + Δattn", "h"] and labels["ln2"] == ["h + Δmlp", "out"]  # before and after LN
        assert [lab for lab, _ in final] == ["x", "+ Δattn", "+ Δmlp", "= sum", "out"]
        assert any("not x plus two updates" in s for s in said)
        assert not any("x + Δattn + Δmlp" in s for s in said)
        assert not any("Pre-norm" in s or "GPT-2" in s or "direct path" in s for s in said)  # a post-norm ending
        direct = b.x[i] + b.attn_out[i] + b.ffn_out[i]  # by hand
        assert np.allclose(drawn["= sum"], np.round(direct[cols], 2), atol=1e-9)
        assert np.abs(np.array(drawn["out"]) - drawn["= sum"]).max() > 0.05  # the claim holds for what is shown
        ln = ln_steps(np.array(b.h_attn[i] + b.ffn_out[i]), t.params.ln2_gamma, t.params.ln2_beta)["out"]
        assert np.allclose(drawn["out"], np.round(ln[cols], 2), atol=1e-9)  # out = LN₂ of h + Δmlp
    column = next(s for s in said if s.startswith("This column: "))  # one column read out, numbers as drawn
    m = re.match(r"This column: (.+?) ([=≈]) (−?\d+\.\d\d)", column)
    terms = [float(v) for v in m.group(1).replace("− ", "-").replace("+ ", "").replace("−", "-").split()]
    total = float(m.group(3).replace("−", "-"))
    rows = [np.array(v) for _, v in final]
    k = [j for j in range(len(cols)) if np.allclose(terms, [r[j] for r in rows[:3]]) and np.isclose(total, rows[3][j])]
    assert len(terms) == 3 and k, column
    assert (m.group(2) == "=") == bool(np.isclose(round(sum(terms), 2), total))
    if norm == "post":
        assert f"but out = {rows[4][k[0]]:.2f}".replace("-", "−") in column


def test_block_captions_fit_a_square_frame(monkeypatch):
    """No caption needs more lines than the caption zone keeps free (3 in a square frame), for either norm."""
    from block import BlockScene

    envs = [{"BLOCKMATH_NORM": norm, **SENTENCES["max"]} for norm in ("pre", "post")]
    shown, over = overflowing_captions(monkeypatch, BlockScene, envs, (480, 480))
    assert shown and not over, over
