"""Word-level tokenizer: words (contractions kept whole), numbers, and single punctuation marks.

Rules, in order:
- invisible characters are dropped first: bidirectional controls (U+061C, U+200E/F, U+202A–202E, U+2066–2069) and
  zero-width / invisible formatting (U+00AD, U+180E, U+200B, U+2060–2064, U+206A–206F, U+FEFF); the joiners
  U+200C/U+200D stay only where they join two letters of a word or the parts of an emoji sequence;
- a number is one token: an optional sign (+, -, −) where it cannot be a binary minus (at the start, after a space,
  an opening bracket or a math symbol), digits, thousands groups (`1,000,000`: exactly three digits after each
  comma), a decimal part (`2.5`) and an exponent (`3e10`, `6.02e-23`); `a-b`, `3-4` and `end.` still split;
- a word longer than MAX_TOKEN_CHARS is split into the fewest pieces of at most MAX_TOKEN_CHARS - 2 characters, of
  about equal length, WordPiece style: every piece after the first starts with "##"
  (`Pneumonoultrami ##croscopicsilico ##volcanoconiosis`); MAX_TOKENS counts the pieces.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TOKENS = 16  # a sentence may have at most this many tokens (rows on screen)
MAX_TOKEN_CHARS = 24  # a single token may have at most this many characters (fits a label), "##" included
CONTINUATION = "##"  # marks a piece that continues the word before it (as BERT's WordPiece does)

_APOSTROPHES = "'\u2019"  # ' and ’ join the parts of a contraction: didn't, l’homme
_ZWJ, _ZWNJ = "\u200d", "\u200c"  # zero-width (non-)joiner: emoji sequences, Persian and Indic words
_JOINERS = _ZWJ + _ZWNJ
_SIGNS = "+-\u2212"  # + - − before a number
_INVISIBLE = frozenset(map(chr, [
    0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A),  # bidirectional controls
    0x00AD, 0x180E, 0x200B, *range(0x2060, 0x2065), *range(0x206A, 0x2070), 0xFEFF,  # invisible formatting
]))
_NUMBER = re.compile(r"[+\-\u2212]?\d+(?:,\d{3}(?!\d))*(?:\.\d+)?(?:[eE][+\-\u2212]?\d+)?")


class InputError(ValueError):
    """Bad user input; the message is one line meant for the user."""


def _is_word_char(ch: str) -> bool:
    """True for letters, digits, combining marks and connector punctuation (_)."""
    return unicodedata.category(ch)[0] in "LNM" or unicodedata.category(ch) == "Pc"


def _is_attached(ch: str) -> bool:
    """True for characters that belong to the previous one (accents, variation selectors, ZWJ, emoji tags)."""
    return unicodedata.category(ch) in ("Mn", "Me", "Mc", "Cf", "Sk")


def _is_blank(ch: str) -> bool:
    """True for whitespace and control characters (tabs, newlines, ...): they separate tokens."""
    return ch.isspace() or unicodedata.category(ch) == "Cc"


def is_word(token: str) -> bool:
    """True for a word, a number (signed or not) or a piece of a split word; False for punctuation and symbols."""
    core = token[len(CONTINUATION):] if is_continuation(token) else token
    if len(core) > 1 and core[0] in _SIGNS and unicodedata.category(core[1]) == "Nd":
        return True  # -2.5
    return _is_word_char(core[0])


def is_continuation(token: str) -> bool:
    """True for a piece that continues the word before it ("##" and at least one more character)."""
    return token.startswith(CONTINUATION) and len(token) > len(CONTINUATION)


def drop_invisible(text: str) -> str:
    """The text without bidirectional controls and invisible formatting characters."""
    return "".join(c for c in text if c not in _INVISIBLE)


def _number_at(text: str, i: int) -> int:
    """End of the number that starts at i, or i when none does (a sign counts only where it is not a minus)."""
    if text[i] in _SIGNS:
        prev = text[i - 1] if i else " "
        if not (_is_blank(prev) or unicodedata.category(prev) in ("Ps", "Pi", "Sm")):
            return i
    m = _NUMBER.match(text, i)
    return m.end() if m else i


def _word_end(text: str, j: int) -> int:
    """Extend a word from j over letters, contractions (didn't) and joiners between two letters."""
    n = len(text)
    while j < n:
        if _is_word_char(text[j]):
            j += 1
        elif (text[j] in _APOSTROPHES or text[j] in _JOINERS) and j + 1 < n and _is_word_char(text[j + 1]):
            j += 2  # the apostrophe (or joiner) stays inside the word
        else:
            break
    return j


def split_word(word: str, limit: int = MAX_TOKEN_CHARS) -> list[str]:
    """A word as the fewest pieces of at most limit - 2 characters, of about equal length, each after the first
    marked "##" (never cut between a letter and its accents); the word itself when it fits in limit."""
    if len(word) <= limit:
        return [word]
    cuts = [p for p in range(1, len(word))
            if not _is_attached(word[p]) and word[p] not in _JOINERS and word[p - 1] not in _JOINERS]
    room = limit - len(CONTINUATION)
    for k in range(-(-len(word) // room), len(cuts) + 2):  # the fewest pieces first
        bounds = [0]
        for m in range(1, k):
            later = [c for c in cuts if c > bounds[-1]]
            if not later:
                break
            bounds.append(min(later, key=lambda c: abs(c - m * len(word) / k)))
        pieces = [word[a:b] for a, b in zip(bounds, [*bounds[1:], len(word)])]
        if len(pieces) == k and len(pieces[0]) <= limit and all(len(p) <= room for p in pieces[1:]):
            return [pieces[0], *(CONTINUATION + p for p in pieces[1:])]
    raise InputError(f"a token is longer than {limit} characters and cannot be split: {word[:limit]}…")


def tokenize(sentence: str, max_tokens: int = MAX_TOKENS) -> list[str]:
    """Split a sentence into word, number and punctuation tokens; raise InputError on unusable input."""
    if not isinstance(sentence, str):
        raise InputError("the sentence must be text")
    if "\x00" in sentence:
        raise InputError("the sentence contains a NUL character")
    text = drop_invisible(unicodedata.normalize("NFC", sentence))
    tokens: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if _is_blank(ch) or ch in _JOINERS:
            i += 1  # a joiner that joins nothing is dropped
            continue
        j = _number_at(text, i)
        if j > i or _is_word_char(ch):
            j = _word_end(text, max(j, i + 1))
            tokens += split_word(text[i:j])
        else:
            j = i + 1
            while j < n and (_is_attached(text[j]) or text[j - 1] == _ZWJ and not _is_blank(text[j])):
                j += 1  # keep an emoji / symbol together with its modifiers and what a ZWJ joins to it
            tokens.append(text[i:j].replace(_ZWNJ, "").rstrip(_ZWJ))  # ZWJ only between two parts
        i = j
    if not any(is_word(t) for t in tokens):
        raise InputError("the sentence has no words (it is empty, blank or only punctuation)")
    if len(tokens) > max_tokens:
        raise InputError(f"the sentence has {len(tokens)} tokens; the maximum is {max_tokens}")
    long = [t for t in tokens if len(t) > MAX_TOKEN_CHARS]
    if long:
        raise InputError(f"a token is longer than {MAX_TOKEN_CHARS} characters: {long[0][:MAX_TOKEN_CHARS]}…")
    return tokens
