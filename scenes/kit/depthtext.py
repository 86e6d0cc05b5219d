"""How the depth analysis's numbers are written in captions (shared by the depth and takeaways lessons), and what
the depth lesson's captions and the takeaways' depth panel say: every claim is decided by the numbers it is given."""

from __future__ import annotations

import numpy as np

from blockmath.depth import ALIKE, GAP_FLOOR
from blockmath.trace import NEAR_ZERO
from kit.plots import power_of_ten
from kit.style import INK, NO_RESIDUAL, POST_NORM, STREAM
from kit.text import parse_scientific, scientific
from kit.widgets import nb



def factor(r: float) -> str:
    """A ratio as drawn in a caption: "3.4", "27", "2.3 × 10⁴", "0.23", "0.012", "5.97 × 10⁻⁵"."""
    if 0.1 <= r < 1:
        return f"{r:.2f}"
    if 0.01 <= r < 0.1:
        return f"{r:.3f}"
    if 1 <= r < 10:
        return f"{r:.1f}"
    if 10 <= r < 1000:
        return f"{r:.0f}"
    return scientific(r, 1 if r >= 1 else 2)


def gap_text(v: float) -> str:
    """A token gap (1 − cos) as drawn: its value, or "≤ 10⁻²⁰" where a plot draws it at the floor."""
    return f"≤ {power_of_ten(round(np.log10(GAP_FLOOR)))}" if v < GAP_FLOOR else scientific(v)


def at_least(v: float, fmt=None) -> str:
    """v as fmt (default gap_text) writes it, rounded down where fmt would round up: a lower bound stays true."""
    fmt = fmt or gap_text
    shown = v
    while parse_scientific(fmt(shown)) > v:
        shown *= 0.999
    return fmt(shown)


def nobreak(s: str) -> str:
    """s with no line break inside "1 − cos", "x + …", "‖out − x‖ / ‖x‖", "≤ 10⁻²⁰" or "5.97 × 10⁻⁵"."""
    for whole in ("1 − cos", "x + …", "‖out − x‖ / ‖x‖", " × 10", "≤ 10"):
        s = s.replace(whole, nb(whole))
    return s


def path_words() -> list[tuple[str, object]]:
    return [("Pre-norm keeps an untouched path for x: each block only adds to it, x + …, and x is never normalized.",
             STREAM),
            ("Post-norm adds x too, then normalizes the sum, LN(x + …); the third stack has no x + … at all.", INK)]


def plain_gap_words(c, L: int) -> str:
    k = c.alike_from
    if k is None:
        return f"Without the residual, the tokens still differ at layer {L - 1}: 1 − cos = {gap_text(c.token_gap[-1])}."
    end = f"by layer {L - 1}, 1 − cos is {gap_text(c.token_gap[-1])}"
    return f"Without the residual, from layer {k} on the tokens all point one way (cosine > 0.99); {end}."


def pre_gap_words(c, L: int) -> str:
    if c.closest_gap >= ALIKE:
        return f"With the residual (pre-norm), the tokens stay apart: 1 − cos is at least {at_least(c.closest_gap)} at every layer."
    if c.alike_from is not None:
        return f"With the residual (pre-norm), they too point one way, from layer {c.alike_from} on."
    return (f"With the residual (pre-norm), 1 − cos dips to {gap_text(c.closest_gap)}, and is "
            f"{gap_text(c.token_gap[-1])} at layer {L - 1}.")


def post_gap_words(c, L: int) -> str:
    if c.alike_from is not None:
        return (f"Post-norm normalizes x + … in every block, and its tokens point one way too, from layer "
                f"{c.alike_from} on.")
    if c.closest_gap >= ALIKE:
        return f"Post-norm keeps them apart too: 1 − cos is at least {at_least(c.closest_gap)} at every layer."
    return (f"Post-norm: 1 − cos dips to {gap_text(c.closest_gap)}, and is {gap_text(c.token_gap[-1])} at layer "
            f"{L - 1}.")


def plain_words(r: float, plain, L: int) -> list[str]:
    """r: layer 0's weight gradient without the residual over pre-norm's."""
    head = f"Without the residual, layer 0's gradient has passed back through {L - 1} blocks"
    if r <= 0.01:
        return [f"{head}: it collapses to {factor(r)} of pre-norm's."]
    if r <= 0.5:
        return [f"{head}: it shrinks to {factor(r)} of pre-norm's."]
    lines = [f"Without the residual, layer 0's gradient did not shrink here: it is {factor(r)} times pre-norm's."]
    if plain.alike_from is not None:
        lines.append(f"The harm here is in the forward pass: from layer {plain.alike_from} on, its tokens all point "
                     f"one way.")
    return lines


def pre_words(c, L: int) -> str:
    w = c.weakest_over_top
    if w >= 0.5:
        return f"With the residual, x + … carries the gradient down: every layer gets at least half of layer {L - 1}'s."
    return f"With the residual, no layer gets less than {at_least(w, factor)} of layer {L - 1}'s gradient."


def post_words(c, L: int) -> str:
    r = c.top_over_bottom
    if c.weight_trend == "grows":
        return f"its gradients grow toward the output; layer {L - 1}'s is {factor(r)} times layer 0's."
    if c.weight_trend == "shrinks":
        return f"its gradients shrink toward the output; layer 0's is {factor(1 / r)} times layer {L - 1}'s."
    return f"layer {L - 1}'s gradient is within 2× of layer 0's here."


