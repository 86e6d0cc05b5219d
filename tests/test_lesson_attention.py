"""The attention lesson shows the core's numbers (dry runs: nothing is drawn or encoded)."""

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes_util import SENTENCES, dry_run, expected_trace, r2  # noqa: E402
from blockmath import layer_norm  # noqa: E402
from kit.minibars import MIN_BAR  # noqa: E402

LONG = " ".join(f"{c}{'mw' * 11}{c.lower()}" for c in "WMABCDEFGHKNOPQR")  # 16 tokens of 24 characters
REVIEW = ("Extraordinarily complicated sentences sometimes contain unbelievably lengthy words that challenge "
          "typesetting algorithms considerably, honestly.")
CASES = {
    **{name: (env, (854, 480)) for name, env in SENTENCES.items()},
    "learn": ({"BLOCKMATH_SENTENCE": "Small models learn quickly when the data is clean.",
               "BLOCKMATH_TOKEN": "learn"}, (854, 480)),
    "one-token": ({"BLOCKMATH_SENTENCE": "Hello"}, (854, 480)),
    "hello-world": ({"BLOCKMATH_SENTENCE": "Hello world"}, (854, 480)),
    "d32-4-heads-post": ({"BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4", "BLOCKMATH_NORM": "post"}, (854, 480)),
    "review-long": ({"BLOCKMATH_SENTENCE": REVIEW, "BLOCKMATH_D_MODEL": "32", "BLOCKMATH_N_HEADS": "4"}, (854, 480)),
    "one-head": ({"BLOCKMATH_N_HEADS": "1"}, (480, 480)),
    "long-square": ({"BLOCKMATH_SENTENCE": LONG}, (480, 480)),
    "tall": ({}, (480, 854)),
    "square-post": ({"BLOCKMATH_NORM": "post"}, (480, 480)),
    "tall-post": ({"BLOCKMATH_NORM": "post"}, (480, 854)),
    "long-tall-middle": ({"BLOCKMATH_SENTENCE": LONG, "BLOCKMATH_TOKEN": "11", "BLOCKMATH_N_HEADS": "8"}, (480, 854)),
    "16-heads-square": ({"BLOCKMATH_SENTENCE": LONG, "BLOCKMATH_TOKEN": "12", "BLOCKMATH_D_MODEL": "32",
                         "BLOCKMATH_N_HEADS": "16"}, (480, 480)),
}


def opaque(scene, mob) -> bool:
    """mob is on screen (in the scene) and drawn at full strength."""
    family = set(map(id, scene.get_mobject_family_members()))
    parts = [m for m in mob.get_family() if len(m.points)]
    return id(mob) in family and all(max(m.get_fill_opacity(), m.get_stroke_opacity()) > 0.5 for m in parts)


class Recorded:
    """The scene class, recording every caption it shows and what is on screen when each beat starts (the end of the
    beat before: the slide a viewer pauses on)."""

    def __new__(cls):
        from attention import AttentionScene

        class Rec(AttentionScene):
            def beat(self, name):
                family = self.get_mobject_family_members()
                status = getattr(self, "status", {})
                on = [m for m in status.values() if m in family and m.get_fill_opacity() > 0.5]
                self.notes_at = {**getattr(self, "notes_at", {}), name: {k for k, m in status.items() if m in on}}
                self.notes_x = {**getattr(self, "notes_x", {}), name: VGroupCenter(on)}
                self.screen_at = {**getattr(self, "screen_at", {}), name: self.snapshot()}
                super().beat(name)

            def snapshot(self):
                """Which of the lesson's pictures are fully on screen now."""
                shot = {}
                if hasattr(self, "table"):
                    shot["matrix"] = opaque(self, self.table.others(self.t)) and opaque(self, self.weights)
                if hasattr(self, "sums"):
                    shot["sums"] = all(opaque(self, m) for m in [*self.sums[1:3], self.mixes[-1]])
                    shot["ghost"] = all(m.get_stroke_opacity() > 0.2 or m.get_fill_opacity() > 0.2
                                        for m in self.sums[0].get_family() if len(m.points))
                return shot

            def swap_caption(self, s, *args, **kwargs):
                self.captions = getattr(self, "captions", []) + [s]
                super().swap_caption(s, *args, **kwargs)

        return Rec


