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


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=24))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_labels_fit_their_box_whatever_the_text(s):
    from common import fit, row_label, text, token_label

    eps = 1e-6
    label = token_label(s, width=1.3)
    assert label.width <= 1.3 + eps and label.height <= 0.4 + eps
    assert row_label(s, 0.3, width=1.0).width <= 1.0 + eps
    long = fit(text(s * 3), width=4.0, height=0.5)
    assert long.width <= 4.0 + eps and long.height <= 0.5 + eps
