"""The residual lesson shows the core's numbers, stacks λΔ onto h, and says only what is true (dry runs)."""

import re

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, on_screen, r2  # noqa: E402

NBSP = "\u00a0"

SETTINGS = {
    **{name: (env, (854, 480)) for name, env in SENTENCES.items()},
    "hello-post": ({"BLOCKMATH_SENTENCE": "Hello world", "BLOCKMATH_NORM": "post"}, (854, 480)),
    "odd-lambdas-square": ({"BLOCKMATH_LAMBDAS": "0 -1 3 0.25 0.25 -0.5"}, (480, 480)),
    "d32-tall": ({"BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4", "BLOCKMATH_LAMBDAS": "2 -4"}, (480, 854)),
}


def run(monkeypatch, env, size):
    """Dry-run the lesson, recording its captions and each λ stop in order (scene.timeline)."""
    from residual import ResidualScene

    timeline, raw = [], []
    swap, record = ResidualScene.swap_caption, ResidualScene.record

    def swap_caption(self, s, *args, **kwargs):
        timeline.append(("caption", s.replace(NBSP, " ")))  # read as words (no-break spaces are spaces)
        raw.append(s)
        return swap(self, s, *args, **kwargs)

    def record_(self, i):
        record(self, i)
        timeline.append(("at", float(self.trace.sweep.lam[i])))

    monkeypatch.setattr(ResidualScene, "swap_caption", swap_caption)
    monkeypatch.setattr(ResidualScene, "record", record_)
    scene = dry_run(ResidualScene, monkeypatch, env, size)
    scene.timeline, scene.raw_captions = timeline, raw
    return scene, expected_trace(env)


@pytest.fixture(scope="module", params=list(SETTINGS))
def lesson(request):
    mp = pytest.MonkeyPatch()
    env, size = SETTINGS[request.param]
    try:
        yield run(mp, env, size)
    finally:
        mp.undo()


def fmt(v):
    return f"{float(v):.2f}".replace("-", "−")


def lam_str(v):
    return f"{round(float(v), 2):g}".replace("-", "−")


def test_every_number_is_the_trace(lesson):
    scene, t = lesson
    s, dims = t.sweep, scene.hp.dims
    assert scene.trace.tokens == t.tokens
    assert dims == scene.h_bars.dims == scene.d_bars.dims
    assert np.allclose(scene.h_bars.values_shown(), r2(s.h[dims]), atol=1e-9)
    assert np.allclose(scene.d_bars.values_shown(), r2(s.delta[dims]), atol=1e-9)
    stops = {float(s.lam[s.index(v)]) for v in (0.0, 1.0, *t.config.lambdas)}
    assert set(scene.shown_at) == stops
    for lam, shown in scene.shown_at.items():
        i = s.index(lam)
        assert np.allclose(shown["bars"], r2(s.out[i][dims]), atol=1e-9), lam
        assert (shown["lam"], shown["ratio"], shown["cos"], shown["norm"]) == pytest.approx(
            (r2(s.lam[i]), r2(s.ratio[i]), r2(s.cos_to_h[i]), r2(s.norm[i])), abs=1e-9), lam
    assert np.allclose(scene.shown_at[0.0]["bars"], r2(s.h[dims]))  # λ = 0: the identity, on screen
    assert np.allclose(scene.shown_replace, r2(s.delta[dims]))  # replace: h′ is Δ
    assert scene.compare == (s.cos_to_h[s.index(1.0)], s.replace_cos)


def test_shown_values_re_add_under_the_shown_formula(lesson):
    """h′ = h + λ·Δ holds for the rounded numbers on screen (up to the rounding of each)."""
    scene, t = lesson
    h, d = np.array(scene.h_bars.values_shown()), np.array(scene.d_bars.values_shown())
    for lam, shown in scene.shown_at.items():
        assert np.all(np.abs(h + shown["lam"] * d - np.array(shown["bars"])) <= 0.005 * (2 + abs(lam)) + 1e-9)


