"""Helpers shared by the lesson tests: dry runs of a scene, the trace it should show, rounding as drawn."""

import importlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

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


def captions(monkeypatch) -> list[str]:
    """Every caption a scene shows from now on (TraceScene.swap_caption recorded), in order."""
    import kit.base

    said = []
    orig = kit.base.TraceScene.swap_caption

    def record(self, s, *a, **k):
        said.append(s)
        return orig(self, s, *a, **k)

    monkeypatch.setattr(kit.base.TraceScene, "swap_caption", record)
    return said


def overflowing_captions(monkeypatch, scene_cls, envs, size) -> tuple[int, list[str]]:
    """Dry runs of scene_cls in each env at size: how many captions it showed, and those that need more lines
    (wrapped at the caption size and the frame's safe width) than the caption zone keeps free."""
    import kit.base
    from kit.style import BODY_SIZE, frame
    from kit.widgets import caption_lines, wrap

    shown, over = [], []
    orig = kit.base.TraceScene.swap_caption

    def check(self, s, *a, **k):
        shown.append(s)
        if len(wrap(s, BODY_SIZE, frame().safe_width)) > caption_lines():
            over.append(s)
        return orig(self, s, *a, **k)

    monkeypatch.setattr(kit.base.TraceScene, "swap_caption", check)
    for env in envs:
        dry_run(scene_cls, monkeypatch, env, size)
    return len(shown), over


def on_screen(scene) -> set:
    """The ids of every mobject on screen, with their families."""
    return {id(m) for top in scene.mobjects for m in top.get_family()}


def recording(cls):
    """The scene class, recording every caption it shows (.captions) and what is on screen at the end of each beat
    (.ended, by beat name: a beat is a slide that pauses on its last frame)."""

    class Recording(cls):
        def swap_caption(self, s, *args, **kwargs):
            self.captions = [*getattr(self, "captions", []), s]
            super().swap_caption(s, *args, **kwargs)

        def beat(self, name):
            self.ended = {**getattr(self, "ended", {}), self.beat_name: on_screen(self)}
            super().beat(name)

        def tear_down(self):
            self.ended = {**getattr(self, "ended", {}), self.beat_name: on_screen(self)}
            super().tear_down()

    return Recording


def window(a, m):
    """a [rows, cols] sliced to the rows and columns a CellMatrix m shows."""
    return np.asarray(a)[m.rows_shown][:, m.cols_shown]


def fake_curve(curve, w=None, gap=None):
    """A depth curve with other weight-gradient norms or token gaps (what a lesson's words depend on)."""
    from dataclasses import replace

    changes = {}
    if w is not None:
        changes["weight_grad_norm"] = np.asarray(w, dtype=float)
    if gap is not None:
        changes["token_gap"] = np.asarray(gap, dtype=float)
    return replace(curve, **changes)


def lesson_runner(module: str, cls: str, cases: dict):
    """run(monkeypatch, case, size) for one lesson: its dry run (recording, see above) and the trace it must show,
    made once per (case, size) and shared by the test module's tests (they only read the scene).
    `run.forget_after_module`: an autouse module fixture that drops them; the test module names it
    (`_forget_runs = run.forget_after_module`) so that pytest finds it there."""
    runs = {}

    def run(monkeypatch, name, size=(854, 480)):
        if (name, size) not in runs:
            env = cases[name]
            scene_cls = getattr(importlib.import_module(module), cls)
            runs[name, size] = dry_run(recording(scene_cls), monkeypatch, env, size), expected_trace(env)
        return runs[name, size]

    @pytest.fixture(scope="module", autouse=True)
    def forget_after_module():
        yield
        runs.clear()

    run.forget_after_module = forget_after_module
    return run
