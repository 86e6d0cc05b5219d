"""The one frozen configuration, built in exactly one place (`build_config`)."""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Mapping

from .tokenize import MAX_TOKENS, InputError

DEFAULT_SENTENCE = "The animal didn't cross the street because it was tired."
DEFAULT_TOKEN = ""  # automatic: "it" if the sentence has it, else its last word
QUALITIES = {"l": "480p15", "m": "720p30", "h": "1080p60", "k": "2160p60"}
ENV_PREFIX = "BLOCKMATH_"  # environment variables read by build_config: BLOCKMATH_SENTENCE, ...
# What a user may set (CLI options, or BLOCKMATH_* variables). The limits (max_tokens, depth) are not settings:
# they come from the code only, so BLOCKMATH_MAX_TOKENS=1000 cannot let a 40-token sentence through.
DISPLAY_D_MODEL = (4, 32)  # the widths the scenes lay out legibly (wider vectors are shown as a window)
DISPLAY_D_FF = 512  # the FFN shows a window of a wider hidden layer (its strongest units kept)
USER_SETTINGS = ("sentence", "token", "seed", "d_model", "d_ff", "n_heads", "lambdas", "norm")


@dataclass(frozen=True)
class BlockConfig:
    sentence: str = DEFAULT_SENTENCE  # the sentence whose tokens flow through the block
    seed: int = 0  # seeds embeddings and weights (together with the token text)
    d_model: int = 8  # width of every token vector
    d_ff: int = 0  # hidden width of the FFN; 0 means 4 * d_model (the usual choice)
    n_heads: int = 2  # attention heads; must divide d_model
    lambdas: tuple[float, ...] = (0.0, 1.0, 2.0, 1.0)  # λ values the residual scene sweeps through, in order
    token: str = DEFAULT_TOKEN  # tracked token: its text (first match, case-insensitive), a 0-based index, or "" (auto)
    norm: str = "pre"  # LayerNorm placement in the block: "pre" or "post"
    max_tokens: int = MAX_TOKENS  # longest sentence accepted
    depth: int = 48  # number of blocks in the deep-stack analysis

    def __post_init__(self) -> None:
        if not isinstance(self.sentence, str) or "\x00" in self.sentence:
            raise InputError("the sentence must be text without NUL characters")
        if not (0 <= self.seed < 2**32):
            raise InputError(f"seed must be an integer in [0, 2**32), got {self.seed}")
        if not (2 <= self.d_model <= 64):
            raise InputError(f"d_model must be in [2, 64], got {self.d_model}")
        if self.d_ff == 0:
            object.__setattr__(self, "d_ff", 4 * self.d_model)
        if not (1 <= self.d_ff <= 512):
            raise InputError(f"d_ff must be in [1, 512], got {self.d_ff}")
        if self.n_heads < 1 or self.d_model % self.n_heads:
            raise InputError(f"n_heads ({self.n_heads}) must be positive and divide d_model ({self.d_model})")
        if not self.lambdas or any(not math.isfinite(v) or not (-4.0 <= v <= 4.0) for v in self.lambdas):
            raise InputError("lambdas must be finite numbers in [-4, 4]")
        if self.norm not in ("pre", "post"):
            raise InputError(f"norm must be 'pre' or 'post', got {self.norm!r}")
        if not (1 <= self.depth <= 256):
            raise InputError(f"depth must be in [1, 256], got {self.depth}")

    def check_displayable(self) -> BlockConfig:
        """Refuse what the scenes cannot show legibly (the core itself takes more: `trace` accepts it)."""
        lo, hi = DISPLAY_D_MODEL
        if not (lo <= self.d_model <= hi):
            raise InputError(f"the videos show d_model from {lo} to {hi}, got {self.d_model} "
                             f"(`python -m blockmath trace` computes up to 64)")
        if not (4 <= self.d_ff <= DISPLAY_D_FF):
            raise InputError(f"the videos show d_ff from 4 to {DISPLAY_D_FF}, got {self.d_ff}")
        return self

    def as_dict(self) -> dict:
        """Plain-data view (for manifests and hashing)."""
        return asdict(self)


def _parse_int(name: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(f"{name} must be an integer, got {text!r}") from None


def _parse_lambdas(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.replace(",", " ").split())
    except ValueError:
        raise InputError(f"lambdas must be numbers separated by spaces or commas, got {text!r}") from None


_PARSERS = {
    "sentence": lambda t: t,
    "token": lambda t: t.strip(),
    "norm": lambda t: t.strip(),
    "lambdas": _parse_lambdas,
}


def build_config(values: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None) -> BlockConfig:
    """Build the config from CLI values, falling back to BLOCKMATH_* environment variables, then defaults."""
    environ = os.environ if environ is None else environ
    values = values or {}
    unknown = sorted(set(values) - set(USER_SETTINGS))
    if unknown:
        raise ValueError(f"not user settings: {', '.join(unknown)}")  # a caller's mistake, not the user's
    kwargs = {}
    for name in USER_SETTINGS:
        text = values.get(name)
        if text is None:
            text = environ.get(ENV_PREFIX + name.upper())
        if text is None or (text == "" and name != "sentence"):
            continue
        parse = _PARSERS.get(name, lambda t, n=name: _parse_int(n, t))
        kwargs[name] = parse(text)
    return BlockConfig(**kwargs)
