import pytest

from blockmath import MAX_TOKENS, InputError, resolve_token, tokenize

# Bidirectional controls and invisible formatting characters, from the Unicode charts (not from the tokenizer).
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e",
        "\u200f", "\u061c"]
INVISIBLE = ["\u200b", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u2061", "\u2062", "\u2063", "\u2064"]


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
        ("x_1 = 3.5", ["x_1", "=", "3.5"]),
        # numbers stay whole: sign, thousands groups, decimal part, exponent
        ("-1 -2.5 3e10 +4", ["-1", "-2.5", "3e10", "+4"]),
        ("1,000,000 and 6.02e-23 or 1E+9", ["1,000,000", "and", "6.02e-23", "or", "1E+9"]),
        ("x=-1 (−7) [+0.5]", ["x", "=", "-1", "(", "−7", ")", "[", "+0.5", "]"]),
        # ... but a minus between two things, a list and a full stop still split
        ("a-b 3-4 x-1 end.", ["a", "-", "b", "3", "-", "4", "x", "-", "1", "end", "."]),
        ("1,2,3 and 1,0000", ["1", ",", "2", ",", "3", "and", "1", ",", "0000"]),
        ("It is 3.5. Not 1.2.3 - or -", ["It", "is", "3.5", ".", "Not", "1.2", ".", "3", "-", "or", "-"]),
        # long words become WordPiece pieces of about equal length; "##" marks a continuation
        ("Pneumonoultramicroscopicsilicovolcanoconiosis!",
         ["Pneumonoultrami", "##croscopicsilico", "##volcanoconiosis", "!"]),
        ("Donaudampfschifffahrtsgesellschaftskapitän", ["Donaudampfschifffahrt", "##sgesellschaftskapitän"]),
        ("abcdefghijklmnopqrstuvwxy", ["abcdefghijkl", "##mnopqrstuvwxy"]),  # 25 letters: 12 + 13
        ("abcdefghijklmnopqrstuvwx", ["abcdefghijklmnopqrstuvwx"]),  # 24 letters fit
        # invisible characters are dropped; joiners stay only where they join
        ("evil \u202eoverride\u202c here", ["evil", "override", "here"]),
        ("\u2067שלום\u2069 \u200fworld\u200e", ["שלום", "world"]),
        ("zero\u200bwidth soft\u00adhyphen \ufeffbom", ["zerowidth", "softhyphen", "bom"]),
        ("👩\u200d💻 codes \u200d👍\u200d", ["👩\u200d💻", "codes", "👍"]),
        ("می\u200cخواهم", ["می\u200cخواهم"]),  # Persian: the ZWNJ inside the word is spelling
        ("a\u200d b\u200c", ["a", "b"]),
    ],
)
def test_tokenize(sentence, tokens):
    assert tokenize(sentence) == tokens


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", "...", "!?", "— ; ,", "".join(BIDI + INVISIBLE), "\u200d\u200c -"])
def test_no_words_is_refused(bad):
    with pytest.raises(InputError, match="no words"):
        tokenize(bad)


def test_too_many_tokens():
    ok = " ".join(["w"] * MAX_TOKENS)
    assert len(tokenize(ok)) == MAX_TOKENS
    with pytest.raises(InputError, match="maximum is 16"):
        tokenize(ok + " w")


@pytest.mark.parametrize("ch", BIDI + INVISIBLE)
def test_every_invisible_character_is_dropped(ch):
    assert tokenize(f"{ch}ab{ch}c d{ch} {ch}") == ["abc", "d"]


def test_the_token_limit_counts_pieces():
    word = "abcdefghijklmnopqrstuvwxyz"  # 26 letters: two pieces
    assert len(tokenize(" ".join([word] * 8))) == MAX_TOKENS
    with pytest.raises(InputError, match="the sentence has 18 tokens; the maximum is 16"):
        tokenize(" ".join([word] * 9))


def test_too_long_token_and_nul():
    with pytest.raises(InputError, match="longer than 24 characters: 👍"):
        tokenize("I 👍" + "\ufe0f" * 30)  # a symbol is never split
    with pytest.raises(InputError, match="cannot be split"):
        tokenize("a" + "\u0301" * 30)  # nor a letter from its accents
    with pytest.raises(InputError, match="NUL"):
        tokenize("a\x00b")


def test_a_split_word_is_tracked_by_its_whole_text_or_a_piece():
    tokens = tokenize("The Donaudampfschifffahrtsgesellschaftskapitän sleeps")
    assert tokens[1:3] == ["Donaudampfschifffahrt", "##sgesellschaftskapitän"]
    assert resolve_token(tokens, "donaudampfschifffahrtsgesellschaftskapitän") == 1  # its first piece
    assert resolve_token(tokens, "Donaudampfschifffahrt") == 1
    assert resolve_token(tokens, "##SGESELLSCHAFTSKAPITÄN") == 2
    with pytest.raises(InputError, match="not in the sentence"):
        resolve_token(tokens, "sgesellschaftskapitän")  # a piece without its mark is not a word
    assert resolve_token(tokenize("Pneumonoultramicroscopicsilicovolcanoconiosis"), "") == 0  # the last word starts there
    assert resolve_token(tokenize("Take -2.5 now"), "-2.5") == 1


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)
