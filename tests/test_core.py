"""The core against an independent loop implementation, hand-derived values and invariants."""

import math

import numpy as np
import pytest

import reference as ref
from blockmath import (
    attention,
    attention_parts,
    attention_weights,
    block,
    embed,
    ffn,
    ffn_hidden,
    gelu,
    init_params,
    layer_norm,
    residual,
)

TOL = 1e-9


@pytest.fixture
def x():
    return embed(["The", "animal", "didn't", "cross", "it", "."], 8, 0)


@pytest.fixture
def params():
    return init_params(8, 32, 2, seed=0)


def test_layer_norm_hand_example():
    # row [1, 2, 3, 4]: mean 2.5, biased variance 1.25
    out = layer_norm(np.array([[1.0, 2.0, 3.0, 4.0]]), np.ones(4), np.zeros(4))
    expected = (np.array([1, 2, 3, 4]) - 2.5) / math.sqrt(1.25 + 1e-5)
    assert np.allclose(out[0], expected, atol=TOL)


def test_layer_norm_matches_reference(x, params):
    out = layer_norm(x, params.ln1_gamma, params.ln1_beta)
    assert np.allclose(out, ref.layer_norm(x.tolist(), params.ln1_gamma, params.ln1_beta), atol=TOL, rtol=0)


def test_layer_norm_rows_mean_zero_var_one(x):
    out = layer_norm(x * 7.0 + 3.0, np.ones(8), np.zeros(8))
    assert np.allclose(out.mean(axis=1), 0.0, atol=TOL)
    assert np.allclose(out.var(axis=1), 1.0, atol=1e-5)


def test_layer_norm_rows_never_mix(x, params):
    before = layer_norm(x, params.ln1_gamma, params.ln1_beta)
    y = x.copy()
    y[2] *= 10.0
    y[2] += 5.0
    after = layer_norm(y, params.ln1_gamma, params.ln1_beta)
    assert np.allclose(np.delete(after, 2, axis=0), np.delete(before, 2, axis=0), atol=0)
    # scaling and shifting one row leaves its own normalized output (almost) unchanged: LN tidies scale
    assert np.allclose(after[2], before[2], atol=1e-5)


def test_gelu_known_values():
    # tanh-approximate GELU: 0 -> 0, large -> identity, large negative -> 0, 1 -> 0.8411920 (GPT-2 formula)
    assert gelu(np.array(0.0)) == 0.0
    assert abs(gelu(np.array(1.0)) - 0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * 1.044715))) < TOL
    assert abs(gelu(np.array(1.0)) - 0.841192) < 1e-6
    assert abs(gelu(np.array(10.0)) - 10.0) < 1e-9
    assert abs(gelu(np.array(-10.0))) < 1e-9
    v = np.linspace(-4, 4, 41)
    assert np.allclose(gelu(v), [ref.gelu(t) for t in v], atol=TOL)


def test_ffn_matches_reference_and_exposes_hidden(x, params):
    p = params
    out = ffn(x, p.w1, p.b1, p.w2, p.b2)
    assert out.shape == (6, 8)
    assert np.allclose(out, ref.ffn(x.tolist(), p.w1.tolist(), p.b1, p.w2.tolist(), p.b2), atol=TOL, rtol=0)
    pre, post = ffn_hidden(x, p.w1, p.b1)
    assert pre.shape == post.shape == (6, 32)
    assert np.allclose(post @ p.w2 + p.b2, out, atol=TOL)


def test_ffn_is_permutation_equivariant(x, params):
    p = params
    perm = np.array([3, 0, 5, 1, 4, 2])
    assert np.allclose(ffn(x[perm], p.w1, p.b1, p.w2, p.b2), ffn(x, p.w1, p.b1, p.w2, p.b2)[perm], atol=TOL)


def test_ffn_token_sees_only_itself(x, params):
    p = params
    y = x.copy()
    y[4] = 99.0
    a, b = ffn(x, p.w1, p.b1, p.w2, p.b2), ffn(y, p.w1, p.b1, p.w2, p.b2)
    assert np.array_equal(np.delete(a, 4, 0), np.delete(b, 4, 0))
    assert not np.allclose(a[4], b[4])


def test_attention_matches_reference(x, params):
    p = params
    out = attention(x, p.wq, p.wk, p.wv, p.wo, 2)
    ref_out, ref_w = ref.attention(x.tolist(), p.wq.tolist(), p.wk.tolist(), p.wv.tolist(), p.wo.tolist(), 2)
    assert np.allclose(out, ref_out, atol=TOL, rtol=0)
    assert np.allclose(attention_weights(x, p.wq, p.wk, 2), ref_w, atol=TOL, rtol=0)


