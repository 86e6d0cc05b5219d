"""BaselineScene: one static frame held for BLOCKMATH_BASELINE_SECONDS — the encoding floor for `blockmath.bench`.

Same background and the same kind of text as the teaching scenes, but nothing moves: manim draws the frame once
and only encodes it again for every video frame, so its cost per second of video is what any clip of that
resolution and frame rate costs at least (process start-up, manim import, video encoding).

    BLOCKMATH_BASELINE_SECONDS=30 python -m manim render --config_file manim.cfg -ql scenes/baseline.py BaselineScene
"""

from __future__ import annotations

import os

from kit.base import TraceScene
from kit.style import MUTED
from kit.widgets import caption, title

SECONDS_ENV = "BLOCKMATH_BASELINE_SECONDS"
DEFAULT_SECONDS = 10.0


def baseline_seconds() -> float:
    """The clip length asked for in BLOCKMATH_BASELINE_SECONDS (default 10 s), at least one frame long."""
    text = os.environ.get(SECONDS_ENV, "").strip()
    return max(float(text), 0.05) if text else DEFAULT_SECONDS


class BaselineScene(TraceScene):
    """A still title card (no animation) held for the requested time, drawn and encoded as the scenes are."""

    def construct(self):
        self.add(title("Baseline", "a still frame: encoding only"), caption("nothing moves here", MUTED))
        self.wait(baseline_seconds())
