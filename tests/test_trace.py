"""The trace the scenes read: config building, token choice, sweep values, determinism."""

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from blockmath import BlockConfig, InputError, build_config, compute_trace, layer_norm, resolve_token


def digest(trace):
    h = hashlib.sha256()
    for arr in (trace.block.x, trace.block.attn_weights, trace.block.out, trace.sweep.out, trace.layernorm.out,
                trace.params.w1, trace.block.ffn_post):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def test_same_sentence_and_seed_give_identical_arrays_in_a_fresh_process():
    cfg = BlockConfig(sentence="Residual streams keep the past.", seed=11)
    code = (
        "import sys; sys.path.insert(0, '.'); from test_trace import digest; "
        "from blockmath import BlockConfig, compute_trace; "
        "print(digest(compute_trace(BlockConfig(sentence='Residual streams keep the past.', seed=11))))"
    )
    env = {"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=Path(__file__).parent)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == digest(compute_trace(cfg))


def test_seed_changes_the_numbers():
    a = compute_trace(BlockConfig(seed=0))
    b = compute_trace(BlockConfig(seed=1))
    assert not np.allclose(a.block.x, b.block.x)


def test_build_config_from_values_and_environment():
    env = {"BLOCKMATH_SENTENCE": "Cats sleep a lot.", "BLOCKMATH_SEED": "5", "BLOCKMATH_TOKEN": "sleep"}
    cfg = build_config({"seed": "9"}, environ=env)
    assert cfg.sentence == "Cats sleep a lot." and cfg.seed == 9 and cfg.token == "sleep"
    assert build_config({}, environ={}) == BlockConfig()
    assert build_config({"lambdas": "0, 0.5 ,1.5"}, environ={}).lambdas == (0.0, 0.5, 1.5)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"seed": "abc"}, "seed must be an integer"),
        ({"seed": "-1"}, "seed must be an integer in"),
        ({"seed": str(2**40)}, "seed must be an integer in"),
        ({"d_model": "7", "n_heads": "2"}, "must be positive and divide"),
        ({"lambdas": "0 nan"}, "lambdas"),
        ({"lambdas": "0 9"}, "lambdas"),
        ({"lambdas": "one"}, "lambdas must be numbers"),
        ({"norm": "middle"}, "norm must be"),
    ],
)
def test_bad_config_values_are_refused(values, message):
    with pytest.raises(InputError, match=message):
        build_config(values, environ={})


def test_resolve_token():
    toks = ["The", "cat", "saw", "the", "dog"]
    assert resolve_token(toks, "the") == 0
    assert resolve_token(toks, "DOG") == 4
    assert resolve_token(toks, "3") == 3
    assert resolve_token(toks, "-1") == 4
    assert resolve_token(toks, "") == 4  # automatic: the last word
    assert resolve_token(["Was", "it", "?"], " ") == 1  # automatic: "it" when present
    assert resolve_token(["Dogs", "bark", "."], "") == 1  # a word, not the full stop
    with pytest.raises(InputError, match="not in the sentence"):
        resolve_token(toks, "bird")
    with pytest.raises(InputError, match="out of range"):
        resolve_token(toks, "5")


def test_default_trace_tracks_it():
    t = compute_trace(BlockConfig())
    assert t.tracked_token == "it" and len(t.tokens) == 11


def test_sweep():
    t = compute_trace(BlockConfig())
    s = t.sweep
    assert np.array_equal(s.h, t.block.h_attn[t.tracked]) and np.array_equal(s.delta, t.block.ffn_out[t.tracked])
    assert np.array_equal(s.out[s.index(0.0)], s.h)  # λ = 0: output is h, exactly
    assert np.allclose(s.out[s.index(1.0)], t.block.out[t.tracked])  # λ = 1: the block's own output
    assert np.allclose(s.out[s.index(2.0)], s.h + 2 * s.delta)
    assert s.lam[0] == 0.0 and s.lam[-1] == 2.0 and np.allclose(np.diff(s.lam), 0.01)
    assert s.cos_to_h[s.index(0.0)] == pytest.approx(1.0)
    assert s.cos_to_h[s.index(2.0)] < s.cos_to_h[s.index(1.0)] < 1.0
    assert s.replace_cos < s.cos_to_h[s.index(1.0)]  # replacing loses more of h than adding


def test_layernorm_steps():
    t = compute_trace(BlockConfig())
    ln, x = t.layernorm, t.block.x
    assert np.allclose(ln.out, layer_norm(x, t.params.ln1_gamma, t.params.ln1_beta), atol=1e-12)
    assert np.allclose(ln.out, t.block.ln1)  # pre-norm: what attention reads
    assert np.allclose(ln.centered.mean(axis=1), 0.0) and np.allclose(ln.normalized.std(axis=1), 1.0, atol=1e-4)


def test_ffn_top_units():
    t = compute_trace(BlockConfig())
    act = np.abs(t.block.ffn_post[t.tracked])
    assert act[t.ffn_top_units[0]] == act.max()
    assert list(act[list(t.ffn_top_units)]) == sorted(act[list(t.ffn_top_units)], reverse=True)


