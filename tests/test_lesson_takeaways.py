"""The takeaways lesson: four panels that fill the frame, each visual drawn from the trace (dry runs)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import captions, dry_run, expected_trace, fake_curve  # noqa: E402

SETTINGS = {
    "default": ({}, (854, 480)),
    "post-square": ({"BLOCKMATH_NORM": "post"}, (480, 480)),
    "long-d32-tall": ({"BLOCKMATH_SENTENCE": "one two three four five six seven eight nine ten eleven twelve "
                                            "thirteen fourteen fifteen sixteen", "BLOCKMATH_D_MODEL": "32",
                       "BLOCKMATH_N_HEADS": "4"}, (480, 854)),
    # the reviewer's case: without the residual, layer 0's gradient does not shrink (2.35 times pre-norm's)
    "long-d32": ({"BLOCKMATH_SENTENCE": "Extraordinarily complicated sentences sometimes contain unbelievably lengthy "
                                        "words that challenge typesetting algorithms considerably, honestly.",
                  "BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"}, (854, 480)),
    "one-token": ({"BLOCKMATH_SENTENCE": "Supercalifragilistic"}, (480, 480)),
}


@pytest.fixture(scope="module", params=list(SETTINGS))
def lesson(request):
    from takeaways import TakeawaysScene

    mp = pytest.MonkeyPatch()
    env, size = SETTINGS[request.param]
    said = captions(mp)
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
    assert colors(scene.ln_after) == expected_colors(scene.ln_after, t.layernorm.normalized)  # (x − μ)/σ
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


def test_layernorm_panel_marks_the_tracked_row_and_its_key_is_true(lesson):
    scene, t = lesson
    z = t.layernorm.normalized
    if len(scene.ln_before.row_window) >= 5:  # room for the tracked row between two gaps
        assert t.tracked in scene.ln_before.rows_shown and t.tracked in scene.ln_after.rows_shown
    assert len(scene.ln_marks) == 2 * (t.tracked in scene.ln_before.rows_shown)
    for mark, m in zip(scene.ln_marks, (scene.ln_before, scene.ln_after)):
        assert np.allclose(mark.get_center(), m.row(t.tracked).get_center())
    assert scene.ln_key.source == "each row: mean 0, spread 1"
    assert np.all(np.round(z.mean(axis=1), 2) == 0) and np.all(np.round(z.std(axis=1), 2) == 1)  # as the key says


def test_the_ffn_panel_ends_with_one_row_in_and_the_same_row_out(lesson):
    scene, _ = lesson
    box_in, box_out, *links = scene.ffn_row
    r = scene.ffn_inputs.rows_shown[-1]
    assert np.allclose(box_in.get_center(), scene.ffn_inputs.row(r).get_center())
    assert np.allclose(box_out.get_center(), scene.ffn_outputs.row(r).get_center())
    assert all(abs(link.get_y() - scene.ffn_inputs.row(r).get_y()) < 1e-6 for link in links)
    assert scene.ffn_row in scene.mobjects  # still on screen at the end


def test_depth_panel_shows_what_the_depth_lesson_shows(lesson):
    """The same quantity as the depth lesson (1 − cos between tokens; one token: ‖∂loss/∂W‖), pre-norm with and
    without x + … (one factor at a time, whatever the norm placement rendered), on one log axis read from its ticks."""
    from kit.depthtext import depth_heading, depth_words
    from test_lesson_depth import read_back

    scene, t = lesson
    pre, _, plain = t.depth
    assert (scene.pre.label, scene.plain.label) == (pre.label, plain.label)
    tokens = len(t.tokens) > 1
    for curve, c in zip(scene.depth_curves, (pre, plain)):
        layers, values = read_back(scene.depth_plot, curve)
        assert np.allclose(layers, np.arange(t.config.depth), atol=1e-6)
        assert np.allclose(values, c.gap_drawn if tokens else c.weight_grad_norm, rtol=1e-6)
    title = scene.depth_plot.y_title.source
    assert title.startswith("1 − cos between tokens" if tokens else "‖∂loss/∂W‖ per layer")
    key = [m.text_info.source for m in scene.legend.get_family() if getattr(m, "text_info", None)]
    assert key in (["with x\u00a0+\u00a0…", "without"], ["x\u00a0+\u00a0…", "no x\u00a0+\u00a0…"])
    lines = depth_words(pre, plain, t.depth_plain_over_pre, t.config.depth, tokens)
    said = [s.replace("\u00a0", " ") for s in scene.said]
    assert all(line in said for line in lines)
    square = scene.frame_size[0] == scene.frame_size[1]
    heading = depth_heading(pre, plain, len(t.tokens))[1 if square else 0]
    assert scene.grad_panel.heading.source.replace("\u00a0", " ") == heading


def test_depth_words_follow_the_numbers():
    from kit.depthtext import depth_heading, depth_words

    pre, _, plain = expected_trace({}).depth
    apart, gone = fake_curve(pre, gap=[0.5, 0.3, 0.4]), fake_curve(plain, gap=[0.5, 1e-3, 1e-25])
    assert depth_heading(apart, gone, 11)[0] == "4. x + … keeps the tokens apart"
    assert depth_heading(fake_curve(pre, gap=[0.5, 1e-3, 0.4]), gone, 11)[0] == "4. Tokens through depth"
    assert depth_heading(apart, fake_curve(plain, gap=[0.5, 0.3, 0.2]), 11)[0] == "4. Tokens through depth"
    assert depth_heading(apart, gone, 1)[0] == "4. Gradients through depth"
    lines = depth_words(apart, gone, 1e-5, 48, True)
    assert lines == ["With x + …, the tokens stay apart through 48 pre-norm blocks: 1 − cos ≥ 0.30 at every layer.",
                     "Without x + …, they all point one way from layer 1 on.",
                     "Backward, without x + … layer 0's weight gradient collapses to 1.00 × 10⁻⁵ of pre-norm's."]
    assert "shrinks to 0.23" in depth_words(apart, gone, 0.23, 48, True)[2]
    assert len(depth_words(apart, gone, 2.35, 48, True)) == 2  # no gradient claim where it did not shrink
    assert "falls to 1.00 × 10⁻³" in depth_words(fake_curve(pre, gap=[0.5, 1e-3, 0.4]), gone, 2.0, 48, True)[0]
    assert "1 − cos is 0.20 at layer 47" in depth_words(apart, fake_curve(plain, gap=[0.5, 0.3, 0.2]), 2.0, 48, True)[1]
    one = depth_words(pre, plain, 1.44, 48, False)
    assert one == ["Backward through 48 pre-norm blocks, layer 0's weight gradient without x + … is 1.4 times "
                   "pre-norm's: it did not shrink here."]
    assert "collapses to" in depth_words(pre, plain, 1e-9, 48, False)[0]


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