def VGroupCenter(mobs):  # noqa: N802
    if not mobs:
        return None
    return (min(m.get_left()[0] for m in mobs) + max(m.get_right()[0] for m in mobs)) / 2


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


def test_tokens_read_in_order_on_one_line(run):
    """Review #2: one line, left to right in sentence order, each token in its own column, apart from the next."""
    from kit.tokens import GAP_X

    scene, t, _ = run
    row = scene.lay.row
    shown = row.sources()
    assert shown == sorted(shown) and t.tracked in shown
    assert all(a is not None or b is not None for a, b in zip(row.win, row.win[1:]))  # never two "…" in a row
    from kit.tokens import baseline_of_group

    assert np.ptp([baseline_of_group(row.label(i)) for i in shown]) < 1e-6  # one line, one baseline
    for j, i in enumerate(row.win):
        if i is None:
            continue
        lab = row.label(i)
        assert row.edges[j] + GAP_X / 2 - 1e-6 <= lab.get_left()[0] and lab.get_right()[0] <= row.edges[j + 1] - GAP_X / 2 + 1e-6
        assert abs(lab.get_center()[0] - row.x(j)) < 1e-6


def test_tracked_token_is_whole_and_others_cut_alike(run):
    """Review #3: the tracked token is never cut; every other token is cut the same way wherever it is written."""
    from kit.tokens import label_source, token_label

    scene, t, _ = run
    row, i = scene.lay.row, t.tracked
    assert label_source(row.label(i)) == t.tokens[i]
    if hasattr(row.label(i), "source"):  # broken over lines: the lines say the whole token
        assert "".join(m.text_info.source for m in row.label(i)) == t.tokens[i]
    for s in row.sources():
        if s != i:
            assert row.label(s).text_info.source == token_label(t.tokens[s]).text_info.source
    table = getattr(scene, "table", None)
    if table is not None:  # the matrix's row labels say the same as the columns
        for r in table.rows:
            assert table.label(r).text_info.source == token_label(t.tokens[r]).text_info.source


def test_weights_on_screen_are_the_trace_under_their_tokens(run):
    scene, t, _ = run
    w, i = t.block.attn_weights, t.tracked
    row = scene.lay.row
    assert len(scene.weights_rows) == min(2, w.shape[0])
    read = row.readable()
    assert read == [s for s in row.sources() if s <= i] and read[-1] == i
    for h, table in enumerate(scene.weights_rows):
        assert table.values_shown(i) == list(r2(w[h, i, read]))
        cells = table.cells(i)
        assert len(cells) == len(row.sources())  # one cell per token shown, the masked ones too
        for c, cell in zip(row.sources(), cells):
            assert abs(cell.get_center()[0] - row.x_of(c)) < 1e-6  # under its own token
            assert (cell.get_fill_opacity() == 0) == (c > i)  # a later token's cell is empty (outlined)


def test_matrix_beat_ends_on_the_whole_matrix(run):
    """Review #1: the matrix beat (and the untrained beat after it) end with the matrix fully on screen; the cells of
    later tokens are empty and outlined, the others coloured."""
    scene, t, _ = run
    for beat in ("untrained", "weighted-sum-1"):
        assert scene.screen_at[beat]["matrix"], beat
    table, row = scene.table, scene.lay.row
    assert t.tracked in table.rows and all(r in row.sources() for r in table.rows)
    for r in table.rows:
        for c, cell in zip(row.sources(), table.cells(r)):
            if c > r:
                assert cell.get_fill_opacity() == 0 and cell.get_stroke_opacity() > 0.5
            else:
                assert cell.get_fill_opacity() == 1