def test_h_is_drawn_inside_h_prime(lesson):
    """The stacked bars: h's part runs from the axis to h, the step from h's tip to h′ (the last state drawn)."""
    scene, t = lesson
    s, hp = t.sweep, scene.hp
    x0, k = hp._frame()
    unit = hp.bar_max / hp.scale_ * k
    i1 = s.index(1.0)
    for j, d in enumerate(hp.dims):
        base = hp.bases[j].points[:, 0]
        step = hp.steps[j].points[:, 0]
        assert (min(base.min(), x0) == pytest.approx(min(x0, x0 + s.h[d] * unit), abs=1e-3)
                and max(base.max(), x0) == pytest.approx(max(x0, x0 + s.h[d] * unit), abs=1e-3))
        ends = sorted((x0 + s.h[d] * unit, x0 + s.out[i1][d] * unit))
        assert (step.min(), step.max()) == pytest.approx(tuple(ends), abs=1e-3)
        assert hp.ticks[j].points[:, 0] == pytest.approx(x0 + s.out[i1][d] * unit, abs=1e-9)


def test_replace_removes_h_from_h_prime(monkeypatch):
    """After the replace move, h's part has no length and the step runs from the axis to Δ."""
    from residual import ResidualScene

    taken = {}
    takeaway = ResidualScene.takeaway
    monkeypatch.setattr(ResidualScene, "takeaway", lambda self: taken.update(
        base=[b.width for b in self.hp.bases], step=[(st.get_left()[0], st.get_right()[0]) for st in self.hp.steps],
        strike=self.strike, x0=self.hp._frame()[0]) or takeaway(self))
    scene = dry_run(ResidualScene, monkeypatch, {})
    s, hp = scene.trace.sweep, scene.hp
    unit = hp.bar_max / hp.scale_ * hp._frame()[1]
    assert max(taken["base"]) < 0.01
    panel = scene.h_bars.extent  # the X stays on h's panel (it used to run to the frame's edge)
    assert taken["strike"].get_left()[0] >= panel.get_left()[0] - 1e-6
    assert taken["strike"].get_right()[0] <= panel.get_right()[0] + 1e-6
    for (lo, hi), d in zip(taken["step"], hp.dims):
        assert (lo, hi) == pytest.approx(tuple(sorted((taken["x0"], taken["x0"] + s.delta[d] * unit))), abs=1e-3)


def test_captions_change_as_each_move_starts_and_are_true(lesson):
    scene, t = lesson
    s, norm = t.sweep, t.config.norm
    at, last_caption, said = 0.0, None, []
    for kind, value in scene.timeline:
        if kind == "caption":
            last_caption = value
            said.append(value)
        elif value != at:  # a move ended at a new λ: the caption shown during it names that λ
            assert last_caption.startswith(f"λ → {lam_str(value)}:"), (value, last_caption)
            if value < 0:
                assert "subtracted" in last_caption
            at = value
    one = [c for c in said if c.startswith("λ → 1:")]
    assert one, "the block's real step is described"
    for c in one:
        if norm == "post":
            assert "LN₂(h + Δ)" in c and "post-norm" in c
        else:
            assert "out = h + Δ" in c and "LN₂(h + Δ)" not in c
    i1 = s.index(1.0)
    ratio, cos = s.ratio[i1], s.cos_to_h[i1]
    closing = said[-1]
    assert f"{fmt(ratio)}·‖h‖" in closing and f"cos {fmt(cos)}" in closing
    from kit.residualtext import size_word

    r = round(float(ratio), 2)  # the words follow the ratio as the caption shows it
    assert ("small" in closing) == (r < 0.3)  # called small only when it is
    assert ("shorter than h" in closing) == (0.3 <= r < 0.8)
    assert ("about as long as h" in closing) == (0.8 <= r <= 1.25)
    assert ("longer than h" in closing) == (r > 1.25)
    assert f"Δ is {size_word(ratio)} (" in closing
    allowed = {lam_str(v) for v in np.r_[s.lam, np.abs(s.lam)]} | {fmt(v) for v in (ratio, cos, s.replace_cos)} | {
        str(len(s.h)), "0", "1"}
    for c in said:  # every number in a caption is a trace value (or a subscript-free index like LN₂)
        for num in re.findall(r"−?\d+(?:\.\d+)?", c):
            assert num in allowed, (num, c)


def test_window_says_statistics_use_every_dimension(monkeypatch):
    scene, t = run(monkeypatch, {"BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"}, (854, 480))
    d = len(t.sweep.h)
    assert len(scene.hp.dims) < d and None in scene.hp.row_window
    notes = [m.text_info.source for m in scene.controls.get_family() if getattr(m, "text_info", None)]
    assert f"bars: {len(scene.hp.dims)} of {d} dimensions; ‖·‖ and cos use all {d}" in notes


