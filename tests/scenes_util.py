"""Helpers shared by the lesson tests: dry runs of a scene, the trace it should show, rounding as drawn."""

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scenes"))

from blockmath import build_config, compute_trace  # noqa: E402

SENTENCES = {
    "default": {},
    "short": {"BLOCKMATH_SENTENCE": "Hi there.", "BLOCKMATH_TOKEN": "hi"},
    "max": {"BLOCKMATH_SENTENCE": "one two three four five six seven eight nine ten eleven twelve thirteen "
                                  "fourteen fifteen sixteen"},
}


def dry_run(scene_cls, monkeypatch, env, size=(854, 480)):
    """Run a scene without drawing or encoding (manim's dry_run), with BLOCKMATH_* settings `env`."""
    import manim

    for k in list(os.environ):
        if k.startswith("BLOCKMATH_") and k != "BLOCKMATH_GLYPH_CACHE":
            monkeypatch.delenv(k)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with manim.tempconfig({"dry_run": True, "quality": "low_quality", "disable_caching": True,
                           "pixel_width": size[0], "pixel_height": size[1]}):
        scene = scene_cls()
        scene.render()
    return scene


def expected_trace(env):
    """The trace a scene run with BLOCKMATH_* settings `env` must show, computed here from the core."""
    return compute_trace(build_config(environ=env))


def r2(a, places=2):
    """Values rounded as a Number with `places` decimals draws them."""
    return np.round(np.asarray(a, dtype=float), places)
