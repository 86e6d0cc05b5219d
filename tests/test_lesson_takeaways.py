"""The takeaways lesson: four panels that fill the frame, each visual drawn from the trace (dry runs)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import dry_run, expected_trace  # noqa: E402

SETTINGS = {
    "default": ({}, (854, 480)),
    "post-square": ({"BLOCKMATH_NORM": "post"}, (480, 480)),
    "long-d32-tall": ({"BLOCKMATH_SENTENCE": "one two three four five six seven eight nine ten eleven twelve "
                                            "thirteen fourteen fifteen sixteen", "BLOCKMATH_D_MODEL": "32",
                       "BLOCKMATH_N_HEADS": "4"}, (480, 854)),
}


@pytest.fixture(scope="module", params=list(SETTINGS))
def lesson(request):
    from takeaways import TakeawaysScene

    mp = pytest.MonkeyPatch()
    env, size = SETTINGS[request.param]
    said = []
    swap = TakeawaysScene.swap_caption
    mp.setattr(TakeawaysScene, "swap_caption", lambda self, s, *a, **k: said.append(s) or swap(self, s, *a, **k))
    try:
        scene = dry_run(TakeawaysScene, mp, env, size)
        scene.said = said
        scene.frame_size = (8.0 * size[0] / min(size), 8.0 * size[1] / min(size))  # the short side is 8 units
        yield scene, expected_trace(env)
    finally:
        mp.undo()


def colors(m):
    return [c.get_fill_color().to_hex() for c in m.cells]


def expected_colors(m, values):
    from kit.matrices import value_color

    return [value_color(values[r, c], m.vmax).to_hex() for r in m.rows_shown for c in m.cols_shown]


def test_matrices_show_the_trace(lesson):
    scene, t = lesson
    assert colors(scene.ln_before) == expected_colors(scene.ln_before, t.block.x)
    assert colors(scene.ln_after) == expected_colors(scene.ln_after, t.layernorm.out)
    assert colors(scene.ffn_inputs) == expected_colors(scene.ffn_inputs, t.block.ln2)  # LN₂(h) pre-norm, h post-norm
    assert colors(scene.ffn_outputs) == expected_colors(scene.ffn_outputs, t.block.ffn_out)
    from kit.names import names

    heads = [m.text_info.source for m in scene.ffn_panel.get_family() if getattr(m, "text_info", None)]
    assert names(t.config.norm).ln2 in heads and names(t.config.norm).mlp in heads  # named as the placement names them


def test_residual_panel_stacks_delta_on_h(lesson):
    scene, t = lesson
    s, bars = t.sweep, scene.res_bars
    i1 = s.index(1.0)
    assert np.array_equal(bars.result_shown, s.out[i1]) and np.array_equal(bars.base_shown, s.h)
    x0, k = bars._frame()
    unit = bars.bar_max / bars.scale_ * k
    for j, d in enumerate(bars.dims):
        step = bars.steps[j].points[:, 0]
        assert (step.min(), step.max()) == pytest.approx(tuple(sorted((x0 + s.h[d] * unit, x0 + s.out[i1][d] * unit))),
                                                         abs=1e-3)


def test_gradient_panel_reads_the_depth_trace(lesson):
    from kit.text import scientific

    scene, t = lesson
    norm = t.config.norm
    with_res = next(c for c in t.depth if c.skip and c.norm == norm)
    without = next(c for c in t.depth if not c.skip)
    assert scene.with_res.label == with_res.label and scene.without.label == without.label
    assert scene.chart.shown == [scientific(with_res.grad_norm[0]), scientific(without.grad_norm[0])]
    drawn = [m.text_info.source for m in scene.chart.values]
    assert drawn[0].startswith(scientific(with_res.grad_norm[0]) + " with") and drawn[1].startswith(
        scientific(without.grad_norm[0]) + " without")
    heights = []
    for curve, c in zip(scene.chart.curves, (with_res, without)):
        corners = np.vstack([curve.points[::4], curve.points[-1:]])  # one per layer, in drawing order
        assert len(corners) == len(c.grad_norm) and np.all(np.diff(corners[:, 0]) < 0)  # top layer first, to layer 0
        heights.append((corners[::-1, 1], np.log10(c.grad_norm)))
    ys = np.concatenate([h for h, _ in heights])
    logs = np.concatenate([g for _, g in heights])
    assert np.corrcoef(ys, logs)[0, 1] == pytest.approx(1.0, abs=1e-9)  # one log axis for both curves
    assert f"{scene.chart.shown[0]} with the residual and {scene.chart.shown[1]} without it" in " ".join(scene.said)


def test_panels_fill_the_band_and_the_last_words_cover_the_set(lesson):
    from kit.style import MARGIN

    scene, t = lesson
    backs = [p.back for p in (scene.res_panel, scene.ln_panel, scene.ffn_panel, scene.grad_panel)]
    top = max(b.get_top()[1] for b in backs)
    bottom = min(b.get_bottom()[1] for b in backs)
    left = min(b.get_left()[0] for b in backs)
    right = max(b.get_right()[0] for b in backs)
    width, height = scene.frame_size
    assert right - left > 0.9 * (width - 2 * MARGIN)
    assert top - bottom > 0.5 * height  # the lower half is used too
    assert scene.header.get_bottom()[1] > top  # under the title
    last = scene.said[-1]
    assert "Attention" in last and "FFN" in last and "residual" in last
    assert "not attention" not in " ".join(scene.said)
