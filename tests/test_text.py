"""Words in any script reach the screen: each token chip is drawn, in order, without overlapping its neighbours."""

import subprocess
import sys
from pathlib import Path

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
}


@pytest.mark.parametrize("name", SENTENCES)
def test_every_token_chip_is_drawn_in_order(name):
    from common import SAFE_W, sentence_strip

    trace = compute_trace(BlockConfig(sentence=SENTENCES[name]))
    chips, _box = sentence_strip(trace)
    assert len(chips) == len(trace.tokens)
    for tok, chip in zip(trace.tokens, chips):
        assert chip.family_members_with_points() and chip.width > 0.01, f"token {tok!r} drew nothing"
    for a, b in zip(chips, chips[1:]):
        assert a.get_right()[0] < b.get_left()[0], "chips overlap"
    assert chips.width <= SAFE_W + 1e-6


@pytest.mark.parametrize("word", ["שלום", "مرحبا"])
def test_a_right_to_left_word_alone_is_drawn(word):
    from common import text

    t = text(word)
    assert len(t.family_members_with_points()) >= 2 and t.width > 0.5


def test_a_font_draws_emoji_as_outlines():
    """Pango falls back to any installed font with the glyph; color-bitmap emoji fonts would draw nothing."""
    found = subprocess.run(["fc-list", ":charset=1f355", "family"], capture_output=True, text=True).stdout
    assert found.strip(), "no outline font covers emoji: install fonts-symbola (make setup does)"