@pytest.mark.parametrize("n_heads", [1, 2, 4, 8])
def test_attention_parts_match_reference(x, n_heads):
    p = init_params(8, 32, n_heads, seed=3)
    parts = attention_parts(x, p.wq, p.wk, p.wv, p.wo, n_heads)
    values, weighted, mixes, joined, out = ref.attention_parts(x.tolist(), p.wq.tolist(), p.wk.tolist(),
                                                               p.wv.tolist(), p.wo.tolist(), n_heads)
    dh = 8 // n_heads
    assert parts.values.shape == (n_heads, 6, dh) and parts.mixes.shape == (n_heads, 6, dh)
    assert parts.weighted.shape == (n_heads, 6, 6, dh) and parts.joined.shape == (6, 8)
    for got, want in ((parts.values, values), (parts.weighted, weighted), (parts.mixes, mixes),
                      (parts.joined, joined), (parts.out, out)):
        assert np.allclose(got, want, atol=TOL, rtol=0)
    assert np.allclose(parts.out, attention(x, p.wq, p.wk, p.wv, p.wo, n_heads), atol=TOL, rtol=0)
    assert np.array_equal(parts.weights, attention_weights(x, p.wq, p.wk, n_heads))


def test_attention_parts_hand_example():
    """One head, d = 2, identity projections: values are x; token 1 reads token 0 and itself by softmax."""
    x = np.array([[1.0, 0.0], [0.0, 2.0]])
    eye = np.eye(2)
    parts = attention_parts(x, eye, eye, eye, eye, 1)
    s = np.array([x[1] @ x[0], x[1] @ x[1]]) / math.sqrt(2)  # token 1's scores: 0 and 4 / sqrt(2)
    w = np.exp(s) / np.exp(s).sum()
    assert np.allclose(parts.values[0], x)
    assert np.allclose(parts.weighted[0, 0], [[1.0, 0.0], [0.0, 0.0]])  # token 0 reads only itself
    assert np.allclose(parts.weighted[0, 1], [w[0] * x[0], w[1] * x[1]])
    assert np.allclose(parts.mixes[0, 1], w[0] * x[0] + w[1] * x[1])
    assert np.allclose(parts.out, parts.joined) and np.allclose(parts.joined, parts.mixes[0])


def test_attention_rows_sum_to_one_and_respect_causal_mask(x, params):
    w = attention_weights(x, params.wq, params.wk, 2)
    assert w.shape == (2, 6, 6)
    assert np.allclose(w.sum(axis=-1), 1.0, atol=TOL)
    assert np.all(w[:, np.triu_indices(6, k=1)[0], np.triu_indices(6, k=1)[1]] == 0.0)
    assert np.all(w[:, np.tril_indices(6)[0], np.tril_indices(6)[1]] > 0.0)
    full = attention_weights(x, params.wq, params.wk, 2, causal=False)
    assert np.all(full > 0.0) and np.allclose(full.sum(axis=-1), 1.0)


def test_attention_past_never_reads_future(x, params):
    p = params
    y = x.copy()
    y[5] += 3.0
    a = attention(x, p.wq, p.wk, p.wv, p.wo, 2)
    b = attention(y, p.wq, p.wk, p.wv, p.wo, 2)
    assert np.allclose(a[:5], b[:5], atol=TOL)
    assert not np.allclose(a[5], b[5])


def test_residual():
    h, delta = np.array([[1.0, -2.0]]), np.array([[0.5, 4.0]])
    assert np.array_equal(residual(h, delta, 0.0), h)  # λ = 0 is the identity
    assert np.allclose(residual(h, delta, 1.0), [[1.5, 2.0]])
    assert np.allclose(residual(h, delta, 2.0), [[2.0, 6.0]])


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_block_matches_reference(x, params, norm):
    t = block(x, params, norm)
    assert np.allclose(t.out, ref.block(x.tolist(), params, norm), atol=TOL, rtol=0)


def test_block_trace_is_consistent(x, params):
    p, t = params, block(x, params, "pre")
    assert np.array_equal(t.x, x)
    assert np.allclose(t.ln1, layer_norm(x, p.ln1_gamma, p.ln1_beta))
    assert np.allclose(t.h_attn, x + t.attn_out)
    assert np.allclose(t.attn_out, attention(t.ln1, p.wq, p.wk, p.wv, p.wo, 2))
    assert np.allclose(t.ln2, layer_norm(t.h_attn, p.ln2_gamma, p.ln2_beta))
    assert np.allclose(t.ffn_post, gelu(t.ffn_pre))
    assert np.allclose(t.out, t.h_attn + t.ffn_out)
    assert t.attn_weights.shape == (2, 6, 6) and t.ffn_pre.shape == (6, 32)


def test_block_rejects_unknown_norm(x, params):
    with pytest.raises(ValueError):
        block(x, params, "middle")


def test_block_zero_branches_is_identity(x):
    p = init_params(8, 32, 2, seed=0, branch_scale=0.0)
    assert np.allclose(block(x, p, "pre").out, x, atol=TOL)


def test_values_are_legible(x, params):
    t = block(x, params)
    for arr in (t.x, t.ln1, t.attn_out, t.h_attn, t.ffn_out, t.out):
        assert np.mean(np.abs(arr) <= 3.0) > 0.9


def test_embedding_depends_on_token_seed_and_position():
    a = embed(["it", "it"], 8, 0)
    assert not np.allclose(a[0], a[1])  # positions differ
    assert np.allclose(embed(["cat", "it"], 8, 0)[1], a[1])  # the neighbour does not matter
    assert not np.allclose(embed(["it"], 8, 1), embed(["it"], 8, 0))
