"""The trace: everything a scene shows, computed once from the config by the core."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .config import BlockConfig
from .core import (
    Array,
    AttentionParts,
    BlockParams,
    BlockTrace,
    LayerNormSteps,
    attention_parts,
    block,
    embed,
    init_params,
    layer_norm_steps,
    residual,
)
from .depth import DepthCurve, bottom_ratio, depth_analysis, top_ratio
from .tokenize import CONTINUATION, InputError, is_continuation, is_word, tokenize

SWEEP_STEP = 0.01  # λ resolution of the residual sweep (the slider moves in these steps)
NEAR_ZERO = 0.001  # branch output scale for "layers start near zero" in the depth analysis


def whole_words(tokens: list[str]) -> list[tuple[int, str]]:
    """(index of its first token, the whole word) for every token that does not continue a split word."""
    words: list[tuple[int, str]] = []
    for i, t in enumerate(tokens):
        if is_continuation(t) and words:
            words[-1] = (words[-1][0], words[-1][1] + t[len(CONTINUATION):])
        else:
            words.append((i, t))
    return words


def resolve_token(tokens: list[str], spec: str) -> int:
    """Index of the tracked token: a 0-based index, or the first token equal to spec (case-insensitive).

    A word that was split into pieces is found by its whole text (its first piece is tracked) or by any piece as
    shown ("##croscopicsilico"). An empty spec picks "it" when the sentence has it, else the last word.
    """
    spec = spec.strip()
    if not spec:
        words = [i for i, w in whole_words(tokens) if is_word(w)]
        return next((i for i in words if tokens[i].casefold() == "it"), words[-1] if words else len(tokens) - 1)
    if spec.lstrip("-").isdigit():
        i = int(spec)
        if not -len(tokens) <= i < len(tokens):
            raise InputError(f"token index {i} is out of range for {len(tokens)} tokens")
        return i % len(tokens)
    starts = {i: w for i, w in whole_words(tokens)}
    for i, t in enumerate(tokens):
        if spec.casefold() in (t.casefold(), starts.get(i, t).casefold()):
            return i
    raise InputError(f"token {spec!r} is not in the sentence; its tokens are: {' '.join(tokens)}")


@dataclass(frozen=True)
class ResidualSweep:
    """h + λΔ for the tracked token over a grid of λ, and the 'replace' alternative h ← Δ."""

    h: Array  # [d] the state before the update (stream after attention)
    delta: Array  # [d] the update Δ (the FFN output for this token)
    lam: Array  # [K] λ grid, SWEEP_STEP apart, covering the config's λ values, 0 and 1
    out: Array  # [K, d] h + λΔ
    cos_to_h: Array  # [K] cosine similarity of h + λΔ to h
    norm: Array  # [K] ‖h + λΔ‖
    ratio: Array  # [K] ‖λΔ‖ / ‖h‖: how big the added step is next to the state it revises
    replace_cos: float  # cosine similarity of Δ to h (what survives a replacement)
    replace_norm: float  # ‖Δ‖

    def index(self, lam: float) -> int:
        """Grid index of the λ value closest to lam."""
        return int(np.argmin(np.abs(self.lam - lam)))


def _cos(a: Array, b: Array) -> Array:  # [..., d], [d] -> [...]
    return (a @ b) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b))


def step_ratio(h: Array, delta: Array, lam: Array) -> Array:  # [d], [d], [K] -> [K]
    """‖λΔ‖ / ‖h‖ for each λ: the size of the step added to the state, relative to the state (all dimensions)."""
    return np.abs(lam) * np.linalg.norm(delta) / np.linalg.norm(h)


@dataclass(frozen=True)
class Trace:
    """What the scenes read. Built by compute_trace; identical for the same config in any process."""

    config: BlockConfig
    tokens: tuple[str, ...]
    tracked: int  # index of the tracked token
    params: BlockParams
    block: BlockTrace
    layernorm: LayerNormSteps
    sweep: ResidualSweep
    ffn_top_units: tuple[int, ...]  # hidden units most active (|GELU output|) for the tracked token, strongest first

    @property
    def tracked_token(self) -> str:
        return self.tokens[self.tracked]

    @cached_property
    def attn_mean(self) -> Array:
        """[T, T] attention weights averaged over heads (rows still sum to 1): one picture of who reads whom."""
        return self.block.attn_weights.mean(axis=0)

    @cached_property
    def ln1_steps(self) -> LayerNormSteps:
        """LN₁ step by step on the rows the block's LN₁ really normalizes: x in a pre-norm block (the same as
        `layernorm`; its output is LN₁(x), what attention reads), x + Δattn in a post-norm block (its output is h)."""
        if self.config.norm == "pre":
            return self.layernorm
        b, p = self.block, self.params
        return layer_norm_steps(b.x + b.attn_out, p.ln1_gamma, p.ln1_beta)  # [T, d]

    @cached_property
    def attn_parts(self) -> AttentionParts:
        """This block's attention piece by piece (values, weighted values, head mixes), read from what it reads."""
        p = self.params
        return attention_parts(self.block.ln1, p.wq, p.wk, p.wv, p.wo, p.n_heads)

    @cached_property
    def placements(self) -> dict[str, BlockTrace]:
        """The same input and weights through a pre-norm and a post-norm block."""
        return {norm: block(self.block.x, self.params, norm) for norm in ("pre", "post")}

    @cached_property
    def depth(self) -> list[DepthCurve]:
        """Deep-stack analysis at the standard start, every branch at full size (computed on first use): residual +
        pre-norm, residual + post-norm, no residual, on this sentence's block input and the same weights."""
        c = self.config
        return depth_analysis(self.block.x, c.depth, c.d_model, c.d_ff, c.n_heads, c.seed)

    @cached_property
    def depth_post_over_pre(self) -> float:
        """At the standard start, the last layer's ‖∂loss/∂W‖ with post-norm over pre-norm's (Xiong et al. 2020)."""
        return top_ratio(self.depth[1], self.depth[0])

    @cached_property
    def depth_plain_over_pre(self) -> float:
        """At the standard start, layer 0's ‖∂loss/∂W‖ without the residual over pre-norm's (same weights)."""
        return bottom_ratio(self.depth[2], self.depth[0])

    @cached_property
    def depth_near_zero(self) -> list[DepthCurve]:
        """Deep-stack analysis with every branch starting near zero (output projections × NEAR_ZERO)."""
        c = self.config
        return depth_analysis(self.block.x, c.depth, c.d_model, c.d_ff, c.n_heads, c.seed, branch_scale=NEAR_ZERO)


