"""The depth lesson draws the core's numbers, and its words follow them (dry runs: nothing is drawn or encoded).

Curves are read back from what is drawn: each y tick label's text ("10⁻²") and position give the log scale, each
x tick label's text and position the layer axis, and every corner of a curve is turned back into (layer, value).
"""

import re
from dataclasses import replace

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace  # noqa: E402
from kit.text import parse_scientific, scientific  # noqa: E402

SUPER = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
CONFIGS = {
    "default": ({}, (854, 480)),
    "short": (SENTENCES["short"], (854, 480)),
    "d32-vertical": ({"BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"}, (480, 854)),
    "d4-square": ({"BLOCKMATH_D_MODEL": "4", "BLOCKMATH_SEED": "3"}, (480, 480)),
}


def recording(scene_cls):
    """The scene, with every caption it shows kept in .said."""

    class Recording(scene_cls):
        def swap_caption(self, s, *args, **kwargs):
            self.__dict__.setdefault("said", []).append(s)
            return super().swap_caption(s, *args, **kwargs)

    return Recording


@pytest.fixture(scope="module")
def runs():
    return {}


def run(monkeypatch, runs, name):
    if name not in runs:
        from depth import DepthScene

        env, size = CONFIGS[name]
        runs[name] = (dry_run(recording(DepthScene), monkeypatch, env, size), expected_trace(env))
    return runs[name]


def tick_scale(labels, axis: int, value):
    """(a, b) with value(label) = a · coordinate + b, fitted through every tick label's centre."""
    coords = np.array([m.get_center()[axis] for m in labels])
    values = np.array([value(m.text_info.source) for m in labels])
    a, b = np.polyfit(coords, values, 1)
    assert np.allclose(a * coords + b, values, atol=1e-6)  # the labels sit on one straight scale
    return a, b


def exponent(label: str) -> float:
    """The power of ten a y tick label shows: "1" → 0, "10" → 1, "10⁻⁴" → −4."""
    return {"1": 0.0, "10": 1.0}[label] if label in ("1", "10") else float(label[2:].translate(SUPER))


def read_back(plot, curve):
    """(layers, values) at the corners of a drawn curve, read with the axes' tick labels."""
    ax, bx = tick_scale(plot.xlabels, 0, float)
    ay, by = tick_scale(plot.ylabels, 1, exponent)
    corners = np.concatenate([curve.points[:1], curve.points[3::4]])
    layers, values = ax * corners[:, 0] + bx, 10.0 ** (ay * corners[:, 1] + by)
    order = np.argsort(layers)
    return layers[order], values[order]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_curves_drawn_are_the_traces_weight_gradients(monkeypatch, runs, name):
    scene, t = run(monkeypatch, runs, name)
    assert set(scene.curves) == {c.label for c in t.depth}
    for c in t.depth:
        layers, values = read_back(scene.plot, scene.curves[c.label])
        assert np.allclose(layers, np.arange(t.config.depth), atol=1e-6)
        assert np.allclose(values, c.weight_grad_norm, rtol=1e-6), c.label
        area = scene.plot.area  # every corner inside the axes
        pts = scene.curves[c.label].points
        assert pts[:, 0].min() >= area.left - 1e-6 and pts[:, 0].max() <= area.right + 1e-6
        assert pts[:, 1].min() >= area.bottom - 1e-6 and pts[:, 1].max() <= area.top + 1e-6


@pytest.mark.parametrize("name", list(CONFIGS))
def test_readouts_and_bars_show_the_trace(monkeypatch, runs, name):
    scene, t = run(monkeypatch, runs, name)
    for c in t.depth:
        _, v0, vt = scene.table.rows[c.label]
        for drawn, value in ((v0, c.weight_grad_norm[0]), (vt, c.weight_grad_norm[-1])):
            assert drawn.text_info.source == scientific(value)
            assert parse_scientific(drawn.text_info.source) == pytest.approx(value, rel=5e-3, abs=5e-3)
    rows = scene.chart.rows
    one = scene.chart.one  # the dashed mark at ‖out − x‖ / ‖x‖ = 1
    unit = one.get_x() - rows[0].full.get_left()[0]  # scene units per 1
    for row, full, near in zip(rows, t.depth, t.depth_near_zero):
        for bar, value, c in ((row.full, row.full_value, full), (row.near, row.near_value, near)):
            assert bar.width == pytest.approx(max(c.rel_change * unit, 0.02), rel=1e-6)  # 0.02: the thinnest bar
            assert value.text_info.source == scientific(c.rel_change)


def test_the_weakest_layer_is_marked_on_the_no_residual_curve(monkeypatch, runs):
    scene, t = run(monkeypatch, runs, "default")
    plain = t.depth[2]
    layers, values = read_back(scene.plot, scene.curves[plain.label])
    k = int(np.argmin(values))
    assert k == plain.weakest_layer
    corner = np.concatenate([scene.curves[plain.label].points[:1], scene.curves[plain.label].points[3::4]])
    assert any(np.allclose(scene.weakest.get_center()[:2], p[:2]) for p in corner)


