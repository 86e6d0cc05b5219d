"""The residual lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, r2  # noqa: E402
from kit.text import shown  # noqa: E402


@pytest.mark.parametrize("name", list(SENTENCES))
def test_residual_scene_shows_the_trace(monkeypatch, name):
    from residual import ResidualScene

    env = SENTENCES[name]
    scene, t = dry_run(ResidualScene, monkeypatch, env), expected_trace(env)
    s = t.sweep
    assert scene.trace.tokens == t.tokens
    assert np.allclose(scene.h_panel.values_shown(), r2(s.h), atol=1e-9)
    assert np.allclose(scene.d_panel.values_shown(), r2(s.delta), atol=1e-9)
    assert set(scene.shown_at) == {0.0, *t.config.lambdas}
    for lam, values in scene.shown_at.items():
        assert np.allclose(values, r2(s.out[s.index(lam)]), atol=1e-9), lam
    assert np.allclose(scene.shown_at[0.0], r2(s.h))  # λ = 0: the identity, on screen
    assert np.allclose(scene.o_panel.values_shown(), r2(s.delta))  # the replace panel shows Δ
    cos_add, cos_replace = (shown(row[-1]) for row in scene.compare)
    assert cos_add == r2(s.cos_to_h[s.index(1.0)]) and cos_replace == r2(s.replace_cos)
