"""How the depth analysis's numbers are written in captions (shared by the depth and takeaways lessons)."""

from __future__ import annotations

import numpy as np

from blockmath.depth import GAP_FLOOR
from kit.plots import power_of_ten
from kit.text import scientific

NBSP = "\u00a0"


def factor(r: float) -> str:
    """A ratio as drawn in a caption: "3.4", "27", "2.3 × 10⁴", "0.23", "5.97 × 10⁻⁵"."""
    if 0.01 <= r < 1:
        return f"{r:.2f}"
    if 1 <= r < 10:
        return f"{r:.1f}"
    if 10 <= r < 1000:
        return f"{r:.0f}"
    return scientific(r, 1 if r >= 1 else 2)


def gap_text(v: float) -> str:
    """A token gap (1 − cos) as drawn: its value, or "≤ 10⁻²⁰" where a plot draws it at the floor."""
    return f"≤ {power_of_ten(round(np.log10(GAP_FLOOR)))}" if v < GAP_FLOOR else scientific(v)


def nobreak(s: str) -> str:
    """s with no line break inside "1 − cos", "x + …", "‖out − x‖ / ‖x‖", "≤ 10⁻²⁰" or "5.97 × 10⁻⁵"."""
    for whole in ("1 − cos", "x + …", "‖out − x‖ / ‖x‖", " × 10", "≤ 10"):
        s = s.replace(whole, whole.replace(" ", NBSP))
    return s