def numbers_in(s: str) -> list[float]:
    """Every number a caption states ("5.7", "2.3 × 10⁴"), in order."""
    found = re.findall(r"\d+(?:\.\d+)?(?: × 10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?", s)
    return [parse_scientific(x) for x in found]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_captions_say_what_the_numbers_show(monkeypatch, runs, name):
    from depth import near_zero_words, plain_words, post_words, pre_words, takeaway_words, warmup_words

    scene, t = run(monkeypatch, runs, name)
    pre, post, plain = t.depth
    L = t.config.depth
    said = scene.said
    expected = [plain_words(plain, L), pre_words(pre, L), post_words(post, L),
                *[s for s, _ in warmup_words(t.depth_post_over_pre, L)],
                *[s for s, _ in near_zero_words(t.depth_near_zero)], takeaway_words(pre, t.depth_near_zero[0])]
    for s in expected:
        assert s in said
    # the ratios stated are the trace's, rounded as drawn
    text = " ".join(said)
    if "collapses" in text or "shrinks" in text:
        k, r = plain.weakest_layer, 1 / plain.weakest_over_top
        stated = numbers_in(plain_words(plain, L))
        assert stated[0] == k and stated[1] == pytest.approx(r, rel=0.06) and stated[2] == L - 1
    if "grow toward the output" in text:
        assert post.weight_trend == "grows"
        assert numbers_in(post_words(post, L))[1] == pytest.approx(post.top_over_bottom, rel=0.06)
    if "warm-up (Xiong" in text:
        assert t.depth_post_over_pre >= 2
    if "every layer gets at least half" in pre_words(pre, L):
        assert pre.weakest_over_top >= 0.5


def fake(curve, w):
    """A curve with other weight-gradient norms (what the words depend on)."""
    return replace(curve, weight_grad_norm=np.asarray(w, dtype=float))


def test_words_follow_the_numbers_in_every_case():
    from depth import plain_words, post_words, pre_words, takeaway_words, warmup_words

    t = expected_trace({})
    pre, post, plain = t.depth
    assert "collapses" in plain_words(fake(plain, [1e-4, 1e-2, 1.0]), 3)
    assert "layer 0's is 1.0 × 10⁴ times smaller than layer 2's" in plain_words(fake(plain, [1e-4, 1e-2, 1.0]), 3)
    assert "shrinks" in plain_words(fake(plain, [1.0, 0.1, 1.0]), 3) and "layer 1's" in plain_words(
        fake(plain, [1.0, 0.1, 1.0]), 3)
    assert "at least half" in plain_words(fake(plain, [0.8, 1.0, 1.0]), 3)
    assert "at least half" in pre_words(fake(pre, [3.0, 0.6, 1.0]), 3)
    assert "at least half" not in pre_words(fake(pre, [3.0, 0.4, 1.0]), 3)
    assert "grow" in post_words(fake(post, [0.1, 1.0, 1.0]), 3)
    assert "shrink" in post_words(fake(post, [1.0, 1.0, 0.1]), 3)
    flat = post_words(fake(post, [1.0, 0.01, 1.5]), 3)
    assert "grow" not in flat and "shrink" not in flat and "within 2×" in flat
    assert any("warm-up (Xiong" in s for s, _ in warmup_words(2.5, 48))
    assert not any("warm-up (Xiong" in s for s, _ in warmup_words(1.5, 48))
    near_pre = t.depth_near_zero[0]
    assert "start near zero" in takeaway_words(pre, near_pre)
    assert "start near zero" not in takeaway_words(pre, replace(near_pre, rel_change=0.5))
    assert "reach every layer" not in takeaway_words(fake(pre, [1.0, 0.1, 1.0]), near_pre)
    assert "start near zero" in takeaway_words(fake(pre, [1.0, 0.1, 1.0]), near_pre)


def test_every_caption_fits_its_lines(monkeypatch, runs):
    """The bottom keeps 2 caption lines free in a wide frame and 3 in a tall one: no caption may need more."""
    from kit.widgets import wrap

    for name, (_, size) in CONFIGS.items():
        scene, _ = run(monkeypatch, runs, name)
        w, h = size
        width = (8.0 * w / h if w >= h else 8.0) - 0.6
        lines = 2 if w > h * 1.05 else 3
        for s in scene.said:
            assert len(wrap(s, 26, width)) <= lines, (name, s)


class StraightLineCheck:
    """The layout audit measures overlap by bounding boxes, so a perfectly vertical or horizontal line (a box of zero
    width or height) is never seen crossing a text. This stricter check runs after every play: no such line may run
    through a text unless the text sits on an opaque backing drawn over the line."""

    def __init__(self):
        self.crossings = set()

    def observe(self, scene, moment):
        from kit.audit import EPS, Auditor, _curve_points, _segments_hit, _within

        if moment != "end":
            return
        texts, strokes, fills = Auditor().collect(scene)
        opaque = [f for f in fills if f.mob.get_fill_opacity() >= 0.95]
        for s in strokes:
            if min(np.ptp(s.box, axis=0)) > 1e-9:
                continue  # not a straight axis-parallel line: the audit sees it
            for t in texts:
                inner = t.box + np.array([[EPS, EPS], [-EPS, -EPS]])
                if not any(_segments_hit(p, inner) for p in _curve_points(s.mob.points)):
                    continue
                if any(_within(t.box, f.box, EPS) and f.order > s.order for f in opaque):
                    continue
                self.crossings.add((scene.beat_name, t.mob.text_info.source))

    def finish(self, scene):
        pass


@pytest.mark.parametrize("size", [(854, 480), (480, 854), (480, 480)])
def test_no_straight_line_runs_through_a_text(monkeypatch, size):
    from depth import DepthScene

    check = StraightLineCheck()
    monkeypatch.setattr(DepthScene, "auditor", check)
    dry_run(DepthScene, monkeypatch, {}, size)
    assert not check.crossings
