"""The norm-placement lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, r2  # noqa: E402


@pytest.mark.parametrize("name", ["default", "short"])
def test_norm_placement_scene_shows_the_trace(monkeypatch, name):
    from norm_placement import NormPlacementScene

    env = SENTENCES[name]
    scene, t = dry_run(NormPlacementScene, monkeypatch, env), expected_trace(env)
    for norm in ("pre", "post"):
        b = t.placements[norm]
        expected = [r2(b.x[t.tracked]), r2(b.h_attn[t.tracked]), r2(b.out[t.tracked])]
        assert np.allclose(np.array(scene.stream_values[norm], dtype=float), expected, atol=1e-9), norm
