"""Backprop checked by finite differences; the deep-stack analysis tells the residual story."""

from dataclasses import replace

import numpy as np
import pytest

from blockmath import attention, block, depth_analysis, embed, ffn, init_params, layer_norm
from blockmath.depth import (
    ALIKE,
    GAP_FLOOR,
    WEIGHTS,
    attention_param_vjp,
    attention_vjp,
    block_backward,
    block_vjp,
    bottom_ratio,
    ffn_param_vjp,
    ffn_vjp,
    layer_norm_vjp,
    probe,
    stack_backward,
    stack_forward,
    stack_loss,
    stack_params,
    token_gap,
    top_ratio,
    trend,
)

X = embed(["a", "small", "test", "sentence", "."], 8, 3)
P = init_params(8, 32, 2, seed=3)
DY = np.random.default_rng(7).standard_normal(X.shape)
DEFAULT = embed("The animal didn't cross the street because it was tired .".split(), 8, 0)


def numeric_grad(f, x, dy, eps=1e-6):
    """Central differences of sum(dy * f(x)) with respect to every entry of x."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        g[idx] = (np.sum(dy * f(xp)) - np.sum(dy * f(xm))) / (2 * eps)
    return g


def check(analytic, f, at=X, dy=DY):
    numeric = numeric_grad(f, np.array(at, dtype=float), dy)
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


def test_ffn_param_vjp():
    dw1, dw2 = ffn_param_vjp(X, P.w1, P.b1, P.w2, DY)
    assert dw1.shape == P.w1.shape and dw2.shape == P.w2.shape
    check(dw1, lambda w: ffn(X, w, P.b1, P.w2, P.b2), at=P.w1)
    check(dw2, lambda w: ffn(X, P.w1, P.b1, w, P.b2), at=P.w2)


def test_attention_param_vjp():
    grads = attention_param_vjp(X, P.wq, P.wk, P.wv, P.wo, 2, DY)
    ws = [P.wq, P.wk, P.wv, P.wo]
    for i, g in enumerate(grads):
        def f(w, i=i):
            args = list(ws)
            args[i] = w
            return attention(X, *args, 2)
        check(g, f, at=ws[i])


@pytest.mark.parametrize("norm", ["pre", "post"])
@pytest.mark.parametrize("skip", [True, False])
def test_block_weight_gradients(norm, skip):
    dx, grads = block_backward(X, P, DY, norm, skip)
    assert list(grads) == list(WEIGHTS)
    check(dx, lambda x: block(x, P, norm, skip).out)
    for name in WEIGHTS:
        check(grads[name], lambda w, name=name: block(X, replace(P, **{name: w}), norm, skip).out, at=getattr(P, name))


@pytest.mark.parametrize("norm,skip", [("pre", True), ("post", True), ("pre", False)])
def test_stack_backward_matches_finite_differences_of_the_loss(norm, skip):
    """The whole chain (read-out LayerNorm, every block, every layer's weights) against the loss itself."""
    x = embed(["tiny", "deep", "stack"], 4, 1)
    layers = stack_params(3, 4, 16, 2, seed=5)
    dx, dw = stack_backward(x, layers, norm, skip)
    one = np.ones(())

    def loss_with(layer: int, name: str):
        def f(w):
            changed = list(layers)
            changed[layer] = replace(layers[layer], **{name: w})
            return stack_loss(x, changed, norm, skip) * one
        return f

    for layer in (0, 2):
        for name in ("wq", "wo", "w1", "w2"):
            check(dw[layer][name], loss_with(layer, name), at=getattr(layers[layer], name), dy=one)
    check(dx[0], lambda v: stack_loss(v, layers, norm, skip) * one, at=x, dy=one)


def test_the_loss_reads_a_layer_norm_for_pre_norm_only():
    x = embed(["tiny", "deep", "stack"], 4, 1)
    layers = stack_params(2, 4, 16, 2, seed=5)
    out_pre = block(block(x, layers[0], "pre").out, layers[1], "pre").out
    out_post = block(block(x, layers[0], "post").out, layers[1], "post").out
    ln = (out_pre - out_pre.mean(-1, keepdims=True)) / np.sqrt(out_pre.var(-1, keepdims=True) + 1e-5)
    assert np.isclose(stack_loss(x, layers, "pre", True), np.sum(ln * probe(x.shape)) / 3)
    assert np.isclose(stack_loss(x, layers, "post", True), np.sum(out_post * probe(x.shape)) / 3)


def test_weight_gradient_norms_are_the_frobenius_norms_of_the_gradients():
    (pre, *_) = depth_analysis(X, 4, 8, 32, 2, seed=0)
    _, dw = stack_backward(X, stack_params(4, 8, 32, 2, seed=0), "pre", True)
    for layer, grads in enumerate(dw):
        norms = [np.sqrt(np.sum(grads[n] ** 2)) for n in WEIGHTS]
        assert np.allclose(pre.weight_grad[layer], norms)
        assert np.isclose(pre.weight_grad_norm[layer], np.sqrt(sum(v**2 for v in norms)))


def test_trend():
    assert trend(1.0, 2.0) == "grows" and trend(1.0, 1.99) == "flat"
    assert trend(2.0, 1.0) == "shrinks" and trend(1.99, 1.0) == "flat"
    assert trend(1e-6, 1.0) == "grows" and trend(1.0, 1e-6) == "shrinks"


def test_depth_analysis_shapes_and_story():
    curves = {c.label: c for c in depth_analysis(X, 24, 8, 32, 2, seed=0)}
    assert set(curves) == {"residual + pre-norm", "residual + post-norm", "no residual (pre-norm)"}
    for c in curves.values():
        assert c.act_norm.shape == (25,) and c.grad_norm.shape == (24,)
        assert c.weight_grad.shape == (24, len(WEIGHTS)) and c.weight_grad_norm.shape == (24,)
        assert np.all(np.isfinite(c.grad_norm)) and np.all(np.isfinite(c.weight_grad))
    pre, plain = curves["residual + pre-norm"], curves["no residual (pre-norm)"]
    # with the residual path layer 0's weights get at least as much gradient as the top layer's
    assert pre.weight_grad_norm[0] >= pre.weight_grad_norm[-1]
    # without it, the gradient at the bottom collapses (d_model 8)
    assert plain.weight_grad_norm[0] < 1e-3 * plain.weight_grad_norm[-1]


def test_xiong_effect_at_the_standard_start():
    """Xiong et al. 2020: at initialization post-norm's weight gradients grow toward the output and its top layers get
    larger gradients than pre-norm's (whose read-out LayerNorm divides by the stream's grown size)."""
    pre, post, _ = depth_analysis(DEFAULT, 48, 8, 32, 2, seed=0)
    assert trend(post.weight_grad_norm[0], post.weight_grad_norm[-1], 10) == "grows"
    assert trend(post.weight_grad[0, WEIGHTS.index("w2")], post.weight_grad[-1, WEIGHTS.index("w2")], 10) == "grows"
    assert trend(post.weight_grad[0, WEIGHTS.index("wo")], post.weight_grad[-1, WEIGHTS.index("wo")], 5) == "grows"
    assert post.weight_grad_norm[-1] > 4 * pre.weight_grad_norm[-1]
    assert trend(pre.weight_grad_norm[0], pre.weight_grad_norm[-1]) != "grows"


def test_near_zero_branches_make_the_stack_almost_the_identity():
    (pre, *_), = [depth_analysis(X, 48, 8, 32, 2, seed=0, branch_scale=1e-3)]
    assert pre.rel_change < 0.05
    assert np.allclose(pre.act_norm, pre.act_norm[0], rtol=0.05)


def test_curve_ratios_are_read_from_the_plotted_norms():
    pre, post, plain = depth_analysis(X, 6, 8, 32, 2, seed=1)
    for c in (pre, post, plain):
        w = c.weight_grad_norm
        assert c.top_over_bottom == pytest.approx(w[5] / w[0])
        assert c.weakest_over_top == pytest.approx(min(w) / w[5])
        assert w[c.weakest_layer] == min(w)
        assert c.weight_trend == trend(w[0], w[5])
    assert top_ratio(post, pre) == pytest.approx(post.weight_grad_norm[-1] / pre.weight_grad_norm[-1])


def test_token_gap_is_the_mean_of_one_minus_cosine_over_token_pairs():
    """Against a plain loop over the pairs, with cosines from dot products and norms."""
    h = np.random.default_rng(11).standard_normal((6, 8))
    gaps = [1 - np.dot(h[i], h[j]) / (np.linalg.norm(h[i]) * np.linalg.norm(h[j]))
            for i in range(6) for j in range(i + 1, 6)]
    assert token_gap(h) == pytest.approx(np.mean(gaps), rel=1e-12)
    assert token_gap(3.0 * h) == pytest.approx(token_gap(h), rel=1e-12)  # lengths do not count, directions do
    v = np.array([1.0, -2.0, 0.5])
    assert token_gap(np.array([v, 2 * v, 0.1 * v])) == pytest.approx(0.0, abs=1e-30)  # one direction (to rounding)
    assert token_gap(np.eye(4)) == pytest.approx(1.0)  # orthogonal tokens
    assert token_gap(np.array([v, -v])) == pytest.approx(2.0)  # opposite tokens
    assert np.isnan(token_gap(v[None, :]))  # a single token has no pair


def test_token_gap_keeps_its_precision_near_zero():
    theta = 1e-9  # 1 − cos θ = 2 sin²(θ/2) ≈ 5 × 10⁻¹⁹, which 1 − u·v rounds to 0
    h = np.array([[1.0, 0.0], [np.cos(theta), np.sin(theta)]])
    assert token_gap(h) == pytest.approx(2 * np.sin(theta / 2) ** 2, rel=1e-6)


def test_depth_curves_keep_the_token_gap_of_every_layer_input():
    layers = stack_params(6, 8, 32, 2, seed=1)
    for c in depth_analysis(X, 6, 8, 32, 2, seed=1):
        states = stack_forward(X, layers, c.norm, c.skip)
        assert c.token_gap.shape == (6,)
        assert np.allclose(c.token_gap, [token_gap(h) for h in states[:-1]], rtol=1e-12)


def test_a_gap_below_the_plots_floor_is_drawn_at_the_floor_and_the_closest_gap_is_the_real_one():
    pre = depth_analysis(X, 3, 8, 32, 2, seed=0)[0]
    c = replace(pre, token_gap=np.array([0.5, 1e-25, 0.2]))
    assert c.gap_drawn.tolist() == [0.5, GAP_FLOOR, 0.2]
    assert c.closest_gap == 1e-25
    assert c.floored and not replace(pre, token_gap=np.array([0.5, 1e-19, 0.2])).floored
    assert not replace(pre, token_gap=np.full(3, np.nan)).floored  # one token: no gap at all


def test_alike_from_is_the_layer_from_which_on_the_tokens_stay_alike():
    pre = depth_analysis(X, 4, 8, 32, 2, seed=0)[0]
    at = lambda *g: replace(pre, token_gap=np.array(g, dtype=float)).alike_from  # noqa: E731
    assert at(0.5, 0.2, 1e-3, 1e-9) == 2
    assert at(0.5, 1e-3, 0.2, 1e-9) == 3  # alike, apart again, then alike for good
    assert at(0.5, 1e-3, 1e-4, 0.2) is None  # apart at the last layer
    assert at(1e-3, 1e-4, 1e-5, 1e-6) == 0
    assert at(0.5, 0.5, ALIKE, ALIKE / 2) == 3  # ALIKE itself is not alike
    assert at(*[np.nan] * 4) is None  # one token


@pytest.mark.parametrize("words,d,heads,seed", [
    ("The animal didn't cross the street because it was tired .", 8, 2, 0),
    ("The animal didn't cross the street because it was tired .", 32, 4, 0),
    ("Small models learn quickly when the data is clean .", 32, 4, 0),
    ("Hello world", 4, 2, 3),
])
def test_without_the_residual_the_tokens_become_one_vector_and_with_it_they_stay_apart(words, d, heads, seed):
    """The robust harm (Dong et al. 2021), measured here also where the gradient at layer 0 does not collapse
    (d 32, seed 0: no residual's layer-0 gradient is larger than pre-norm's)."""
    x = embed(words.split(), d, seed)
    pre, post, plain = depth_analysis(x, 48, d, 4 * d, heads, seed)
    assert plain.alike_from is not None and plain.alike_from <= 24 and plain.token_gap[-1] < 1e-12
    assert pre.alike_from is None and pre.closest_gap >= ALIKE
    assert post.alike_from is not None  # the LayerNorm on post-norm's stream does not keep them apart either


def test_bottom_ratio_is_layer_0s_weight_gradient_over_the_other_stacks():
    pre, _, plain = depth_analysis(X, 3, 8, 32, 2, seed=1)
    grads = lambda *g: np.array(g, dtype=float)  # noqa: E731
    pre = replace(pre, weight_grad_norm=grads(8.0, 1.0, 1.0))
    plain = replace(plain, weight_grad_norm=grads(2.0, 9.0, 9.0))
    assert bottom_ratio(plain, pre) == pytest.approx(0.25)  # layer 0 only: the layers above do not count