def test_masked_tokens_stay_and_are_greyed(run):
    """Review #5: the tokens after the tracked one stay in place, greyed on a shaded band."""
    from kit.style import MUTED

    scene, t, _ = run
    row, i = scene.lay.row, t.tracked
    later = [s for s in row.sources() if s > i]
    assert bool(len(row.mask_band)) == (row.win.index(i) < len(row.win) - 1)
    for s in later:
        assert row.label(s).get_fill_color().to_hex().lower() == MUTED.to_hex().lower()
        assert row.mask_band.get_left()[0] <= row.label(s).get_left()[0]


def test_arcs_follow_the_weights(run):
    scene, t, _ = run
    w, i = t.block.attn_weights[0], t.tracked
    sources = scene.lay.row.readable()
    widths = [a.get_stroke_width() for a in scene.links(0)]
    assert len(widths) == len(sources)
    order = np.argsort([w[i, s] for s in sources], kind="stable")
    assert all(widths[a] <= widths[b] + 1e-9 for a, b in zip(order, order[1:]))  # thicker arc, larger weight


def test_value_bars_are_scaled_by_the_weights_and_summed_into_the_mix(run):
    scene, t, _ = run
    p, i = t.attn_parts, t.tracked
    for h in range(len(scene.weights_rows)):
        values, weighted = scene.value_charts[h], scene.weighted_charts[h]
        assert sorted(values) == sorted(weighted) == scene.lay.row.readable()
        for s, chart in values.items():
            tol = chart.scale_ * (0.01 + MIN_BAR / chart.half_width)  # a zero still shows as a sliver
            assert np.allclose(chart.values_shown(), p.values[h, s], atol=tol)
            assert np.allclose(weighted[s].values_shown(), p.weighted[h, i, s], atol=tol)
            assert abs(chart.get_center()[0] - scene.lay.row.x_of(s)) < 1e-6  # under its token
        mix = scene.joined_mixes[h]
        assert mix.values_shown() == list(r2(p.mixes[h, i][mix.dims]))
        assert mix.row_window == scene.lay.mix_rows  # the same window in the mix beats and the join (review #6)
        assert mix.bar_max >= 0.45 and np.abs(p.mixes[h, i]).max() == pytest.approx(mix.scale_)  # its own scale


def test_weighted_sum_beats_end_on_values_weights_and_mix(run):
    """Review #4: the slide of a weighted-sum beat shows the values (faint), the weighted values and the mix."""
    scene, _, _ = run
    for beat in ("head-2", "join") if len(scene.weights_rows) > 1 else ("join",):
        shot = scene.screen_at[beat]
        assert shot["sums"] and shot["ghost"], beat


def test_update_and_stream_are_the_trace_and_re_add(run):
    scene, t, _ = run
    b, i = t.block, t.tracked
    assert scene.update.values_shown() == list(r2(b.attn_out[i][scene.update.dims]))
    s = scene.stream_bars
    for key, arr in (("x", b.x), ("attn", b.attn_out), ("h", b.h_attn)):
        assert s[key].values_shown() == list(r2(arr[i][s[key].dims]))
    x, a, h = (np.array(s[k].values_shown()) for k in ("x", "attn", "h"))
    if t.config.norm == "pre":  # h = x + Δattn, to the rounding of what is drawn
        assert "v" not in s
        assert np.allclose(x + a, h, atol=0.011)
        assert np.allclose(b.h_attn, b.x + b.attn_out)
    else:  # review #9: the sum v = x + Δattn is shown, then h = LN₁(v)
        v = np.array(s["v"].values_shown())
        assert s["v"].dims == s["x"].dims == s["h"].dims
        assert np.allclose(x + a, v, atol=0.011)
        assert np.allclose(b.h_attn, layer_norm(b.x + b.attn_out, t.params.ln1_gamma, t.params.ln1_beta))
        assert s["v"].values_shown() == list(r2(t.ln1_steps.input[i][s["v"].dims]))
        assert not np.allclose(v, h, atol=0.011)
        assert s["v"].label.text_info.source == "v = x + Δattn" and s["h"].label.text_info.source == "h = LN₁(v)"


