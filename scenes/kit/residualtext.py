"""What the residual lesson's captions say, from the numbers: values as the readouts draw them, how long Δ is
next to h in words, and what each move of λ shows."""

from __future__ import annotations

from kit.widgets import nb

SIZES = ((0.3, "small next to h"), (0.8, "shorter than h"), (1.25, "about as long as h"))  # ‖Δ‖/‖h‖ below (≤ 1.25)


def fmt(v: float) -> str:
    """A value in a caption, as a readout draws it (two places), with a real minus sign."""
    return f"{float(v):.2f}".replace("-", "−")


def lam_str(v: float) -> str:
    """A λ value as said in a caption ("2", "0.5", "−1"), rounded as the readout draws it."""
    return f"{round(float(v), 2):g}".replace("-", "−")


def size_word(ratio: float) -> str:
    """How long Δ is next to h, in words, decided on ‖Δ‖/‖h‖ as the caption shows it (two places)."""
    r = round(float(ratio), 2)
    for bound, word in SIZES:
        if r < bound or (bound == SIZES[-1][0] and r <= bound):
            return word
    return "longer than h"


def closing_line(ratio: float, cos: float) -> str:
    """The takeaway at λ = 1: h stays, and how big the update is next to it (graded, from the numbers)."""
    return (f"Residual: h stays inside h′. Here Δ is {size_word(ratio)} ({nb(f'‖Δ‖ = {fmt(ratio)}·‖h‖')}), and "
            f"{nb('h + Δ')} keeps {nb(f'cos {fmt(cos)}')} with h.")


def stop_caption(v: str, norm: str) -> str:
    """What the move to λ = v (as lam_str writes it) shows, true for any λ and either norm placement."""
    head = nb(f"λ → {v}") + ":"
    if v == "0":
        return f"{head} nothing is added, {nb('h′ = h')} exactly (the identity)."
    if v == "1":
        if norm == "post":
            return (f"{head} {nb('h + Δ')}, the block's real sum; post-norm then normalizes it: "
                    f"{nb('out = LN₂(h + Δ)')}.")
        return f"{head} the block's real step, {nb('out = h + Δ')}."
    if v.startswith("−"):
        return f"{head} Δ is subtracted, {nb(f'h′ = h − {v[1:]}·Δ')}; h is still underneath."
    if float(v) < 1:
        return f"{head} only part of Δ is added; each bar moves part of the way."
    return f"{head} Δ counts {v} times, {nb(f'h′ = h + {v}·Δ')}; all of h is still inside."
