"""Words in any script reach the screen: each token chip is drawn, in order, without overlapping its neighbours."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from blockmath import BlockConfig, compute_trace

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("manim")
sys.path.insert(0, str(ROOT / "scenes"))

SENTENCES = {
    "hebrew": "שלום עולם, זה מבחן טוב",
    "arabic": "مرحبا بالعالم هذا اختبار",
    "mixed": "Mixed عربي and עברית words",
    "emoji": "I love 🍕 and 🚀 today",
    "cjk": "猫は 暖かい パソコンで 寝る",
    "accents": "Cafe\u0301 naïve résumé",
    "split": "Der Donaudampfschifffahrtsgesellschaftskapitän lacht",  # a "##" piece is a chip of its own
}


@pytest.mark.parametrize("name", SENTENCES)
def test_every_token_chip_is_drawn_in_order(name):
    from kit.style import frame
    from kit.widgets import sentence_strip

    trace = compute_trace(BlockConfig(sentence=SENTENCES[name]))
    chips, _box = sentence_strip(trace)
    assert len(chips) == len(trace.tokens)
    for tok, chip in zip(trace.tokens, chips):
        assert chip.family_members_with_points() and chip.width > 0.01, f"token {tok!r} drew nothing"
    for a, b in zip(chips, chips[1:]):  # left to right on a line, or the next chip starts a lower line
        assert a.get_right()[0] < b.get_left()[0] or b.get_top()[1] < a.get_bottom()[1], "chips overlap"
    assert chips.width <= frame().safe_width + 1e-6


def test_the_sentence_strip_sits_on_baselines_and_wraps_instead_of_shrinking():
    from kit.style import SMALL_SIZE
    from kit.widgets import baseline_of, sentence_strip

    trace = compute_trace(BlockConfig(sentence="Quickly, eight dogs jumped."))
    chips, _ = sentence_strip(trace)
    base = [baseline_of(c) for c in chips]
    assert max(base) - min(base) < 1e-9  # "Quickly" (descender), "," and "." share one baseline
    period = chips[-1]
    assert period.text_info.source == "." and abs(period.get_bottom()[1] - base[-1]) < 0.02  # "." sits on it
    long = compute_trace(BlockConfig(sentence=" ".join(["Extraordinarily"] * 16)))
    chips, _ = sentence_strip(long, width=6.0)
    assert all(c.text_info.size == SMALL_SIZE and c.height == pytest.approx(c.text_info.height) for c in chips)
    lines = sorted({round(baseline_of(c), 6) for c in chips})
    assert len(lines) >= 3 and chips.width <= 6.0 + 1e-6  # wrapped onto lines, one scale for every chip


@pytest.mark.parametrize("word", ["שלום", "مرحبا"])
def test_a_right_to_left_word_alone_is_drawn(word):
    from kit.text import text

    t = text(word)
    assert len(t.points) > 20 and t.width > 0.5


def test_a_font_draws_emoji_as_outlines():
    """Pango falls back to any installed font with the glyph; color-bitmap emoji fonts would draw nothing."""
    found = subprocess.run(["fc-list", ":charset=1f355", "family"], capture_output=True, text=True).stdout
    assert found.strip(), "no outline font covers emoji: install fonts-symbola (make setup does)"


def test_glyph_cache_gives_the_same_outlines_in_a_new_process(tmp_path):
    """A render reads titles and captions from the shared glyph cache: exactly what Pango draws, never stale junk."""
    code = ("import sys, numpy as np; sys.path.insert(0, {scenes!r}); from kit import text, style; "
            "g = text.outlines('Δ: cached “caption” ﬁ', style.FONT, 26); "
            "np.save(sys.argv[1], np.concatenate(g))")
    env = {**os.environ, "BLOCKMATH_GLYPH_CACHE": str(tmp_path / "glyphs")}
    runs = []
    for i in range(2):  # the first builds and stores, the second reads the file
        out = tmp_path / f"run{i}.npy"
        subprocess.run([sys.executable, "-c", code.format(scenes=str(ROOT / "scenes")), str(out)], env=env, check=True,
                       capture_output=True)
        runs.append(np.load(out))
    cached = list((tmp_path / "glyphs").glob("*.npz"))
    assert len(cached) == 1
    assert np.array_equal(runs[0], runs[1])
    cached[0].write_bytes(b"not an npz")  # a damaged entry is rebuilt, not trusted
    out = tmp_path / "run2.npy"
    subprocess.run([sys.executable, "-c", code.format(scenes=str(ROOT / "scenes")), str(out)], env=env, check=True,
                   capture_output=True)
    assert np.array_equal(np.load(out), runs[0])


def test_text_draws_what_manims_text_draws():
    from kit.style import FONT
    from kit.text import text
    from manim import Text

    s = "Residual: h′ = h + λ · Δ"
    ours, theirs = text(s, 26), Text(s, font=FONT, font_size=26)
    assert np.array_equal(ours.points, np.concatenate([m.points for m in theirs.family_members_with_points()]))


def test_a_bold_title_wraps_to_the_frame_in_bold():
    """wrap measures words at the weight they are drawn: a bold title's lines stay inside the safe frame (measured
    in the regular weight, 'LayerNorm: each row on' was kept on one line, wider than a square frame)."""
    import manim

    from kit.style import configure_frame, frame
    from kit.widgets import title

    with manim.tempconfig({"pixel_width": 480, "pixel_height": 480}):
        configure_frame()
        t = title("LayerNorm: each row on its own")
        assert len(t[0]) > 1 and all(line.width <= frame().safe_width for line in t[0])


def test_a_half_written_svg_in_manims_text_folder_does_not_break_a_text(tmp_path, monkeypatch):
    """manim keeps Pango's SVG of each text in a shared folder: a file there left empty (another process writing it
    at that moment, or a render killed mid-write) must not break the text, now or in any later render."""
    from kit import text as kit_text
    from kit.style import FONT
    from manim import config

    monkeypatch.setattr(config, "text_dir", str(tmp_path))
    monkeypatch.setattr(kit_text, "_OUTLINES", {})
    s = "half-written −0.123"
    good = np.concatenate(kit_text.outlines(s, FONT, 23))
    svgs = list(tmp_path.glob("*.svg"))
    assert svgs, "manim wrote no SVG where the test looked"
    for f in svgs:
        f.write_bytes(b"")
    monkeypatch.setattr(kit_text, "_OUTLINES", {})
    assert np.array_equal(np.concatenate(kit_text.outlines(s, FONT, 23)), good)
    assert config.text_dir == str(tmp_path)  # the folder is given back
