"""The attention lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, r2  # noqa: E402
from blockmath import layer_norm  # noqa: E402
from kit.minibars import MIN_BAR  # noqa: E402
from kit.text import shown  # noqa: E402

LONG = " ".join(f"{c}{'mw' * 11}{c.lower()}" for c in "WMABCDEFGHKNOPQR")  # 16 tokens of 24 characters
CASES = {
    **{name: (env, (854, 480)) for name, env in SENTENCES.items()},
    "learn": ({"BLOCKMATH_SENTENCE": "Small models learn quickly when the data is clean.",
               "BLOCKMATH_TOKEN": "learn"}, (854, 480)),
    "one-token": ({"BLOCKMATH_SENTENCE": "Hello"}, (854, 480)),
    "d32-4-heads-post": ({"BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4", "BLOCKMATH_NORM": "post"}, (854, 480)),
    "one-head": ({"BLOCKMATH_N_HEADS": "1"}, (480, 480)),
    "long-square": ({"BLOCKMATH_SENTENCE": LONG}, (480, 480)),
    "tall-post": ({"BLOCKMATH_NORM": "post"}, (480, 854)),
    "long-tall-middle": ({"BLOCKMATH_SENTENCE": LONG, "BLOCKMATH_TOKEN": "11", "BLOCKMATH_N_HEADS": "8"}, (480, 854)),
    "16-heads-square": ({"BLOCKMATH_SENTENCE": LONG, "BLOCKMATH_TOKEN": "12", "BLOCKMATH_D_MODEL": "32",
                         "BLOCKMATH_N_HEADS": "16"}, (480, 480)),
}


def rows_of(bars):
    """The dimensions a VectorBars shows (its window)."""
    return bars.dims


class Recorded:
    """The scene class, recording every caption it shows."""

    def __new__(cls):
        from attention import AttentionScene

        class Rec(AttentionScene):
            def beat(self, name):  # which notes are on screen when each beat starts
                family = self.get_mobject_family_members()
                status = getattr(self, "status", {})
                self.notes_at = {**getattr(self, "notes_at", {}), name: {k for k, m in status.items() if m in family
                                                                         and m.get_fill_opacity() > 0.5}}
                super().beat(name)

            def swap_caption(self, s, *args, **kwargs):
                self.captions = getattr(self, "captions", []) + [s]
                super().swap_caption(s, *args, **kwargs)

        return Rec


@pytest.fixture(scope="module", params=list(CASES))
def run(request):
    from kit.audit import Auditor

    env, size = CASES[request.param]
    mp, cls = pytest.MonkeyPatch(), Recorded()
    cls.auditor = Auditor()  # the layout audit watches the same run (these settings go beyond `make audit`'s)
    try:
        scene = dry_run(cls, mp, env, size=size)
        with manim.tempconfig({"pixel_width": size[0], "pixel_height": size[1]}):
            from kit.style import configure_frame

            configure_frame()  # the frame's shape, for the check that square and tall frames are filled
            cls.auditor.finish(scene)
    finally:
        mp.undo()
    scene.offences = cls.auditor.offences
    return scene, expected_trace(env), size


def test_layout_passes_the_audit(run):
    scene, _, _ = run
    assert [str(o) for o in scene.offences] == []


def test_weights_on_screen_are_the_trace(run):
    scene, t, _ = run
    w, i = t.block.attn_weights, t.tracked
    assert len(scene.weights_rows) == min(2, w.shape[0])
    for h, row in enumerate(scene.weights_rows):
        cols = row.cols_shown
        assert cols == [s for s in scene.lay.row.sources()] and cols[-1] == i  # every shown token it reads
        assert np.array_equal(row.values_shown(), r2(w[h, i, cols])[None, :])


def test_arcs_follow_the_weights(run):
    scene, t, _ = run
    w, i = t.block.attn_weights[0], t.tracked
    sources = scene.lay.row.sources()
    widths = [a.get_stroke_width() for a in scene.links(0)]
    assert len(widths) == len(sources)
    order = np.argsort([w[i, s] for s in sources], kind="stable")
    assert all(widths[a] <= widths[b] + 1e-9 for a, b in zip(order, order[1:]))  # thicker arc, larger weight


def test_value_bars_are_scaled_by_the_weights_and_summed_into_the_mix(run):
    scene, t, _ = run
    p, i = t.attn_parts, t.tracked
    for h in range(len(scene.weights_rows)):
        values, weighted = scene.value_charts[h], scene.weighted_charts[h]
        assert sorted(values) == sorted(weighted) == scene.lay.row.sources()
        for s, chart in values.items():
            tol = chart.scale_ * (0.01 + MIN_BAR / chart.half_width)  # a zero still shows as a sliver
            assert np.allclose(chart.values_shown(), p.values[h, s], atol=tol)
            assert np.allclose(weighted[s].values_shown(), p.weighted[h, i, s], atol=tol)
            assert abs(chart.get_center()[0] - scene.lay.row.x_of(s)) < 1e-6  # under its token
        for bars in (scene.mix_bars[h], scene.joined_mixes[h]):
            assert bars.values_shown() == list(r2(p.mixes[h, i][rows_of(bars)]))


def test_update_and_stream_are_the_trace_and_re_add(run):
    scene, t, _ = run
    b, i = t.block, t.tracked
    assert scene.update.values_shown() == list(r2(b.attn_out[i][rows_of(scene.update)]))
    s = scene.stream_bars
    for key, arr in (("x", b.x), ("attn", b.attn_out), ("h", b.h_attn)):
        assert s[key].values_shown() == list(r2(arr[i][rows_of(s[key])]))
    x, a, h = (np.array(s[k].values_shown()) for k in ("x", "attn", "h"))
    if t.config.norm == "pre":  # h = x + Δattn, to the rounding of what is drawn
        assert np.allclose(x + a, h, atol=0.011)
        assert np.allclose(b.h_attn, b.x + b.attn_out)
    else:  # h = LN₁(x + Δattn): not a plain sum, and the screen says so
        assert np.allclose(b.h_attn, layer_norm(b.x + b.attn_out, t.params.ln1_gamma, t.params.ln1_beta))
        assert not np.allclose(x + a, h, atol=0.011)


def test_captions_are_true_for_the_settings(run):
    scene, t, size = run
    from kit.widgets import caption_lines, paragraph
    from kit.style import BODY_SIZE

    assert scene.value_tag[1].text_info.source == ("LN₁(x)·W_V" if t.config.norm == "pre" else "x·W_V")
    text = " ".join(scene.captions)
    H, T, i = t.params.n_heads, len(t.tokens), t.tracked
    assert ("LN₁(x) times W_V" in text) == (t.config.norm == "pre")
    assert ("its x times W_V" in text) == (t.config.norm == "post")
    assert ("h = LN₁(x + Attn(x))" in text) == (t.config.norm == "post")
    assert ("Head 2" in text) == (H > 1) and (f"{H} heads in all" in text) == (H > 2)
    assert "untrained" in text.lower()
    if T > i + 1:
        assert f"never the {T - 1 - i} after it" in text or f"never the {T - 1} tokens after it" in text
    if T == 1:
        assert "only token" in text and "only itself" in text
    with manim.tempconfig({"pixel_width": size[0], "pixel_height": size[1]}):
        from kit.style import configure_frame

        configure_frame()
        for c in scene.captions:  # each fits the lines the bottom keeps free
            assert len(paragraph(c, BODY_SIZE)) <= caption_lines(), c


def test_heads_and_windows_are_said(run):
    scene, t, _ = run
    H, i = t.params.n_heads, t.tracked
    status = scene.status
    assert i in scene.lay.row_all.sources()  # the sentence shown first always includes the tracked token
    assert ("head1" in status) == (H > 1)
    hidden = i + 1 - len(scene.lay.row.sources())
    assert ("window" in status) == (hidden > 0)
    if hidden:
        assert status["window"].text_info.source.startswith(f"{hidden} of {i + 1} tokens not shown")
    shown_then = scene.notes_at["weighted-sum-1"]  # what a viewer reads while the values are mixed
    assert {"head0", "untrained"} <= shown_then and ("window" in shown_then) == (hidden > 0)
    assert ("masked" in shown_then) == (len(t.tokens) > i + 1)
    if H > 2:
        assert f"head 1 of {H}" == status["head0"].text_info.source


def test_arcs_span_the_frame_in_the_default_sentence(monkeypatch):
    """Issue #13: the arcs used to sit in the left third of the frame."""
    from attention import AttentionScene
    from kit.style import frame

    env = {"BLOCKMATH_SENTENCE": "Small models learn quickly when the data is clean.", "BLOCKMATH_TOKEN": "learn"}
    scene = dry_run(AttentionScene, monkeypatch, env)
    arcs = scene.links(0)
    assert arcs.width > 0.5 * frame().width
    weights = expected_trace(env).block.attn_weights[0, 2, :3]  # "learn" reads "Small", "models" and itself
    assert [shown(n) for n in scene.weights_rows[0].numbers] == list(r2(weights))
