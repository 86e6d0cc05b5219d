import pytest

from blockmath import MAX_TOKENS, InputError, tokenize


@pytest.mark.parametrize(
    "sentence, tokens",
    [
        ("The animal didn't cross the street because it was tired.",
         ["The", "animal", "didn't", "cross", "the", "street", "because", "it", "was", "tired", "."]),
        ("Hello, world!", ["Hello", ",", "world", "!"]),
        ("  spaced\tout\nlines  ", ["spaced", "out", "lines"]),
        ("l’homme qu'il aime", ["l’homme", "qu'il", "aime"]),
        ("'quoted'", ["'", "quoted", "'"]),
        ("Café naïve", ["Café", "naïve"]),
        ("Cafe\u0301", ["Café"]),  # combining accent is normalized and kept in the word
        ("猫が好き", ["猫が好き"]),
        ("مرحبا بالعالم", ["مرحبا", "بالعالم"]),
        ("I ❤️ NumPy 👍🏽", ["I", "❤️", "NumPy", "👍🏽"]),
        ("x_1 = 3.5", ["x_1", "=", "3", ".", "5"]),
    ],
)
def test_tokenize(sentence, tokens):
    assert tokenize(sentence) == tokens


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", "...", "!?", "— ; ,"])
def test_no_words_is_refused(bad):
    with pytest.raises(InputError, match="no words"):
        tokenize(bad)


def test_too_many_tokens():
    ok = " ".join(["w"] * MAX_TOKENS)
    assert len(tokenize(ok)) == MAX_TOKENS
    with pytest.raises(InputError, match="maximum is 16"):
        tokenize(ok + " w")


def test_too_long_token_and_nul():
    with pytest.raises(InputError, match="longer than"):
        tokenize("a" * 25)
    with pytest.raises(InputError, match="NUL"):
        tokenize("a\x00b")


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)
