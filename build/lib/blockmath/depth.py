"""Deep stacks: backprop through a block in NumPy, and per-layer activation / gradient norms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core import Array, BlockParams, attention_weights, block, init_params, stable_rng


def layer_norm_vjp(x: Array, gamma: Array, dy: Array, eps: float = 1e-5) -> Array:  # [T, d], [T, d] -> [T, d]
    """Gradient of sum(dy * layer_norm(x, gamma, beta)) with respect to x."""
    mean = x.mean(axis=-1, keepdims=True)  # [T, 1]
    inv = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + eps)  # [T, 1]
    xhat = (x - mean) * inv  # [T, d]
    g = dy * gamma  # [T, d]
    return inv * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))


def gelu_grad(x: Array) -> Array:  # [...] -> [...]
    """Derivative of the tanh-approximation GELU."""
    c = np.sqrt(2.0 / np.pi)
    t = np.tanh(c * (x + 0.044715 * x**3))
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t**2) * c * (1.0 + 3 * 0.044715 * x**2)


def ffn_vjp(x: Array, w1: Array, b1: Array, w2: Array, dy: Array) -> Array:  # [T, d], [T, d] -> [T, d]
    """Gradient of sum(dy * ffn(x, ...)) with respect to x."""
    pre = x @ w1 + b1  # [T, f]
    return ((dy @ w2.T) * gelu_grad(pre)) @ w1.T  # [T, f] -> [T, d]


def attention_vjp(x: Array, wq: Array, wk: Array, wv: Array, wo: Array, n_heads: int, dy: Array, causal: bool = True) -> Array:  # [T, d], [T, d] -> [T, d]
    """Gradient of sum(dy * attention(x, ...)) with respect to x."""
    T, d = x.shape
    dh = d // n_heads

    def split(a: Array) -> Array:  # [T, d] -> [H, T, dh]
        return a.reshape(T, n_heads, dh).transpose(1, 0, 2)

    def merge(a: Array) -> Array:  # [H, T, dh] -> [T, d]
        return a.transpose(1, 0, 2).reshape(T, d)

    q, k, v = split(x @ wq), split(x @ wk), split(x @ wv)  # [H, T, dh] each
    p = attention_weights(x, wq, wk, n_heads, causal)  # [H, T, T]
    dheads = split(dy @ wo.T)  # [H, T, dh]
    dp = dheads @ v.transpose(0, 2, 1)  # [H, T, T]
    dv = p.transpose(0, 2, 1) @ dheads  # [H, T, dh]
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True)) / np.sqrt(dh)  # [H, T, T]; masked entries stay 0
    dq = ds @ k  # [H, T, dh]
    dk = ds.transpose(0, 2, 1) @ q  # [H, T, dh]
    return merge(dq) @ wq.T + merge(dk) @ wk.T + merge(dv) @ wv.T


def block_vjp(x: Array, params: BlockParams, dy: Array, norm: str = "pre", skip: bool = True) -> Array:  # [T, d], [T, d] -> [T, d]
    """Gradient of sum(dy * block(x, ...).out) with respect to the block input x."""
    p, keep = params, (1.0 if skip else 0.0)
    t = block(x, p, norm, skip)

    def attn_vjp(inp: Array, g: Array) -> Array:
        return attention_vjp(inp, p.wq, p.wk, p.wv, p.wo, p.n_heads, g)

    def mlp_vjp(inp: Array, g: Array) -> Array:
        return ffn_vjp(inp, p.w1, p.b1, p.w2, g)

    if norm == "pre":  # h = keep*x + A(LN1 x); out = keep*h + M(LN2 h)
        dh = keep * dy + layer_norm_vjp(t.h_attn, p.ln2_gamma, mlp_vjp(t.ln2, dy))
        return keep * dh + layer_norm_vjp(x, p.ln1_gamma, attn_vjp(t.ln1, dh))
    # post: s1 = keep*x + A(x); h = LN1 s1; s2 = keep*h + M(h); out = LN2 s2
    s1 = keep * x + t.attn_out
    s2 = keep * t.h_attn + t.ffn_out
    ds2 = layer_norm_vjp(s2, p.ln2_gamma, dy)
    dh = keep * ds2 + mlp_vjp(t.h_attn, ds2)
    ds1 = layer_norm_vjp(s1, p.ln1_gamma, dh)
    return keep * ds1 + attn_vjp(x, ds1)


@dataclass(frozen=True)
class DepthCurve:
    """One stack variant: norms per layer."""

    label: str  # e.g. "residual + pre-norm"
    norm: str  # "pre" or "post"
    skip: bool  # residual path on?
    act_norm: Array  # [L + 1] mean token-vector norm of each layer's input, then of the final output
    grad_norm: Array  # [L] norm of d loss / d (layer input), layer 0 first
    rel_change: float  # ||out - x|| / ||x||: how far the whole stack moved the input


VARIANTS = (("residual + pre-norm", "pre", True), ("residual + post-norm", "post", True), ("no residual (pre-norm)", "pre", False))


def stack_params(depth: int, d_model: int, d_ff: int, n_heads: int, seed: int, branch_scale: float = 1.0) -> list[BlockParams]:
    """Independent seeded weights for each layer of a deep stack."""
    return [init_params(d_model, d_ff, n_heads, seed, layer=i, branch_scale=branch_scale) for i in range(depth)]


def run_stack(x: Array, layers: list[BlockParams], norm: str, skip: bool, label: str = "") -> DepthCurve:  # [T, d] -> curve
    """Forward through the stack, then backprop the loss sum(out * probe) / T to every layer's input."""
    inputs = [x]
    for p in layers:
        inputs.append(block(inputs[-1], p, norm, skip).out)
    out = inputs[-1]
    probe = stable_rng("probe", *x.shape).standard_normal(x.shape)  # [T, d] fixed random read-out
    g = probe / x.shape[0]  # d loss / d out
    grads = []
    for p, inp in zip(reversed(layers), reversed(inputs[:-1])):
        g = block_vjp(inp, p, g, norm, skip)
        grads.append(float(np.linalg.norm(g)))
    act = np.array([np.linalg.norm(h, axis=-1).mean() for h in inputs])
    rel = float(np.linalg.norm(out - x) / np.linalg.norm(x))
    return DepthCurve(label, norm, skip, act, np.array(grads[::-1]), rel)


def depth_analysis(x: Array, depth: int, d_model: int, d_ff: int, n_heads: int, seed: int, branch_scale: float | None = None) -> list[DepthCurve]:
    """The three variants (residual+pre, residual+post, no residual) on the same input and weights.

    branch_scale defaults to GPT-2's 1/sqrt(2·depth) on each branch's output projection; near 0, every
    residual layer starts as (almost) the identity.
    """
    if branch_scale is None:
        branch_scale = 1.0 / np.sqrt(2 * depth)
    layers = stack_params(depth, d_model, d_ff, n_heads, seed, branch_scale)
    return [run_stack(x, layers, norm, skip, label) for label, norm, skip in VARIANTS]
