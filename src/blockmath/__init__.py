"""blockmath: the non-attention half of a Transformer block, computed in NumPy for teaching videos."""

from .config import DEFAULT_SENTENCE, DEFAULT_TOKEN, BlockConfig, build_config
from .core import (
    AttentionParts,
    BlockParams,
    BlockTrace,
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
    softmax,
)
from .depth import DepthCurve, block_vjp, depth_analysis
from .tokenize import MAX_TOKENS, InputError, tokenize
from .trace import Trace, compute_trace, resolve_token

__all__ = [
    "DEFAULT_SENTENCE", "DEFAULT_TOKEN", "MAX_TOKENS", "AttentionParts", "BlockConfig", "BlockParams", "BlockTrace", "DepthCurve",
    "InputError", "Trace", "attention", "attention_parts", "attention_weights", "block", "block_vjp", "build_config", "compute_trace",
    "depth_analysis", "embed", "ffn", "ffn_hidden", "gelu", "init_params", "layer_norm", "residual",
    "resolve_token", "softmax", "tokenize",
]
