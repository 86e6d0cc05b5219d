"""The depth lesson draws the core's numbers, and its words follow them (dry runs: nothing is drawn or encoded).

Curves are read back from what is drawn: each y tick label's text ("10⁻²") and position give the log scale, each
x tick label's text and position the layer axis, and every corner of a curve is turned back into (layer, value).
"""

import re
from dataclasses import replace

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, fake_curve  # noqa: E402
from kit.text import parse_scientific, scientific  # noqa: E402

SUPER = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
LONG = ("Extraordinarily complicated sentences sometimes contain unbelievably lengthy words that challenge "
        "typesetting algorithms considerably, honestly.")
CONFIGS = {
    "default": ({}, (854, 480)),
    "short": (SENTENCES["short"], (854, 480)),
    "d32-vertical": ({"BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"}, (480, 854)),
    "d4-square": ({"BLOCKMATH_D_MODEL": "4", "BLOCKMATH_SEED": "3"}, (480, 480)),
    # no collapse of the gradient at layer 0 without the residual (it is 2.35 times pre-norm's): the words must say so
    "long-d32": ({"BLOCKMATH_SENTENCE": LONG, "BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"}, (854, 480)),
    "one-token": ({"BLOCKMATH_SENTENCE": "Supercalifragilistic"}, (480, 480)),
}


def recording(scene_cls):
    """The scene, with every caption it shows kept in .said."""

    class Recording(scene_cls):
        def swap_caption(self, s, *args, **kwargs):
            self.__dict__.setdefault("said", []).append(s)
            return super().swap_caption(s, *args, **kwargs)

        def near_zero(self):
            self.before_near_zero = set(map(id, self.mobjects))
            return super().near_zero()

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
    """The power of ten a y tick label shows: "1" → 0, "10" → 1, "10⁻⁴" → −4, "≤10⁻²⁰" (a floor) → −20."""
    label = label.removeprefix("≤")
    return {"1": 0.0, "10": 1.0}[label] if label in ("1", "10") else float(label[2:].translate(SUPER))


def read_back(plot, curve):
    """(layers, values) at the corners of a drawn curve, read with the axes' tick labels."""
    ax, bx = tick_scale(plot.xlabels, 0, float)
    ay, by = tick_scale(plot.ylabels, 1, exponent)
    corners = np.concatenate([curve.points[:1], curve.points[3::4]])
    layers, values = ax * corners[:, 0] + bx, 10.0 ** (ay * corners[:, 1] + by)
    order = np.argsort(layers)
    return layers[order], values[order]


def plots(scene, t):
    """(plot, curves, what each curve must show) for the token plot (two or more tokens) and the gradient plot."""
    out = [(scene.grads.plot, scene.grads.curves, {c.label: c.weight_grad_norm for c in t.depth})]
    if len(t.tokens) > 1:
        out.append((scene.gaps.plot, scene.gaps.curves, {c.label: c.gap_drawn for c in t.depth}))
    return out


@pytest.mark.parametrize("name", list(CONFIGS))
def test_curves_drawn_are_the_traces_numbers(monkeypatch, runs, name):
    scene, t = run(monkeypatch, runs, name)
    assert hasattr(scene, "gaps") == (len(t.tokens) > 1)  # one token: no pair, no token plot
    for plot, curves, expected in plots(scene, t):
        assert set(curves) == {c.label for c in t.depth}
        for label, want in expected.items():
            layers, values = read_back(plot, curves[label])
            assert np.allclose(layers, np.arange(t.config.depth), atol=1e-6)
            assert np.allclose(values, want, rtol=1e-6), label
            area = plot.area  # every corner inside the axes
            pts = curves[label].points
            assert pts[:, 0].min() >= area.left - 1e-6 and pts[:, 0].max() <= area.right + 1e-6
            assert pts[:, 1].min() >= area.bottom - 1e-6 and pts[:, 1].max() <= area.top + 1e-6