def test_placements_and_depth_views():
    t = compute_trace(BlockConfig())
    assert np.array_equal(t.placements["pre"].out, t.block.out)
    post = t.placements["post"]
    # post-norm: the stream itself is normalized after each add
    assert np.allclose(post.out, layer_norm(post.h_attn + post.ffn_out, t.params.ln2_gamma, t.params.ln2_beta))
    assert np.allclose(post.ln1, t.block.x) and not np.allclose(post.out, t.block.out)
    assert {c.label for c in t.depth} == {c.label for c in t.depth_near_zero}
    assert t.depth_near_zero[0].rel_change < t.depth[0].rel_change


def test_depth_post_over_pre_compares_the_top_layers():
    t = compute_trace(BlockConfig())
    pre, post = t.depth[0], t.depth[1]
    assert (pre.norm, pre.skip, post.norm, post.skip) == ("pre", True, "post", True)
    assert t.depth_post_over_pre == pytest.approx(post.weight_grad_norm[-1] / pre.weight_grad_norm[-1])


def test_sweep_step_ratio_against_a_hand_computation():
    """‖λΔ‖ / ‖h‖ per grid λ, checked with sums of squares written out by hand (no numpy norms)."""
    t = compute_trace(BlockConfig(lambdas=(0.0, -1.5, 3.0)))
    s = t.sweep
    h_len = sum(v * v for v in s.h) ** 0.5
    d_len = sum(v * v for v in s.delta) ** 0.5
    for lam in (-1.5, -0.37, 0.0, 1.0, 3.0):
        i = s.index(lam)
        step = [float(s.lam[i]) * v for v in s.delta]
        assert s.ratio[i] == pytest.approx(sum(v * v for v in step) ** 0.5 / h_len, rel=1e-12)
    assert s.ratio[s.index(0.0)] == 0.0
    assert s.ratio[s.index(1.0)] == pytest.approx(d_len / h_len, rel=1e-12)


@pytest.mark.parametrize("lambdas", [(0.0, -1.0), (2.5,), (-3.0, -2.0)])
def test_sweep_grid_always_holds_0_and_1(lambdas):
    """The identity (λ = 0) and the block's real step (λ = 1) are on every grid, whatever λ values were chosen."""
    s = compute_trace(BlockConfig(lambdas=lambdas)).sweep
    assert s.lam[0] == min(lambdas + (0.0,)) and s.lam[-1] == max(lambdas + (1.0,))
    for lam in (0.0, 1.0, *lambdas):
        assert s.lam[s.index(lam)] == pytest.approx(lam)
    assert np.array_equal(s.out[s.index(0.0)], s.h) and np.allclose(s.out[s.index(1.0)], s.h + s.delta)


def test_layer_norm_steps_hand_example():
    from blockmath.core import layer_norm_steps

    x = np.array([[1.0, 2.0, 3.0, 6.0], [-2.0, -2.0, 2.0, 2.0]])  # means 3 and 0; variances 3.5 and 4
    gamma, beta = np.array([1.0, 2.0, 1.0, 0.5]), np.array([0.0, 0.0, 1.0, -1.0])
    s = layer_norm_steps(x, gamma, beta)
    sd = np.sqrt(np.array([3.5, 4.0]) + 1e-5)
    assert np.allclose(s.mean, [3.0, 0.0]) and np.allclose(s.std, sd)
    assert np.allclose(s.centered, [[-2, -1, 0, 3], [-2, -2, 2, 2]])
    assert np.allclose(s.normalized[1], [-2 / sd[1], -2 / sd[1], 2 / sd[1], 2 / sd[1]])
    assert np.allclose(s.out[0], [-2 / sd[0], -2 / sd[0], 1.0, 0.5 * 3 / sd[0] - 1.0])
    assert s.input is x


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_ln1_steps_are_what_the_block_normalizes(norm):
    t = compute_trace(BlockConfig(norm=norm))
    s, b = t.ln1_steps, t.block
    if norm == "pre":  # LN₁ reads x; its output is what attention reads
        assert s is t.layernorm and np.array_equal(s.input, b.x) and np.allclose(s.out, b.ln1)
    else:  # LN₁ reads x + Δattn; its output is h (what the MLP reads)
        assert np.allclose(s.input, b.x + b.attn_out) and np.allclose(s.out, b.h_attn)
        assert np.allclose(s.out, b.ln2) and not np.allclose(s.out, t.layernorm.out)
    assert np.allclose(s.mean, s.input.mean(axis=1)) and np.allclose(s.normalized.std(axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_attention_parts_are_this_blocks_attention(norm):
    t = compute_trace(BlockConfig(d_model=32, n_heads=4, norm=norm))
    a = t.attn_parts
    assert np.allclose(a.out, t.block.attn_out, atol=1e-12)
    assert np.array_equal(a.weights, t.block.attn_weights)
    assert np.allclose(a.values, (t.block.ln1 @ t.params.wv).reshape(-1, 4, 8).transpose(1, 0, 2))
    assert np.allclose(a.weighted.sum(axis=2), a.mixes)
    assert np.all(a.weighted[:, np.triu_indices(len(t.tokens), 1)[0], np.triu_indices(len(t.tokens), 1)[1]] == 0)
