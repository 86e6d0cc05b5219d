"""Text for the ear: captions with math, numbers and any Unicode become plain words for an English voice."""

import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from blockmath.speech_text import number_words, ordinal_words, speakable

SPEAKABLE = re.compile(r"[A-Za-z ',.;:?!-]*")

CASES = [
    ("h′ = h + λ·Δ", "h prime equals h plus lambda times delta"),
    ("h' = h + λΔ", "h prime equals h plus lambda delta"),
    ("‖h′‖ ≈ 2.31", "the length of h prime is about two point three one"),
    ("λ sweeps 0 → 1 → 2 → 1", "lambda sweeps zero to one to two to one"),
    ("replacing (h ← Δ) loses h", "replacing, h gets delta, loses h"),
    ("each row has its own μ and σ, then γ, β", "each row has its own mu and sigma, then gamma, beta"),
    ("x − μ", "x minus mu"),
    ("-0.89", "minus zero point eight nine"),
    ("−0.89 and 0.5", "minus zero point eight nine and zero point five"),
    ("d → 4d → GELU → d", "d to four d to G E L U to d"),
    ("1/√96", "one over the square root of ninety-six"),
    ("LN₁ and LN₂", "L N one and L N two"),
    ("σ² ÷ 4 × 3", "sigma squared divided by four times three"),
    ("an 8×8 matrix", "an eight by eight matrix"),
    ("2³² seeds, 1e-5, 1,250 tokens, the 21st block", "two to the power of thirty-two seeds, one times ten to the "
     "minus five, one thousand two hundred fifty tokens, the twenty-first block"),
    ("the token “it” and 'cat' and ‘dog’", "the token it and cat and dog"),
    ("didn't", "didn't"),
    ("e.g. λ = 0.5, i.e. half", "for example lambda equals zero point five, that is half"),
    ("h = h + Attn(LN(h)); h = h + MLP(LN(h))", "h equals h plus attention of L N of h; h equals h plus M L P of L N of h"),
    ("FFN(x) = W₂ GELU(W₁ x)", "F F N of x, equals W two G E L U of W one x"),
    ("LayerNorm, d_model = 8", "layer norm, d model equals eight"),
    ("48 blocks", "forty-eight blocks"),
    ("λ ∈ [−4, 4]", "lambda in, minus four, four"),
    ("½ and 1/2", "one half and one over two"),
    ("Movies & <b>galleries</b>.", "Movies and galleries."),
    ("🍕 is tasty", "slice of pizza is tasty"),
    ("Hello 👍🏽 🇩🇪", "Hello thumbs up, flag D E"),
    ("🍕 שלום 世界", "slice of pizza, a Hebrew word, a Chinese word"),
    ("שלום עולם", "two Hebrew words"),
    ("I said שלום to her.", "I said a Hebrew word to her."),
    ("مرحبا", "an Arabic word"),
    ("我爱你 means I love you", "a Chinese phrase means I love you"),
    ("猫が好き", "a Japanese phrase"),
    ("Привет мир", "two Cyrillic words"),
    ("Καλημέρα", "a Greek word"),
    ("Café naïve façade Straße", "Cafe naive facade Strasse"),
    ("\ue000", "a symbol"),
    ("Only the stacks with “x + …” keep a direct path", "Only the stacks with x plus and so on keep a direct path"),
    ("Wait… what?", "Wait. what?"),
    ("With GPT-2's start, most LLMs", "With G P T two's start, most L L M's"),
    ("attention = looking at others  ·  FFN = processing itself",
     "attention equals looking at others; F F N equals processing itself"),
    ("mean and spread (std)", "mean and spread, standard deviation"),
    ("", ""),
    ("  \n\t ", ""),
]


@pytest.mark.parametrize("caption, said", CASES)
def test_captions_read_aloud(caption, said):
    assert speakable(caption) == said


@pytest.mark.parametrize("n, words", [(0, "zero"), (7, "seven"), (13, "thirteen"), (40, "forty"), (96, "ninety-six"),
                                      (100, "one hundred"), (101, "one hundred one"), (12288, "twelve thousand two hundred eighty-eight"),
                                      (2**32, "four billion two hundred ninety-four million nine hundred sixty-seven thousand two hundred ninety-six"),
                                      (10**15, "one zero zero zero zero zero zero zero zero zero zero zero zero zero zero zero")])
def test_number_words(n, words):
    assert number_words(n) == words


@pytest.mark.parametrize("n, words", [(1, "first"), (2, "second"), (3, "third"), (12, "twelfth"), (20, "twentieth"),
                                      (21, "twenty-first"), (48, "forty-eighth"), (100, "one hundredth")])
def test_ordinal_words(n, words):
    assert ordinal_words(n) == words


def says_something(text: str) -> bool:
    """A character that is shown as something: a letter, a number, a symbol, an emoji, an unassigned code point."""
    for ch in unicodedata.normalize("NFKC", text):
        cat, name = unicodedata.category(ch), unicodedata.name(ch, "")
        if name.startswith(("VARIATION SELECTOR", "EMOJI MODIFIER", "MODIFIER LETTER", "TAG ", "COMBINING")):
            continue
        if cat[0] in "LN" and cat != "Lm" or cat in ("Sm", "Sc", "So", "Co", "Cn"):
            return True
    return False


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
@example("🍕🍕 שלום 世界 é ‖x‖ −1.5e-3 ₁²")
@example("\u0300\u200d\ufe0f")
def test_any_unicode_gives_pronounceable_text(caption):
    said = speakable(caption)
    assert SPEAKABLE.fullmatch(said), said
    assert said == " ".join(said.split())  # no doubled, leading or trailing spaces
    assert len(said) <= 80 * len(caption) + 10
    if says_something(caption):
        assert re.search("[A-Za-z]", said), (caption, said)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_text_for_the_ear_is_left_as_it_is(caption):
    said = speakable(caption)
    assert speakable(said) == said
