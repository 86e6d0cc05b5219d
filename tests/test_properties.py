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
from blockmath.render import config_env, config_id, slug

ROOT = Path(__file__).resolve().parents[1]
sentences = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)


@given(sentences)
@settings(max_examples=300, deadline=None)
def test_tokenize_returns_tokens_or_a_clear_error(s):
    try:
        tokens = tokenize(s)
    except InputError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert 1 <= len(tokens) <= 16
    assert all(t and not any(c.isspace() for c in t) for t in tokens)
    # nothing is lost or invented: the tokens are the sentence without whitespace and control characters
    kept = "".join(c for c in unicodedata.normalize("NFC", s) if not c.isspace() and unicodedata.category(c) != "Cc")
    assert "".join(tokens) == kept


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
    from kit.text import text
    from kit.widgets import label_text

    label = label_text(s, SMALL_SIZE, width)
    assert label.text_info.size == SMALL_SIZE and label.height == pytest.approx(label.text_info.height)  # not scaled
    whole = text(s, SMALL_SIZE)
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
