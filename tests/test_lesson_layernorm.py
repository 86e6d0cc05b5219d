"""The layernorm lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, r2  # noqa: E402
from kit.text import shown  # noqa: E402


@pytest.mark.parametrize("name", list(SENTENCES))
def test_layernorm_scene_shows_the_trace(monkeypatch, name):
    from layernorm import LayerNormScene

    env = SENTENCES[name]
    scene, t = dry_run(LayerNormScene, monkeypatch, env), expected_trace(env)
    ln = t.layernorm
    assert np.allclose(scene.before.values_shown(), r2(t.block.x, 1), atol=1e-9)
    assert np.allclose(scene.after.values_shown(), r2(ln.out, 1), atol=1e-9)
    assert np.allclose(scene.row_bars.values_shown(), r2(ln.out[t.tracked]), atol=1e-9)
    assert np.allclose([shown(n) for n in scene.mu_numbers], r2(ln.mean), atol=1e-9)
    assert np.allclose([shown(n) for n in scene.sigma_numbers], r2(ln.std), atol=1e-9)
