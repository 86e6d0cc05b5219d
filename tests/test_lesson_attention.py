"""The attention lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, r2  # noqa: E402
from kit.text import shown  # noqa: E402


@pytest.mark.parametrize("name", list(SENTENCES))
def test_attention_scene_shows_the_trace(monkeypatch, name):
    from attention import AttentionScene

    env = SENTENCES[name]
    scene, t = dry_run(AttentionScene, monkeypatch, env), expected_trace(env)
    w, i = t.block.attn_weights, t.tracked
    assert sorted(scene.weight_numbers) == list(range(min(2, w.shape[0])))
    for h, numbers in scene.weight_numbers.items():
        assert [shown(n) for n in numbers] == list(r2(w[h, i, : i + 1]))
    assert np.allclose(scene.update_vec.values_shown(), r2(t.block.attn_out[i]), atol=1e-9)