def test_the_token_plot_floors_what_is_one_direction_and_says_so(monkeypatch, runs):
    from blockmath.depth import GAP_FLOOR

    scene, t = run(monkeypatch, runs, "default")
    plain = t.depth[2]
    assert plain.token_gap[-1] < GAP_FLOOR  # without the residual the tokens end up one direction
    labels = [m.text_info.source for m in scene.gaps.plot.ylabels]
    assert labels[0] == "≤10⁻²⁰" and all(not s.startswith("≤") for s in labels[1:])
    assert scene.gaps.table.rows[plain.label][2].text_info.source == "≤ 10⁻²⁰"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_readouts_and_bars_show_the_trace(monkeypatch, runs, name):
    from depth import color, gap_text

    scene, t = run(monkeypatch, runs, name)
    for c in t.depth:
        _, v0, vt = scene.grads.table.rows[c.label]
        for drawn, value in ((v0, c.weight_grad_norm[0]), (vt, c.weight_grad_norm[-1])):
            assert drawn.text_info.source == scientific(value)
            assert parse_scientific(drawn.text_info.source) == pytest.approx(value, rel=5e-3, abs=5e-3)
        if len(t.tokens) > 1:
            _, g0, gt = scene.gaps.table.rows[c.label]
            assert [g0.text_info.source, gt.text_info.source] == [gap_text(c.token_gap[0]), gap_text(c.token_gap[-1])]
    rows = scene.chart.rows
    one = scene.chart.one  # the dashed mark at ‖out − x‖ / ‖x‖ = 1
    unit = one.get_x() - rows[0].full.get_left()[0]  # scene units per 1
    for row, full, near in zip(rows, t.depth, t.depth_near_zero):
        for bar, value, c in ((row.full, row.full_value, full), (row.near, row.near_value, near)):
            assert bar.width == pytest.approx(max(c.rel_change * unit, 0.02), rel=1e-6)  # 0.02: the thinnest bar
            assert value.text_info.source == scientific(c.rel_change)
            assert bar.get_fill_color().to_hex() == color(c).to_hex()  # each bar in its stack's colour, as the key
    key = scene.chart.frame[1]  # the key: per bar kind, a swatch in each stack's colour
    for entry in key:
        assert [r.get_fill_color().to_hex() for r in entry[0]] == [color(c).to_hex() for c in t.depth]


def test_post_norm_takes_the_no_residual_rows_place_and_nothing_is_left_dimmed(monkeypatch, runs):
    scene, t = run(monkeypatch, runs, "default")
    pre, post, plain = t.depth
    rows = scene.grads.table.rows
    assert rows[post.label][0].get_y() == pytest.approx(rows[plain.label][0].get_y())
    on_screen = scene.before_near_zero  # what the pre-vs-post beat ends with
    for m in (scene.grads.curves[plain.label], rows[plain.label]):
        assert id(m) not in on_screen
    for m in (scene.grads.curves[pre.label], scene.grads.curves[post.label], rows[pre.label], rows[post.label]):
        assert id(m) in on_screen


def numbers_in(s: str) -> list[float]:
    """Every number a caption states ("5.7", "2.3 × 10⁴"), in order."""
    found = re.findall(r"\d+(?:\.\d+)?(?: × 10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?", s)
    return [parse_scientific(x) for x in found]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_captions_say_what_the_numbers_show(monkeypatch, runs, name):
    from depth import (near_zero_words, path_words, plain_gap_words, plain_words, post_gap_words, post_words,
                       pre_gap_words, pre_words, takeaway_points, warmup_words)

    scene, t = run(monkeypatch, runs, name)
    pre, post, plain = t.depth
    L = t.config.depth
    expected = [*[s for s, _ in path_words()], *plain_words(t.depth_plain_over_pre, plain, L), pre_words(pre, L),
                f"Post-norm, same weights: {post_words(post, L)}", *[s for s, _ in warmup_words(t.depth_post_over_pre, post, L)],
                *[s for s, _ in near_zero_words(t.depth_near_zero)]]
    if len(t.tokens) > 1:
        expected += [plain_gap_words(plain, L), pre_gap_words(pre, L), post_gap_words(post, L)]
    else:
        expected.append(next(s for s in scene.said if "no pair" in s))
        assert not any("1 − cos" in s for s in scene.said)
    assert sorted(expected) == sorted(s for s in scene.said if s in expected) and all(s in scene.said for s in expected)
    assert scene.summary.points == takeaway_points(pre, plain, t.depth_near_zero[0], t.depth_plain_over_pre, L)
    drawn = " ".join(m.text_info.source for m in scene.summary.get_family() if getattr(m, "text_info", None))
    for point in scene.summary.points:  # every point is on screen, wrapped
        assert all(word in drawn for word in point.split())
    text = " ".join(scene.said)
    r = t.depth_plain_over_pre
    assert ("collapses" in text) == (r <= 0.01) and ("shrinks to" in text) == (0.01 < r <= 0.5)
    assert ("did not shrink" in text) == (r > 0.5)
    if "collapses" in text or "shrinks to" in text or "did not shrink" in text:
        assert any(v == pytest.approx(r, rel=0.06) for v in numbers_in(plain_words(r, plain, L)[0]))
    assert ("grow toward the output" in text) == (post.weight_trend == "grows")
    assert ("warm-up (Xiong" in text) == (t.depth_post_over_pre >= 2)
    assert ("every layer gets at least half" in text) == (pre.weakest_over_top >= 0.5)
    assert ("the tokens stay apart" in text) == (len(t.tokens) > 1 and pre.closest_gap >= 0.01)


