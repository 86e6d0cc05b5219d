"""The block as a journey: each LayerNorm of one block step by step, and what the stream holds after each step.

The block lesson follows one token through the block: a LayerNorm is shown centring its input, then scaling it,
and each ⊕ is shown adding an update onto the stream. For post-norm the stream holds the sum x + Δattn before
LN₁ turns it into h; the core's BlockTrace keeps only h, so the sums are kept here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core import Array, BlockParams, BlockTrace, LayerNormSteps, layer_norm_steps


@dataclass(frozen=True)
class Journey:
    """Every step of one block for every token, in the order the lesson shows them.

    Pre-norm:  ln1 = LN₁ of x (what attention reads), sum1 = x + Δattn = h, ln2 = LN₂ of h, sum2 = h + Δmlp = out.
    Post-norm: sum1 = x + Δattn, ln1 = LN₁ of sum1 (its out is h), sum2 = h + Δmlp, ln2 = LN₂ of sum2 (out).
    """

    norm: str  # "pre" or "post"
    ln1: LayerNormSteps
    ln2: LayerNormSteps
    sum1: Array  # [T, d] x + Δattn: what the first ⊕ puts on the stream
    sum2: Array  # [T, d] h + Δmlp: what the second ⊕ puts on the stream
    direct: Array  # [T, d] x + Δattn + Δmlp: the input plus both updates (pre-norm: out; post-norm: not out)
    stages: tuple[tuple[str, Array], ...]  # (name, [T, d]) each state of the stream, input to output
    spread: Array  # [S, T] the standard deviation of each stage's row (S = len(stages))


def block_journey(bt: BlockTrace, params: BlockParams) -> Journey:
    """The journey through a block already computed by core.block (same weights): LN steps, sums, stream stages."""
    sum1 = bt.x + bt.attn_out  # [T, d]
    sum2 = bt.h_attn + bt.ffn_out  # [T, d]
    direct = bt.x + bt.attn_out + bt.ffn_out  # [T, d]
    if bt.norm == "pre":
        ln1 = layer_norm_steps(bt.x, params.ln1_gamma, params.ln1_beta)
        ln2 = layer_norm_steps(bt.h_attn, params.ln2_gamma, params.ln2_beta)
        stages = (("x", bt.x), ("h", bt.h_attn), ("out", bt.out))
    else:
        ln1 = layer_norm_steps(sum1, params.ln1_gamma, params.ln1_beta)
        ln2 = layer_norm_steps(sum2, params.ln2_gamma, params.ln2_beta)
        stages = (("x", bt.x), ("sum1", sum1), ("h", bt.h_attn), ("sum2", sum2), ("out", bt.out))
    spread = np.stack([a.std(axis=-1) for _, a in stages])  # [S, T]
    return Journey(bt.norm, ln1, ln2, sum1, sum2, direct, stages, spread)


def journeys(trace) -> dict[str, Journey]:
    """Both placements of a trace's block (trace.placements: same input, same weights) step by step."""
    return {norm: block_journey(bt, trace.params) for norm, bt in trace.placements.items()}


def journey(trace) -> Journey:
    """The trace's own block (trace.block, as configured) step by step."""
    return block_journey(trace.block, trace.params)
