"""What each tensor of the block is called on screen, the same in every clip, and true for the norm placement.

Pre-norm:  h = x + Attn(LN₁(x));  out = h + MLP(LN₂(h)).
Post-norm: h = LN₁(x + Attn(x));  out = LN₂(h + MLP(h)).
The trace's fields: x, ln1 (what attention reads), attn_out (Δattn), h_attn (h), ln2 (what the MLP reads),
ffn_out (Δmlp), out.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Names:
    """Short labels for the tensors of one block, and the block's two formulas, for one norm placement."""

    norm: str
    x: str  # the block's input, on the residual stream
    ln1: str  # what attention reads
    attn: str  # attention's update
    h: str  # the stream after the attention step
    ln2: str  # what the MLP reads
    mlp: str  # the MLP's update
    out: str  # the block's output
    attn_step: str  # the attention step as a formula
    mlp_step: str  # the MLP step as a formula
    block: str  # "pre-norm block" / "post-norm block"


PRE = Names("pre", x="x", ln1="LN₁(x)", attn="Δattn", h="h", ln2="LN₂(h)", mlp="Δmlp", out="out",
            attn_step="h = x + Attn(LN₁(x))", mlp_step="out = h + MLP(LN₂(h))", block="pre-norm block")
POST = Names("post", x="x", ln1="x", attn="Δattn", h="h", ln2="h", mlp="Δmlp", out="out",
             attn_step="h = LN₁(x + Attn(x))", mlp_step="out = LN₂(h + MLP(h))", block="post-norm block")


def names(norm: str) -> Names:
    """The names for a norm placement ("pre" or "post")."""
    return PRE if norm == "pre" else POST
