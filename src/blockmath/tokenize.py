"""Word-level tokenizer: words (contractions kept whole) and single punctuation marks."""

from __future__ import annotations

import unicodedata

MAX_TOKENS = 16  # a sentence may have at most this many tokens (rows on screen)
MAX_TOKEN_CHARS = 24  # a single token may have at most this many characters (fits a label)

_APOSTROPHES = "'\u2019"  # ' and ’ join the parts of a contraction: didn't, l’homme
_JOINERS = {"\u200d"}  # zero-width joiner glues emoji sequences together


class InputError(ValueError):
    """Bad user input; the message is one line meant for the user."""


def _is_word_char(ch: str) -> bool:
    """True for letters, digits, combining marks and connector punctuation (_)."""
    return unicodedata.category(ch)[0] in "LNM" or unicodedata.category(ch) == "Pc"


def _is_attached(ch: str) -> bool:
    """True for characters that belong to the previous one (accents, variation selectors, ZWJ)."""
    return unicodedata.category(ch) in ("Mn", "Me", "Mc", "Cf", "Sk") or ch in _JOINERS


def tokenize(sentence: str, max_tokens: int = MAX_TOKENS) -> list[str]:
    """Split a sentence into word and punctuation tokens; raise InputError on unusable input."""
    if not isinstance(sentence, str):
        raise InputError("the sentence must be text")
    if "\x00" in sentence:
        raise InputError("the sentence contains a NUL character")
    text = unicodedata.normalize("NFC", sentence)
    tokens: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or unicodedata.category(ch) == "Cc":
            i += 1
            continue
        j = i + 1
        if _is_word_char(ch):
            while j < n:
                if _is_word_char(text[j]):
                    j += 1
                elif text[j] in _APOSTROPHES and j + 1 < n and _is_word_char(text[j + 1]):
                    j += 2  # a contraction: the apostrophe stays inside the word
                else:
                    break
        else:
            while j < n and (_is_attached(text[j]) or text[j - 1] in _JOINERS):
                j += 1  # keep an emoji / symbol together with its modifiers
        tokens.append(text[i:j])
        i = j
    if not any(_is_word_char(t[0]) for t in tokens):
        raise InputError("the sentence has no words (it is empty, blank or only punctuation)")
    if len(tokens) > max_tokens:
        raise InputError(f"the sentence has {len(tokens)} tokens; the maximum is {max_tokens}")
    long = [t for t in tokens if len(t) > MAX_TOKEN_CHARS]
    if long:
        raise InputError(f"a token is longer than {MAX_TOKEN_CHARS} characters: {long[0][:MAX_TOKEN_CHARS]}…")
    return tokens
