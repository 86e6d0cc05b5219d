"""The depth lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, r2  # noqa: E402
from kit.text import shown  # noqa: E402


@pytest.mark.parametrize("name", ["default", "short"])
def test_depth_scene_shows_the_trace(monkeypatch, name):
    from depth import DepthScene

    env = SENTENCES[name]
    scene, t = dry_run(DepthScene, monkeypatch, env), expected_trace(env)
    assert list(scene.plotted) == [c.label for c in t.depth]
    for c in t.depth:
        act, grad = scene.plotted[c.label]
        assert np.array_equal(act, c.act_norm) and np.array_equal(grad, c.grad_norm)
    for n, c in zip(scene.grad_at_layer0, t.depth):
        assert np.isclose(shown(n), c.grad_norm[0], rtol=5e-3)
    for n, c in zip(scene.rel_change_numbers, t.depth_near_zero):
        assert shown(n) == r2(c.rel_change)