def compute_trace(config: BlockConfig) -> Trace:
    """Tokenize, embed and run one block; collect every number the scenes show."""
    tokens = tokenize(config.sentence, config.max_tokens)
    tracked = resolve_token(tokens, config.token)
    x = embed(tokens, config.d_model, config.seed)  # [T, d]
    params = init_params(config.d_model, config.d_ff, config.n_heads, config.seed)
    bt = block(x, params, config.norm)

    ln = layer_norm_steps(x, params.ln1_gamma, params.ln1_beta)

    h, delta = bt.h_attn[tracked], bt.ffn_out[tracked]  # [d], [d]
    lo, hi = min(config.lambdas + (0.0, 1.0)), max(config.lambdas + (0.0, 1.0))  # 0 (identity), 1 (the real step)
    lam = np.round(np.arange(round((hi - lo) / SWEEP_STEP) + 1) * SWEEP_STEP + lo, 10)  # [K]
    out = residual(h[None, :], delta[None, :], lam[:, None])  # [K, d]
    sweep = ResidualSweep(h, delta, lam, out, _cos(out, h), np.linalg.norm(out, axis=-1), step_ratio(h, delta, lam),
                          float(_cos(delta, h)), float(np.linalg.norm(delta)))

    top = tuple(int(i) for i in np.argsort(-np.abs(bt.ffn_post[tracked]), kind="stable")[:3])
    return Trace(config, tuple(tokens), tracked, params, bt, ln, sweep, top)
