"""A Transformer block in pure NumPy: one function per idea, float64, shapes on every signature.

T = number of tokens, d = d_model, f = d_ff, H = n_heads, dh = d // H.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


# ---------------------------------------------------------------- deterministic randomness


def stable_rng(*parts: object) -> np.random.Generator:
    """A local generator seeded from sha256 of the parts (never Python's salted hash())."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


# ---------------------------------------------------------------- the building blocks


def layer_norm(x: Array, gamma: Array, beta: Array, eps: float = 1e-5) -> Array:  # [T, d] -> [T, d]
    """Normalize each row on its own (biased variance, like torch.nn.LayerNorm), then scale and shift."""
    mean = x.mean(axis=-1, keepdims=True)  # [T, 1]
    var = x.var(axis=-1, keepdims=True)  # [T, 1]
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


@dataclass(frozen=True)
class LayerNormSteps:
    """One LayerNorm, step by step, for every row (token): what the lessons show between x and LN(x)."""

    input: Array  # [T, d] the rows normalized
    mean: Array  # [T] each row's own mean μ
    std: Array  # [T] each row's own std σ = sqrt(var + eps)
    centered: Array  # [T, d] input − μ
    normalized: Array  # [T, d] (input − μ) / σ
    gamma: Array  # [d]
    beta: Array  # [d]
    out: Array  # [T, d] γ · normalized + β, equal to layer_norm(input, gamma, beta)


def layer_norm_steps(x: Array, gamma: Array, beta: Array, eps: float = 1e-5) -> LayerNormSteps:  # [T, d] -> steps
    """layer_norm with its intermediate steps kept: centre each row, divide by its σ, then scale and shift."""
    mean = x.mean(axis=-1)  # [T]
    std = np.sqrt(x.var(axis=-1) + eps)  # [T]
    centered = x - mean[:, None]  # [T, d]
    normalized = centered / std[:, None]  # [T, d]
    return LayerNormSteps(x, mean, std, centered, normalized, gamma, beta, gamma * normalized + beta)


def gelu(x: Array) -> Array:  # [...] -> [...]
    """GELU, the tanh approximation used by GPT-2."""
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


def ffn_hidden(x: Array, w1: Array, b1: Array) -> tuple[Array, Array]:  # [T, d] -> ([T, f], [T, f])
    """The FFN's hidden layer before and after GELU."""
    pre = x @ w1 + b1  # [T, d] @ [d, f] -> [T, f]
    return pre, gelu(pre)


def ffn(x: Array, w1: Array, b1: Array, w2: Array, b2: Array) -> Array:  # [T, d] -> [T, d]
    """Position-wise feed-forward network: d -> f -> GELU -> d, the same weights for every token."""
    _, post = ffn_hidden(x, w1, b1)  # [T, f]
    return post @ w2 + b2  # [T, f] @ [f, d] -> [T, d]


def softmax(x: Array) -> Array:  # [..., n] -> [..., n]
    """Numerically stable softmax over the last axis."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attention_weights(x: Array, wq: Array, wk: Array, n_heads: int, causal: bool = True) -> Array:  # [T, d] -> [H, T, T]
    """Scaled dot-product attention weights per head; row t is how much token t reads each token."""
    T, d = x.shape
    dh = d // n_heads
    q = (x @ wq).reshape(T, n_heads, dh).transpose(1, 0, 2)  # [H, T, dh]
    k = (x @ wk).reshape(T, n_heads, dh).transpose(1, 0, 2)  # [H, T, dh]
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(dh)  # [H, T, T]
    if causal:
        scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
    return softmax(scores)


def attention(x: Array, wq: Array, wk: Array, wv: Array, wo: Array, n_heads: int, causal: bool = True) -> Array:  # [T, d] -> [T, d]
    """Multi-head self-attention: each token's output is a weighted mix of (projected) token values."""
    T, d = x.shape
    dh = d // n_heads
    w = attention_weights(x, wq, wk, n_heads, causal)  # [H, T, T]
    v = (x @ wv).reshape(T, n_heads, dh).transpose(1, 0, 2)  # [H, T, dh]
    heads = w @ v  # [H, T, dh]
    return heads.transpose(1, 0, 2).reshape(T, d) @ wo  # [T, d] @ [d, d] -> [T, d]


@dataclass(frozen=True)
class AttentionParts:
    """Multi-head attention piece by piece, for every reader token t and source token s."""

    weights: Array  # [H, T, T] softmax weights: weights[h, t, s] is how much t reads s in head h
    values: Array  # [H, T, dh] each token's value vector in each head (x @ wv, split into heads)
    weighted: Array  # [H, T, T, dh] weights[h, t, s] * values[h, s]: what reader t takes from s (0 where masked)
    mixes: Array  # [H, T, dh] each head's weighted sum of values (sum of `weighted` over s)
    joined: Array  # [T, d] the heads' mixes side by side (head 1's dh numbers first)
    out: Array  # [T, d] joined @ wo: the attention update, equal to attention(...)


def attention_parts(x: Array, wq: Array, wk: Array, wv: Array, wo: Array, n_heads: int,
                    causal: bool = True) -> AttentionParts:  # [T, d] -> parts
    """attention(...) with every intermediate kept: values, weighted values, per-head mixes, joined heads."""
    T, d = x.shape
    dh = d // n_heads
    w = attention_weights(x, wq, wk, n_heads, causal)  # [H, T, T]
    v = (x @ wv).reshape(T, n_heads, dh).transpose(1, 0, 2)  # [H, T, dh]
    weighted = w[:, :, :, None] * v[:, None, :, :]  # [H, T, T, 1] * [H, 1, T, dh] -> [H, T, T, dh]
    mixes = weighted.sum(axis=2)  # [H, T, dh]
    joined = mixes.transpose(1, 0, 2).reshape(T, d)  # [T, H, dh] -> [T, d]
    return AttentionParts(w, v, weighted, mixes, joined, joined @ wo)  # [T, d] @ [d, d] -> [T, d]


def residual(h: Array, delta: Array, lam: float) -> Array:  # [T, d], [T, d] -> [T, d]
    """The residual update h + λ·Δ: the layer revises the state instead of replacing it."""
    return h + lam * delta


# ---------------------------------------------------------------- parameters and embeddings


@dataclass(frozen=True)
class BlockParams:
    """Weights of one block; arrays are read-only."""

    ln1_gamma: Array  # [d]
    ln1_beta: Array  # [d]
    wq: Array  # [d, d]
    wk: Array  # [d, d]
    wv: Array  # [d, d]
    wo: Array  # [d, d]
    ln2_gamma: Array  # [d]
    ln2_beta: Array  # [d]
    w1: Array  # [d, f]
    b1: Array  # [f]
    w2: Array  # [f, d]
    b2: Array  # [d]
    n_heads: int


def init_params(d_model: int, d_ff: int, n_heads: int, seed: int, layer: int = 0, branch_scale: float = 1.0) -> BlockParams:
    """Seeded weights scaled so that activations stay legible (mostly within [-3, 3]).

    branch_scale multiplies the output projections (wo, w2, b2): 0 makes each branch start at zero.
    """

    def draw(name: str, shape: tuple[int, ...], std: float, mean: float = 0.0) -> Array:
        a = mean + std * stable_rng("param", seed, d_model, d_ff, n_heads, layer, name).standard_normal(shape)
        a.setflags(write=False)
        return a

    d, f = d_model, d_ff
    return BlockParams(
        ln1_gamma=draw("ln1_gamma", (d,), 0.1, 1.0),
        ln1_beta=draw("ln1_beta", (d,), 0.1),
        wq=draw("wq", (d, d), 1.5 / np.sqrt(d)),
        wk=draw("wk", (d, d), 1.5 / np.sqrt(d)),
        wv=draw("wv", (d, d), 1.0 / np.sqrt(d)),
        wo=draw("wo", (d, d), branch_scale / np.sqrt(d)),
        ln2_gamma=draw("ln2_gamma", (d,), 0.1, 1.0),
        ln2_beta=draw("ln2_beta", (d,), 0.1),
        w1=draw("w1", (d, f), 1.0 / np.sqrt(d)),
        b1=draw("b1", (f,), 0.1),
        w2=draw("w2", (f, d), branch_scale / np.sqrt(f)),
        b2=draw("b2", (d,), 0.05 * branch_scale),
        n_heads=n_heads,
    )


def token_embedding(token: str, d_model: int, seed: int) -> Array:  # str -> [d]
    """A token's vector: depends only on its text, the seed and d_model."""
    return stable_rng("embed", seed, d_model, token).standard_normal(d_model)


def positional_encoding(n_tokens: int, d_model: int) -> Array:  # -> [T, d]
    """Sinusoidal positions (Vaswani et al.), scaled by 0.5 so the word, not the slot, dominates."""
    pos = np.arange(n_tokens)[:, None]  # [T, 1]
    i = np.arange(d_model)[None, :]  # [1, d]
    angle = pos / np.power(10000.0, (2 * (i // 2)) / d_model)  # [T, d]
    return 0.5 * np.where(i % 2 == 0, np.sin(angle), np.cos(angle))


def embed(tokens: list[str], d_model: int, seed: int) -> Array:  # T tokens -> [T, d]
    """Token embeddings plus positions: the block's input."""
    words = np.stack([token_embedding(t, d_model, seed) for t in tokens])  # [T, d]
    return words + positional_encoding(len(tokens), d_model)


# ---------------------------------------------------------------- one block, with every intermediate


@dataclass(frozen=True)
class BlockTrace:
    """Every intermediate of one block for all tokens. Scenes read these; they compute nothing."""

    norm: str  # "pre" or "post"
    x: Array  # [T, d] block input (the residual stream)
    ln1: Array  # [T, d] what attention reads: LN1(x) for pre-norm, x for post-norm
    attn_weights: Array  # [H, T, T]
    attn_out: Array  # [T, d] attention branch output (the communication update)
    h_attn: Array  # [T, d] stream after the attention add (post-norm: after its LayerNorm too)
    ln2: Array  # [T, d] what the FFN reads: LN2(h_attn) for pre-norm, h_attn for post-norm
    ffn_pre: Array  # [T, f] hidden layer before GELU
    ffn_post: Array  # [T, f] hidden layer after GELU
    ffn_out: Array  # [T, d] FFN branch output (the thinking update)
    out: Array  # [T, d] block output


def block(x: Array, params: BlockParams, norm: str = "pre", skip: bool = True) -> BlockTrace:  # [T, d] -> trace
    """One Transformer block; pre-norm: h += Attn(LN(h)); h += MLP(LN(h)). Post-norm: h = LN(h + Attn(h)); ...

    skip=False removes the residual path (h = Attn(...) replaces h), for the depth comparison.
    Returns the whole trace; `block(...).out` is the output.
    """
    keep = 1.0 if skip else 0.0  # weight of the direct path
    p = params
    if norm == "pre":
        ln1 = layer_norm(x, p.ln1_gamma, p.ln1_beta)  # [T, d]
    elif norm == "post":
        ln1 = x
    else:
        raise ValueError(f"norm must be 'pre' or 'post', got {norm!r}")
    w = attention_weights(ln1, p.wq, p.wk, p.n_heads)  # [H, T, T]
    a = attention(ln1, p.wq, p.wk, p.wv, p.wo, p.n_heads)  # [T, d]
    h = residual(keep * x, a, 1.0)
    if norm == "post":
        h = layer_norm(h, p.ln1_gamma, p.ln1_beta)
    ln2 = layer_norm(h, p.ln2_gamma, p.ln2_beta) if norm == "pre" else h  # [T, d]
    pre, post = ffn_hidden(ln2, p.w1, p.b1)  # [T, f]
    m = post @ p.w2 + p.b2  # [T, d]
    out = residual(keep * h, m, 1.0)
    if norm == "post":
        out = layer_norm(out, p.ln2_gamma, p.ln2_beta)
    return BlockTrace(norm, x, ln1, w, a, h, ln2, pre, post, m, out)
