"""Backprop checked by finite differences; the deep-stack analysis tells the residual story."""

import numpy as np
import pytest

from blockmath import attention, block, depth_analysis, embed, ffn, init_params, layer_norm
from blockmath.depth import attention_vjp, block_vjp, ffn_vjp, layer_norm_vjp

X = embed(["a", "small", "test", "sentence", "."], 8, 3)
P = init_params(8, 32, 2, seed=3)
DY = np.random.default_rng(7).standard_normal(X.shape)


def numeric_grad(f, x, dy, eps=1e-6):
    """Central differences of sum(dy * f(x)) with respect to every entry of x."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        g[idx] = (np.sum(dy * f(xp)) - np.sum(dy * f(xm))) / (2 * eps)
    return g


def check(analytic, f):
    numeric = numeric_grad(f, X, DY)
    assert np.allclose(analytic, numeric, rtol=1e-5, atol=1e-7), np.abs(analytic - numeric).max()


def test_layer_norm_vjp():
    check(layer_norm_vjp(X, P.ln1_gamma, DY), lambda x: layer_norm(x, P.ln1_gamma, P.ln1_beta))


def test_ffn_vjp():
    check(ffn_vjp(X, P.w1, P.b1, P.w2, DY), lambda x: ffn(x, P.w1, P.b1, P.w2, P.b2))


def test_attention_vjp():
    check(attention_vjp(X, P.wq, P.wk, P.wv, P.wo, 2, DY), lambda x: attention(x, P.wq, P.wk, P.wv, P.wo, 2))


@pytest.mark.parametrize("norm", ["pre", "post"])
@pytest.mark.parametrize("skip", [True, False])
def test_block_vjp(norm, skip):
    check(block_vjp(X, P, DY, norm, skip), lambda x: block(x, P, norm, skip).out)


def test_depth_analysis_shapes_and_story():
    curves = {c.label: c for c in depth_analysis(X, 24, 8, 32, 2, seed=0)}
    assert set(curves) == {"residual + pre-norm", "residual + post-norm", "no residual (pre-norm)"}
    for c in curves.values():
        assert c.act_norm.shape == (25,) and c.grad_norm.shape == (24,)
        assert np.all(np.isfinite(c.grad_norm))
    pre, plain = curves["residual + pre-norm"], curves["no residual (pre-norm)"]
    # with the residual path the gradient reaches layer 0 at the same order of magnitude as the top
    assert 0.1 < pre.grad_norm[0] / pre.grad_norm[-1] < 10
    # without it, the gradient at the bottom collapses
    assert plain.grad_norm[0] < 1e-3 * plain.grad_norm[-1]


def test_near_zero_branches_make_the_stack_almost_the_identity():
    (pre, *_), = [depth_analysis(X, 48, 8, 32, 2, seed=0, branch_scale=1e-3)]
    assert pre.rel_change < 0.05
    assert np.allclose(pre.act_norm, pre.act_norm[0], rtol=0.05)