def test_the_long_sentence_at_d32_says_the_gradient_did_not_shrink(monkeypatch, runs):
    """The reviewer's case: no residual's layer-0 gradient is larger than pre-norm's; the lesson must not say
    collapse, and it points at the forward pass, where the tokens did become one direction."""
    scene, t = run(monkeypatch, runs, "long-d32")
    assert t.depth_plain_over_pre > 1
    text = " ".join(scene.said)
    assert "collapse" not in text and "did not shrink" in text and "harm here is in the forward pass" in text
    assert "grow toward the output" not in text  # post-norm's top is within 2× of its layer 0 here


def test_words_follow_the_numbers_in_every_case():
    from depth import (plain_gap_words, plain_words, post_gap_words, post_words, pre_gap_words, pre_words,
                       takeaway_points, warmup_words)

    t = expected_trace({})
    pre, post, plain = t.depth
    near_pre = t.depth_near_zero[0]
    # forward: the tokens
    assert "from layer 1 on the tokens all point one way" in plain_gap_words(fake_curve(plain, gap=[0.5, 1e-3, 1e-25]), 3)
    assert "1 − cos is ≤ 10⁻²⁰" in plain_gap_words(fake_curve(plain, gap=[0.5, 1e-3, 1e-25]), 3)
    assert "1 − cos is 1.00 × 10⁻⁵" in plain_gap_words(fake_curve(plain, gap=[0.5, 1e-3, 1e-5]), 3)
    assert "still differ at layer 2" in plain_gap_words(fake_curve(plain, gap=[0.5, 1e-3, 0.2]), 3)
    assert "stay apart: 1 − cos is at least 0.30" in pre_gap_words(fake_curve(pre, gap=[0.5, 0.3, 0.4]), 3)
    assert "point one way, from layer 1 on" in pre_gap_words(fake_curve(pre, gap=[0.5, 1e-3, 1e-4]), 3)
    dips = pre_gap_words(fake_curve(pre, gap=[0.5, 1e-3, 0.4]), 3)
    assert "dips to 1.00 × 10⁻³" in dips and "apart" not in dips and "one way" not in dips
    assert "from layer 2 on" in post_gap_words(fake_curve(post, gap=[0.5, 0.3, 1e-4]), 3)
    assert "keeps them apart too" in post_gap_words(fake_curve(post, gap=[0.5, 0.3, 0.4]), 3)
    assert "dips to" in post_gap_words(fake_curve(post, gap=[0.5, 1e-3, 0.4]), 3)
    # backward: what reaches layer 0, compared with pre-norm
    assert plain_words(1e-4, plain, 48) == [
        "Without the residual, layer 0's gradient has passed back through 47 blocks: it collapses to 1.00 × 10⁻⁴ of "
        "pre-norm's."]
    assert "shrinks to 0.23 of pre-norm's" in plain_words(0.23, plain, 48)[0]
    assert "shrinks to 0.012 of pre-norm's" in plain_words(0.0119, plain, 48)[0]  # 'Hello world'
    # lower bounds are rounded down, never up: 0.4796 is "at least 0.47", not 0.48
    assert "1 − cos is at least 0.47 at every layer" in pre_gap_words(fake_curve(pre, gap=[0.5, 0.4796, 0.6]), 3)
    assert "no layer gets less than 0.39 of" in pre_words(fake_curve(pre, [3.0, 0.3996, 1.0]), 3)
    assert "1 − cos ≥ 0.47" in takeaway_points(fake_curve(pre, [1.0, 0.8, 1.0], [0.5, 0.4796, 0.6]), plain, near_pre, 1.0, 3)[0]

    grown = plain_words(2.35, fake_curve(plain, gap=[0.5, 1e-3, 1e-9]), 48)
    assert "did not shrink here: it is 2.4 times pre-norm's" in grown[0] and "from layer 1 on" in grown[1]
    assert len(plain_words(1.14, fake_curve(plain, gap=[0.5, 0.3, 0.2]), 48)) == 1  # no forward harm to point at
    assert "at least half" in pre_words(fake_curve(pre, [3.0, 0.6, 1.0]), 3)
    assert "no layer gets less than 0.40" in pre_words(fake_curve(pre, [3.0, 0.4, 1.0]), 3)
    assert "grow" in post_words(fake_curve(post, [0.1, 1.0, 1.0]), 3)
    assert "shrink" in post_words(fake_curve(post, [1.0, 1.0, 0.1]), 3)
    flat = post_words(fake_curve(post, [18.42, 30.0, 13.19]), 48)  # the long sentence at d 32
    assert "grow" not in flat and "shrink" not in flat and "within 2×" in flat
    # warm-up: named with post-norm's growth where there is one, the comparison at the top layer always
    grows = [s for s, _ in warmup_words(5.7, fake_curve(post, [0.1, 1.0, 4.0]), 48)]
    assert "5.7 times pre-norm's" in grows[0] and grows[1].startswith("Growing toward the output") and \
        "warm-up (Xiong" in grows[1]
    flat_top = [s for s, _ in warmup_words(5.3, fake_curve(post, [18.42, 30.0, 13.19]), 48)]
    assert "Growing" not in " ".join(flat_top) and flat_top[1].startswith("Large top-layer gradients")
    assert not any("warm-up (Xiong" in s for s, _ in warmup_words(1.5, post, 48))
    # the summary
    points = takeaway_points(fake_curve(pre, [1.0, 0.8, 1.0], [0.5, 0.3, 0.4]), fake_curve(plain, gap=[0.5, 1e-3, 1e-9]),
                             near_pre, 1e-5, 3)
    assert len(points) == 3
    assert "stay apart: 1 − cos ≥ 0.30; without it, they all point one way from layer 1 on" in points[0]
    assert "at least half of layer 2's gradient; without it, layer 0 gets 1.00 × 10⁻⁵ of pre-norm's" in points[1]
    assert "starts as (almost) the identity" in points[2]
    points = takeaway_points(fake_curve(pre, [1.0, 0.1, 1.0], [np.nan] * 3), fake_curve(plain, gap=[np.nan] * 3),
                             replace(near_pre, rel_change=0.5), 2.0, 3)
    assert len(points) == 2 and "no layer gets less than 0.10" in points[0] and "without it" not in points[0]
    assert "still moves x by 0.50" in points[1]


def test_every_caption_fits_its_lines(monkeypatch, runs):
    """The bottom keeps 2 caption lines free in a wide frame and 3 in a tall one: no caption may need more."""
    from depth import nobreak

    from kit.widgets import wrap

    for name, (_, size) in CONFIGS.items():
        scene, _ = run(monkeypatch, runs, name)
        w, h = size
        width = (8.0 * w / h if w >= h else 8.0) - 0.6
        lines = 2 if w > h * 1.05 else 3
        for s in scene.said:
            assert len(wrap(nobreak(s), 26, width)) <= lines, (name, s)


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