def test_captions_are_true_for_the_settings(run):
    scene, t, size = run
    from kit.widgets import caption_lines, paragraph
    from kit.style import BODY_SIZE

    assert scene.value_tag[1].text_info.source == ("LN₁(x)·Wᵥ" if t.config.norm == "pre" else "x·Wᵥ")
    text = " ".join(scene.captions)
    H, T, i = t.params.n_heads, len(t.tokens), t.tracked
    assert "_" not in text  # review #7: subscripts, not W_O
    assert ("LN₁(x) times Wᵥ" in text) == (t.config.norm == "pre")
    assert ("its x times Wᵥ" in text) == (t.config.norm == "post")
    assert ("h = LN₁(v)" in text) == (t.config.norm == "post")
    assert ("Head 2" in text) == (H > 1) and (f"{H} heads in all" in text) == (H > 2)
    assert "untrained" in text.lower()
    if T > i + 1:
        after = "the one after it" if T - 1 - i == 1 else f"the {T - 1 - i} after it"
        assert f"never {after}" in text
    if T == 1:
        assert "only token" in text and "only itself" in text
    if i == 1:  # review #12: one earlier token is "the token", not "tokens"
        assert "the token before it" in text and "earlier token's value" in text
        assert "tokens before it" not in text and "earlier tokens" not in text
    if i > 1:
        assert f"the {i} tokens before it" in text and f"the {i} earlier tokens' values" in text
    with manim.tempconfig({"pixel_width": size[0], "pixel_height": size[1]}):
        from kit.style import configure_frame

        configure_frame()
        for c in scene.captions:  # each fits the lines the bottom keeps free
            assert len(paragraph(c, BODY_SIZE)) <= caption_lines(), c


def test_heads_and_windows_are_said(run):
    scene, t, _ = run
    H, i, T = t.params.n_heads, t.tracked, len(t.tokens)
    status, row = scene.status, scene.lay.row
    assert ("head1" in status) == (H > 1)
    hidden = T - len(row.sources())
    assert ("window" in status) == (hidden > 0)
    if hidden:
        assert status["window"].text_info.source.startswith(f"“…”: {hidden} of {T} tokens not shown")
        assert ("sums use all" in status["window"].text_info.source) == (len(row.readable()) < i + 1)
    shown_then = scene.notes_at["weighted-sum-1"]  # what a viewer reads while the values are mixed
    assert {"head0", "untrained"} <= shown_then and ("window" in shown_then) == (hidden > 0)
    assert ("masked" in shown_then) == (T > i + 1)
    if H > 2:
        assert f"head 1 of {H}" == status["head0"].text_info.source


def test_notes_are_centred(run):
    """Review #12: the notes over the arcs are centred, whichever of them are on screen."""
    scene, _, _ = run
    for beat, x in scene.notes_x.items():
        if x is not None:
            assert abs(x - scene.lay.band.center[0]) < 0.02, beat


def test_row_spans_the_frame_in_the_default_sentence(monkeypatch):
    """Issue #13: the arcs used to sit in the left third of the frame; the row of tokens spans it."""
    from attention import AttentionScene
    from kit.style import frame

    env = {"BLOCKMATH_SENTENCE": "Small models learn quickly when the data is clean.", "BLOCKMATH_TOKEN": "learn"}
    scene = dry_run(AttentionScene, monkeypatch, env)
    row = scene.lay.row
    assert row.right - row.left > 0.7 * frame().width and len(row.sources()) == len(scene.trace.tokens)
    weights = expected_trace(env).block.attn_weights[0, 2, :3]  # "learn" reads "Small", "models" and itself
    assert scene.weights_rows[0].values_shown(2) == list(r2(weights))