def warmup_words(q: float, post, L: int) -> list[tuple[str, object]]:
    """q: post-norm's last-layer weight gradient over pre-norm's."""
    if q < 2:
        return [(f"At layer {L - 1}, post-norm's gradient is {factor(q)} times pre-norm's here; Xiong et al. report it "
                 f"much larger.", INK)]
    why = "Growing toward the output, large at the top" if post.weight_trend == "grows" else \
        "Large top-layer gradients at the start"
    return [(f"At layer {L - 1}, post-norm's weights get {factor(q)} times pre-norm's gradient.", POST_NORM),
            (f"{why}: why post-norm needs learning-rate warm-up (Xiong et al.).", POST_NORM),
            (f"Pre-norm's layer-{L - 1} gradient is {factor(q)} times smaller: Xiong et al. train pre-norm without "
             f"warm-up, and most LLMs use it.", STREAM)]


def near_zero_words(near) -> list[tuple[str, object]]:
    pre, post, plain = near
    if pre.rel_change < 0.1:
        lines = [(f"With branches × {NEAR_ZERO:g}, pre-norm gives out ≈ x: the stack starts as (almost) the identity map.",
                  STREAM)]
    else:
        lines = [(f"Pre-norm still moves x by {scientific(pre.rel_change)} of its size.", STREAM)]
    if post.rel_change >= 0.1:
        lines.append((f"Post-norm still moves x by {scientific(post.rel_change)} of its size: the LayerNorms on its "
                      f"stream are not the identity.", POST_NORM))
    if plain.rel_change >= 0.9 and plain.act_norm[-1] < 0.1 * plain.act_norm[0]:
        lines.append(("Without the residual, branches near zero wipe out x: it has no identity to start from.",
                      NO_RESIDUAL))
    return lines


def takeaway_points(pre, plain, pre_near, r: float, L: int) -> list[str]:
    """What the lesson measured for pre-norm (and, where it differs, for the stack without the residual).
    r: layer 0's weight gradient without the residual over pre-norm's."""
    points = []
    if pre.closest_gap >= ALIKE:  # NaN (one token) is not
        gone = (f"; without it, they all point one way from layer {plain.alike_from} on"
                if plain.alike_from is not None else "")
        points.append(f"Forward, the tokens stay apart: 1 − cos ≥ {at_least(pre.closest_gap)}{gone}.")
    elif pre.alike_from is not None:
        points.append(f"Forward, its tokens point one way too, from layer {pre.alike_from} on.")
    w = pre.weakest_over_top
    lost = f"; without it, layer 0 gets {factor(r)} of pre-norm's" if r <= 0.01 else ""
    points.append((f"Backward, every layer gets at least half of layer {L - 1}'s gradient{lost}." if w >= 0.5 else
                   f"Backward, no layer gets less than {at_least(w, factor)} of layer {L - 1}'s gradient{lost}."))
    points.append(f"With branches × {NEAR_ZERO:g}, it starts as (almost) the identity: x moves by "
                  f"{scientific(pre_near.rel_change)} of its size." if pre_near.rel_change < 0.1 else
                  f"With branches × {NEAR_ZERO:g}, it still moves x by {scientific(pre_near.rel_change)} of its size.")
    return points


# ---------------------------------------------------------------- the takeaways' fourth panel, decided by the numbers


def depth_heading(pre, plain, n_tokens: int) -> tuple[str, str]:
    """(heading, short heading) of the fourth panel."""
    if n_tokens > 1 and pre.closest_gap >= ALIKE and plain.alike_from is not None:
        return "4. x + … keeps the tokens apart", "4. Tokens stay apart"
    return ("4. Tokens through depth", "4. Tokens in depth") if n_tokens > 1 else \
        ("4. Gradients through depth", "4. Depth: gradients")


def depth_note(n_tokens: int, L: int) -> str:
    if n_tokens > 1:
        return f"1 − cos between tokens at each of {L} pre-norm layers (log scale), with and without x + …"
    return f"‖∂loss/∂W‖ at each of {L} pre-norm layers (log scale), with and without x + …; one token: no pair"


def depth_words(pre, plain, r: float, L: int, tokens: bool) -> list[str]:
    """The fourth panel's captions. r: layer 0's weight gradient without x + … over pre-norm's."""
    lines = []
    if tokens:
        if pre.closest_gap >= ALIKE:
            lines.append(f"With x + …, the tokens stay apart through {L} pre-norm blocks: 1 − cos ≥ "
                         f"{at_least(pre.closest_gap)} at every layer.")
        else:
            lines.append(f"With x + …, 1 − cos between the tokens falls to {gap_text(pre.closest_gap)} in {L} pre-norm "
                         f"blocks.")
        k = plain.alike_from
        lines.append(f"Without x + …, they all point one way from layer {k} on." if k is not None else
                     f"Without x + …, 1 − cos is {gap_text(plain.token_gap[-1])} at layer {L - 1}.")
    verb = "collapses to" if r <= 0.01 else "shrinks to" if r <= 0.5 else None
    if verb:
        lines.append(f"Backward, without x + … layer 0's weight gradient {verb} {factor(r)} of pre-norm's.")
    elif not tokens:
        lines.append(f"Backward through {L} pre-norm blocks, layer 0's weight gradient without x + … is "
                     f"{factor(r)} times pre-norm's: it did not shrink here.")
    return lines
