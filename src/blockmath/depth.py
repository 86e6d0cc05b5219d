"""Deep stacks: backprop through a block in NumPy, and per-layer activation / gradient norms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core import Array, BlockParams, attention_weights, block, ffn_hidden, init_params, layer_norm, stable_rng


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


def ffn_param_vjp(x: Array, w1: Array, b1: Array, w2: Array, dy: Array) -> tuple[Array, Array]:  # [T, d], [T, d] -> ([d, f], [f, d])
    """Gradients of sum(dy * ffn(x, ...)) with respect to the weight matrices (W1, W2)."""
    pre, post = ffn_hidden(x, w1, b1)  # [T, f] before and after GELU
    dpre = (dy @ w2.T) * gelu_grad(pre)  # [T, f]
    return x.T @ dpre, post.T @ dy  # [d, T] @ [T, f] -> [d, f];  [f, T] @ [T, d] -> [f, d]


def attention_backward(x: Array, wq: Array, wk: Array, wv: Array, wo: Array, n_heads: int, dy: Array,
                       causal: bool = True) -> tuple[Array, tuple[Array, Array, Array, Array]]:  # [T, d], [T, d] -> ([T, d], 4 × [d, d])
    """Gradients of sum(dy * attention(x, ...)) with respect to x and to (Wq, Wk, Wv, Wo)."""
    T, d = x.shape
    dh = d // n_heads

    def split(a: Array) -> Array:  # [T, d] -> [H, T, dh]
        return a.reshape(T, n_heads, dh).transpose(1, 0, 2)

    def merge(a: Array) -> Array:  # [H, T, dh] -> [T, d]
        return a.transpose(1, 0, 2).reshape(T, d)

    q, k, v = split(x @ wq), split(x @ wk), split(x @ wv)  # [H, T, dh] each
    p = attention_weights(x, wq, wk, n_heads, causal)  # [H, T, T]
    heads = merge(p @ v)  # [T, d] what Wo reads
    dheads = split(dy @ wo.T)  # [H, T, dh]
    dp = dheads @ v.transpose(0, 2, 1)  # [H, T, T]
    dv = merge(p.transpose(0, 2, 1) @ dheads)  # [T, d]
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True)) / np.sqrt(dh)  # [H, T, T]; masked entries stay 0
    dq, dk = merge(ds @ k), merge(ds.transpose(0, 2, 1) @ q)  # [T, d] each
    dx = dq @ wq.T + dk @ wk.T + dv @ wv.T  # [T, d]
    return dx, (x.T @ dq, x.T @ dk, x.T @ dv, heads.T @ dy)  # [d, T] @ [T, d] -> [d, d] each


def attention_vjp(x: Array, wq: Array, wk: Array, wv: Array, wo: Array, n_heads: int, dy: Array, causal: bool = True) -> Array:  # [T, d], [T, d] -> [T, d]
    """Gradient of sum(dy * attention(x, ...)) with respect to x."""
    return attention_backward(x, wq, wk, wv, wo, n_heads, dy, causal)[0]


def attention_param_vjp(x: Array, wq: Array, wk: Array, wv: Array, wo: Array, n_heads: int, dy: Array,
                        causal: bool = True) -> tuple[Array, Array, Array, Array]:  # [T, d], [T, d] -> 4 × [d, d]
    """Gradients of sum(dy * attention(x, ...)) with respect to (Wq, Wk, Wv, Wo)."""
    return attention_backward(x, wq, wk, wv, wo, n_heads, dy, causal)[1]


WEIGHTS = ("wq", "wk", "wv", "wo", "w1", "w2")  # the block's weight matrices, in BlockParams order


def block_backward(x: Array, params: BlockParams, dy: Array, norm: str = "pre",
                   skip: bool = True) -> tuple[Array, dict[str, Array]]:  # [T, d], [T, d] -> ([T, d], {name: W's shape})
    """Gradients of sum(dy * block(x, ...).out) with respect to the block input x and to each weight matrix."""
    p, keep = params, (1.0 if skip else 0.0)
    t = block(x, p, norm, skip)
    grads: dict[str, Array] = {}

    def attn_back(inp: Array, g: Array) -> Array:  # [T, d], [T, d] -> [T, d]; records dWq, dWk, dWv, dWo
        dx, dw = attention_backward(inp, p.wq, p.wk, p.wv, p.wo, p.n_heads, g)
        grads.update(zip(WEIGHTS[:4], dw))
        return dx

    def mlp_back(inp: Array, g: Array) -> Array:  # [T, d], [T, d] -> [T, d]; records dW1, dW2
        grads.update(zip(WEIGHTS[4:], ffn_param_vjp(inp, p.w1, p.b1, p.w2, g)))
        return ffn_vjp(inp, p.w1, p.b1, p.w2, g)

    if norm == "pre":  # h = keep*x + A(LN1 x); out = keep*h + M(LN2 h)
        dh = keep * dy + layer_norm_vjp(t.h_attn, p.ln2_gamma, mlp_back(t.ln2, dy))
        dx = keep * dh + layer_norm_vjp(x, p.ln1_gamma, attn_back(t.ln1, dh))
    else:  # post: s1 = keep*x + A(x); h = LN1 s1; s2 = keep*h + M(h); out = LN2 s2
        s1 = keep * x + t.attn_out
        s2 = keep * t.h_attn + t.ffn_out
        ds2 = layer_norm_vjp(s2, p.ln2_gamma, dy)
        dh = keep * ds2 + mlp_back(t.h_attn, ds2)
        ds1 = layer_norm_vjp(s1, p.ln1_gamma, dh)
        dx = keep * ds1 + attn_back(x, ds1)
    return dx, {name: grads[name] for name in WEIGHTS}


def block_vjp(x: Array, params: BlockParams, dy: Array, norm: str = "pre", skip: bool = True) -> Array:  # [T, d], [T, d] -> [T, d]
    """Gradient of sum(dy * block(x, ...).out) with respect to the block input x."""
    return block_backward(x, params, dy, norm, skip)[0]


@dataclass(frozen=True)
class DepthCurve:
    """One stack variant at initialization: norms per layer."""

    label: str  # e.g. "residual + pre-norm"
    norm: str  # "pre" or "post"
    skip: bool  # residual path on?
    act_norm: Array  # [L + 1] mean token-vector norm of each layer's input, then of the last layer's output
    grad_norm: Array  # [L] ‖∂loss/∂(layer input)‖, layer 0 first
    weight_grad: Array  # [L, 6] ‖∂loss/∂W‖ (Frobenius) of each weight matrix, columns in WEIGHTS order, layer 0 first
    weight_grad_norm: Array  # [L] ‖∂loss/∂(all six weight matrices of the layer)‖, layer 0 first
    rel_change: float  # ‖out − x‖ / ‖x‖: how far the whole stack moved its input (out: before the read-out LN)
    loss: float  # the read-out loss at initialization
    token_gap: Array  # [L] token_gap of each layer's input, layer 0 first (NaN for a single token)

    @property
    def top_over_bottom(self) -> float:
        """The last layer's ‖∂loss/∂W‖ over layer 0's (> 1: the weight gradients grow toward the output)."""
        return float(self.weight_grad_norm[-1] / self.weight_grad_norm[0])

    @property
    def weight_trend(self) -> str:
        """trend() of ‖∂loss/∂W‖ from layer 0 to the last layer: "grows", "shrinks" or "flat"."""
        return trend(float(self.weight_grad_norm[0]), float(self.weight_grad_norm[-1]))

    @property
    def weakest_layer(self) -> int:
        """The layer whose weights get the smallest gradient (the lowest such layer on a tie)."""
        return int(np.argmin(self.weight_grad_norm))

    @property
    def weakest_over_top(self) -> float:
        """The smallest layer's ‖∂loss/∂W‖ over the last layer's (≥ 1/2: no layer gets less than half of the top's)."""
        return float(self.weight_grad_norm.min() / self.weight_grad_norm[-1])

    @property
    def gap_drawn(self) -> Array:  # [L]
        """token_gap as a log plot draws it: values under GAP_FLOOR (one vector, up to rounding) at the floor."""
        return np.maximum(self.token_gap, GAP_FLOOR)

    @property
    def floored(self) -> bool:
        """Some layer's token_gap is under GAP_FLOOR, so its plot marks the floor."""
        return bool(np.any(self.token_gap < GAP_FLOOR))

    @property
    def closest_gap(self) -> float:
        """The smallest token_gap over the layers' inputs: how alike the tokens ever get (NaN for one token)."""
        return float(np.min(self.token_gap))

    @property
    def alike_from(self) -> int | None:
        """The first layer from whose input on every layer's tokens point (nearly) the same way, token_gap < ALIKE
        (mean cosine > 0.99); None when the last layer's are not that alike (or there is a single token)."""
        apart = np.flatnonzero(~(self.token_gap < ALIKE))  # [k] layers whose tokens are not alike (NaN counts)
        if len(apart) == 0:
            return 0
        return None if apart[-1] == len(self.token_gap) - 1 else int(apart[-1] + 1)


ALIKE = 0.01  # token_gap under this: the tokens point (nearly) the same way (mean cosine > 0.99)
GAP_FLOOR = 1e-20  # token_gap under this is drawn at this floor: the tokens are one vector, to ~10 digits


def token_gap(h: Array) -> float:  # [T, d] -> scalar
    """Mean over the token pairs i < j of 1 − cos(h_i, h_j): 0 when every token points the same way, 1 for
    orthogonal tokens; NaN for a single token (no pair). Computed as ‖u_i − u_j‖² / 2 of the unit vectors u, which
    keeps its precision near 0 (1 − u_i·u_j would cancel to rounding noise)."""
    T = h.shape[0]
    if T < 2:
        return float("nan")
    u = h / np.linalg.norm(h, axis=-1, keepdims=True)  # [T, d]
    i, j = np.triu_indices(T, k=1)  # [P] each pair once
    return float(np.mean(np.sum((u[i] - u[j]) ** 2, axis=-1)) / 2)  # [P, d] -> [P] -> scalar


def top_ratio(a: DepthCurve, b: DepthCurve) -> float:
    """a's last-layer ‖∂loss/∂W‖ over b's (Xiong et al. compare post-norm's with pre-norm's)."""
    return float(a.weight_grad_norm[-1] / b.weight_grad_norm[-1])


def bottom_ratio(a: DepthCurve, b: DepthCurve) -> float:
    """a's layer-0 ‖∂loss/∂W‖ over b's (the no-residual stack's over pre-norm's: what reaches the first layer)."""
    return float(a.weight_grad_norm[0] / b.weight_grad_norm[0])


VARIANTS = (("residual + pre-norm", "pre", True), ("residual + post-norm", "post", True), ("no residual (pre-norm)", "pre", False))


def stack_params(depth: int, d_model: int, d_ff: int, n_heads: int, seed: int, branch_scale: float = 1.0) -> list[BlockParams]:
    """Independent seeded weights for each layer of a deep stack."""
    return [init_params(d_model, d_ff, n_heads, seed, layer=i, branch_scale=branch_scale) for i in range(depth)]


def probe(shape: tuple[int, int]) -> Array:  # (T, d) -> [T, d]
    """The fixed random read-out the loss projects the stack's output onto (depends on the shape only)."""
    return stable_rng("probe", *shape).standard_normal(shape)


def readout(out: Array, norm: str) -> Array:  # [T, d] -> [T, d]
    """What the loss reads: a pre-norm stack ends with a LayerNorm (γ = 1, β = 0, as GPT-2's ln_f); a post-norm
    stack's output already is a LayerNorm's."""
    d = out.shape[-1]
    return layer_norm(out, np.ones(d), np.zeros(d)) if norm == "pre" else out


def stack_forward(x: Array, layers: list[BlockParams], norm: str, skip: bool) -> list[Array]:  # [T, d] -> (L + 1) × [T, d]
    """Every layer's input, then the last layer's output."""
    states = [x]
    for p in layers:
        states.append(block(states[-1], p, norm, skip).out)
    return states


def stack_loss(x: Array, layers: list[BlockParams], norm: str, skip: bool) -> float:  # [T, d] -> scalar
    """The stand-in loss at initialization: sum(readout(out) · probe) / T, a fixed random read-out."""
    out = stack_forward(x, layers, norm, skip)[-1]
    return float(np.sum(readout(out, norm) * probe(x.shape)) / x.shape[0])


def stack_backward(x: Array, layers: list[BlockParams], norm: str, skip: bool,
                   states: list[Array] | None = None) -> tuple[list[Array], list[dict[str, Array]]]:  # [T, d] -> (L × [T, d], L × {name: W's shape})
    """Backprop of stack_loss: ∂loss/∂(each layer's input) and ∂loss/∂(each weight matrix), layer 0 first.
    states: stack_forward's result, when the caller has it already."""
    states = stack_forward(x, layers, norm, skip) if states is None else states
    g = probe(x.shape) / x.shape[0]  # [T, d] ∂loss/∂readout
    if norm == "pre":
        g = layer_norm_vjp(states[-1], np.ones(x.shape[-1]), g)  # [T, d] through the final LayerNorm
    dx, dw = [], []
    for p, inp in zip(reversed(layers), reversed(states[:-1])):
        g, grads = block_backward(inp, p, g, norm, skip)
        dx.append(g)
        dw.append(grads)
    return dx[::-1], dw[::-1]


def run_stack(x: Array, layers: list[BlockParams], norm: str, skip: bool, label: str = "") -> DepthCurve:  # [T, d] -> curve
    """Forward through the stack, backprop stack_loss to every layer's input and weights, keep the norms and how
    alike the tokens are at each layer's input."""
    states = stack_forward(x, layers, norm, skip)
    out = states[-1]
    dx, dw = stack_backward(x, layers, norm, skip, states)
    weight = np.array([[np.linalg.norm(g[name]) for name in WEIGHTS] for g in dw])  # [L, 6]
    act = np.array([np.linalg.norm(h, axis=-1).mean() for h in states])  # [L + 1]
    loss = float(np.sum(readout(out, norm) * probe(x.shape)) / x.shape[0])
    return DepthCurve(label, norm, skip, act, np.array([np.linalg.norm(g) for g in dx]), weight,
                      np.sqrt((weight**2).sum(axis=1)), float(np.linalg.norm(out - x) / np.linalg.norm(x)), loss,
                      np.array([token_gap(h) for h in states[:-1]]))


def depth_analysis(x: Array, depth: int, d_model: int, d_ff: int, n_heads: int, seed: int,
                   branch_scale: float = 1.0) -> list[DepthCurve]:
    """The three variants (residual+pre, residual+post, no residual) on the same input and the same weights.

    branch_scale multiplies every branch's output projection: 1 is the standard start (each branch at full size, as
    Xiong et al. 2020 analyse); near 0, every residual layer starts as (almost) the identity.
    """
    layers = stack_params(depth, d_model, d_ff, n_heads, seed, branch_scale)
    return [run_stack(x, layers, norm, skip, label) for label, norm, skip in VARIANTS]


def trend(first: float, last: float, factor: float = 2.0) -> str:
    """How a per-layer quantity changes from layer 0 (first) to the last layer: "grows" when last ≥ factor·first,
    "shrinks" when last ≤ first/factor, else "flat" (within that factor)."""
    if last >= factor * first:
        return "grows"
    if last * factor <= first:
        return "shrinks"
    return "flat"
