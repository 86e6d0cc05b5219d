"""The block lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, r2  # noqa: E402


@pytest.mark.parametrize("name", ["default", "short"])
def test_block_scene_shows_the_trace(monkeypatch, name):
    from block import BlockScene

    env = SENTENCES[name]
    scene, t = dry_run(BlockScene, monkeypatch, env), expected_trace(env)
    b, i = t.block, t.tracked
    assert np.allclose(scene.shown_states, r2([b.x[i], b.h_attn[i], b.out[i]], 1), atol=1e-9)
    assert np.allclose(scene.update_rows, r2([b.attn_out[i], b.ffn_out[i]], 1), atol=1e-9)
