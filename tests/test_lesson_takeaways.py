"""The takeaways lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import dry_run, expected_trace, r2  # noqa: E402


def test_takeaways_scene_shows_the_trace(monkeypatch):
    from takeaways import TakeawaysScene

    scene, t = dry_run(TakeawaysScene, monkeypatch, {}), expected_trace({})
    s = t.sweep
    assert np.allclose(scene.res_bars.values_shown(), r2(s.out[s.index(1.0)]), atol=1e-9)
    # colours only (no numbers) in the small matrices: compare the fill colours with the trace's values
    from kit.matrices import value_color
    ln_colors = [c.get_fill_color().to_hex() for c in scene.ln_matrix.cells]
    assert ln_colors == [value_color(v, scene.ln_matrix.vmax).to_hex() for v in t.layernorm.out.ravel()]
    out_colors = [c.get_fill_color().to_hex() for c in scene.ffn_outputs.cells]
    assert out_colors == [value_color(v, scene.ffn_outputs.vmax).to_hex() for v in t.block.ffn_out.ravel()]