def test_cancellation_is_told_only_when_drawn(monkeypatch):
    scene, t = run(monkeypatch, {}, (854, 480))
    told = [v for k, v in scene.timeline if k == "caption" and "cancel" in v]
    s = t.sweep
    lam = [v for v in t.config.lambdas if v != 0][0]
    against = [d for d in scene.hp.dims if np.sign(s.h[d]) * np.sign(lam * s.delta[d]) < 0]
    assert bool(told) == bool(against)


@pytest.mark.parametrize("ratio, word", [
    (0.0, "small next to h"), (0.29, "small next to h"), (0.294, "small next to h"), (0.296, "shorter than h"),
    (0.3, "shorter than h"), (0.47, "shorter than h"), (0.57, "shorter than h"), (0.79, "shorter than h"),
    (0.8, "about as long as h"), (1.0, "about as long as h"), (1.25, "about as long as h"),
    (1.26, "longer than h"), (3.0, "longer than h")])
def test_size_of_delta_is_graded_from_the_ratio(ratio, word):
    """Each branch of the takeaway's wording, decided on ‖Δ‖/‖h‖ rounded as the caption shows it."""
    from kit.residualtext import closing_line, size_word

    assert size_word(ratio) == word
    line = closing_line(ratio, 0.87).replace(NBSP, " ")
    assert f"Δ is {word} (‖Δ‖ = {fmt(round(ratio, 2))}·‖h‖)" in line and "cos 0.87" in line


def test_formulas_in_captions_are_not_broken(lesson):
    """Every operator in a caption is held to its operands by no-break spaces, so wrapping never splits a formula."""
    scene, t = lesson
    for c in scene.raw_captions:
        assert not re.search(r" [=+−←→]|[=+−←→] ", c), c


def test_all_panels_share_one_scale(lesson):
    """h, Δ and h′ draw a value with the same length: h's bars inside h′ are as long as h's own bars, and the
    largest |value| of h, Δ and every h′ of the sweep fits its panel."""
    scene, t = lesson
    s, hp, hb, db = t.sweep, scene.hp, scene.h_bars, scene.d_bars
    unit = hp.unit()
    assert hb.unit() == pytest.approx(unit, rel=1e-9) and db.unit() == pytest.approx(unit, rel=1e-9)
    for j, d in enumerate(hp.dims):  # measured on the drawn rectangles (the last state: λ = 1, base h)
        assert hb.bases[j].width == pytest.approx(abs(s.h[d]) * unit, abs=2e-3)
        assert db.bases[j].width == pytest.approx(abs(s.delta[d]) * unit, abs=2e-3)
        assert hp.bases[j].width == pytest.approx(hb.bases[j].width, abs=2e-3)
    for bars, values in ((hp, np.vstack([s.out, s.h, s.delta])), (hb, s.h), (db, s.delta)):
        k = bars._frame()[1]  # every value's bar stays within the panel's reach on its side (numbers lie beyond)
        assert max(values.max(), 0) * unit <= bars.span[1] * k + 1e-9
        assert max(-values.min(), 0) * unit <= bars.span[0] * k + 1e-9
        assert bars.extent.get_left()[0] <= bars._frame()[0] - bars.span[0] * k + 1e-6


def test_replace_heading_follows_what_is_drawn(monkeypatch):
    """While h′ shows Δ alone, its heading says h′ = Δ and no "+ λ ·" is on screen; adding brings both back."""
    from residual import ResidualScene

    def sources(group):
        return [m.text_info.source for m in group.get_family() if getattr(m, "text_info", None)]

    seen = {}
    takeaway = ResidualScene.takeaway
    monkeypatch.setattr(ResidualScene, "takeaway", lambda self: seen.update(replace=on_screen(self)) or takeaway(self))
    scene = dry_run(ResidualScene, monkeypatch, {})
    during, after = seen["replace"], on_screen(scene)
    assert sources(scene.o_head_replace)[:3] == ["h′", "=", "Δ"]
    assert not any("λ" in x or "+" in x for x in sources(scene.o_head_replace))
    assert id(scene.o_head_replace[0]) in during and id(scene.o_head[0]) not in during
    assert id(scene.plus) not in during  # nothing is added while h is replaced
    assert id(scene.o_head[0]) in after and id(scene.o_head_replace[0]) not in after and id(scene.plus) in after
    assert sources(scene.o_head)[:5] == ["h′", "=", "h", "+", "λ·Δ"]
