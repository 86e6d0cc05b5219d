"""The ffn lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, r2  # noqa: E402
from kit.text import shown  # noqa: E402


@pytest.mark.parametrize("name", list(SENTENCES))
def test_ffn_scene_shows_the_trace(monkeypatch, name):
    from ffn import FFNScene

    env = SENTENCES[name]
    scene, t = dry_run(FFNScene, monkeypatch, env), expected_trace(env)
    b, i = t.block, t.tracked
    assert np.allclose(np.ravel(scene.in_vec.values_shown()), r2(b.ln2[i], 1), atol=1e-9)
    assert np.allclose(np.ravel(scene.out_vec.values_shown()), r2(b.ffn_out[i], 1), atol=1e-9)
    assert np.allclose(scene.outputs.values_shown(), r2(b.ffn_out, 1), atol=1e-9)
    assert [shown(n) for n in scene.top_numbers] == list(r2(b.ffn_post[i][list(t.ffn_top_units)]))
