"""Property-based tests over arbitrary Unicode: the tokenizer, paths and text fitting never misbehave."""

import re
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blockmath import BlockConfig, InputError, compute_trace, tokenize
from blockmath.paths import config_env, config_id, slug

ROOT = Path(__file__).resolve().parents[1]
# Bidirectional controls and invisible formatting characters (Unicode charts), and the two joiners.
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
INVISIBLE = BIDI + "\u200b\u2060\ufeff\u00ad\u180e\u2061\u2062\u2063\u2064"
JOINERS = "\u200c\u200d"
# arbitrary text, and text rich in invisible characters, joiners, emoji, signs and digits
sentences = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80) | st.text(
    alphabet=st.sampled_from(INVISIBLE + JOINERS + "ab של 👩💻❤\ufe0f -+.,e19"), max_size=60)
words = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo")), min_size=1, max_size=110).filter(
    lambda w: unicodedata.normalize("NFC", w) == w)  # NFC would change the text itself (丽 -> 丽)


def _whole(tokens):
    """The tokens with every split word joined back (a "##" piece continues the token before it)."""
    return "".join(t[2:] if t.startswith("##") and len(t) > 2 else t for t in tokens)


@given(sentences)
@settings(max_examples=500, deadline=None)
def test_tokenize_returns_tokens_or_a_clear_error(s):
    try:
        tokens = tokenize(s)
    except InputError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert 1 <= len(tokens) <= 16
    assert all(t and not any(c.isspace() for c in t) for t in tokens)
    assert all(len(t) <= 24 for t in tokens)
    assert not any(c in INVISIBLE for t in tokens for c in t)  # no bidi control or invisible character is drawn
    assert not any(t[0] in JOINERS or t[-1] in JOINERS for t in tokens)  # a joiner only ever joins
    # nothing else is lost or invented: the tokens are the sentence without whitespace, control and invisible
    # characters (and joiners that joined nothing), split words joined back
    kept = "".join(c for c in unicodedata.normalize("NFC", s)
                   if not c.isspace() and unicodedata.category(c) != "Cc" and c not in INVISIBLE)
    assert _whole(tokens).replace("\u200c", "").replace("\u200d", "") == kept.replace("\u200c", "").replace("\u200d", "")


@given(st.lists(words, min_size=1, max_size=3))
@settings(max_examples=300, deadline=None)
def test_long_words_split_into_even_pieces_that_join_back(ws):
    tokens = tokenize(" ".join(ws))
    assert _whole(tokens) == "".join(ws)
    assert all(len(t) <= 24 for t in tokens)
    i = 0
    for w in ws:  # each word: one token if it fits, else the fewest pieces of 22 letters (+ "##"), about equal
        n = 1 if len(w) <= 24 else -(-len(w) // 22)
        group, i = tokens[i:i + n], i + n
        assert group[0] and not group[0].startswith("##") and all(p.startswith("##") for p in group[1:])
        sizes = [len(group[0])] + [len(p) - 2 for p in group[1:]]
        assert sum(sizes) == len(w) and max(sizes) - min(sizes) <= 1
    assert i == len(tokens)


@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False).map(repr),
                 st.integers(-10**12, 10**12).map(lambda v: f"{v:,}"),
                 st.integers(-10**6, 10**6).map(str)))
@settings(max_examples=300, deadline=None)
def test_a_number_is_one_token(number):
    assert tokenize(f"x = {number}.") == ["x", "=", number, "."]
    assert tokenize(f"({number})") == ["(", number, ")"]


@given(sentences)
@settings(max_examples=100, deadline=None)
def test_any_accepted_sentence_gives_a_finite_deterministic_trace(s):
    try:
        cfg = BlockConfig(sentence=s)
        t = compute_trace(cfg)
    except InputError:
        return
    assert np.all(np.isfinite(t.block.out)) and np.all(np.isfinite(t.sweep.out))
    assert np.array_equal(compute_trace(cfg).block.out, t.block.out)


@given(sentences, st.integers(0, 2**32 - 1))
@settings(max_examples=300, deadline=None)
def test_folder_names_are_safe_and_bounded(s, seed):
    name = slug(s)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) and len(name) <= 40
    try:
        cfg = BlockConfig(sentence=s, seed=seed)
    except InputError:
        return
    cid = config_id(cfg)
    assert re.fullmatch(r"[a-z0-9-]+-[0-9a-f]{10}", cid) and len(cid) <= 51
    assert "\x00" not in "".join(config_env(cfg).values())


manim = pytest.importorskip("manim")
sys.path.insert(0, str(ROOT / "scenes"))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=24),
       st.floats(0.4, 4.0))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_label_is_elided_to_its_width_never_shrunk(s, width):
    from kit.style import SMALL_SIZE
    from kit.widgets import baseline_text, label_text

    label = label_text(s, SMALL_SIZE, width)
    assert label.text_info.size == SMALL_SIZE and label.height == pytest.approx(label.text_info.height)  # not scaled
    whole = baseline_text(s, SMALL_SIZE)
    if whole.width <= width:
        assert label.text_info.source == s
    else:  # cut, with a "…", to a prefix of the text
        shown = label.text_info.source
        assert shown.endswith("…") and s.startswith(shown[:-1]) and len(shown) <= len(s)
        assert label.width <= width + 1e-6 or shown == "…"


@given(st.lists(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=1, max_size=12),
                min_size=1, max_size=12), st.floats(2.0, 8.0))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_paragraph_wraps_to_its_width(words, width):
    from kit.style import BODY_SIZE
    from kit.widgets import paragraph

    p = paragraph(" ".join(words), BODY_SIZE, width)
    assert " ".join(line.text_info.source for line in p) == " ".join(words)  # every word, in order
    for line in p:
        assert line.width <= width + 1e-6 or " " not in line.text_info.source  # only a lone word may be wider
        assert line.text_info.size == BODY_SIZE
