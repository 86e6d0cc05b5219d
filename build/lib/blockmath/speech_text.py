"""Text for the ear: an on-screen caption (math symbols, numbers, any Unicode) as plain English words.

`speakable(caption)` is pure and total: every string gives ASCII text that an English voice can read
(letters, spaces, apostrophes and the pauses , . ; : ? ! -). Math is read out ("h′ = h + λ·Δ" ->
"h prime equals h plus lambda times delta"), numbers become words, accented Latin is spoken without
its accents, and what an English voice cannot pronounce is described: "🍕" -> "slice of pizza", a
Hebrew word -> "a Hebrew word", an unnamed symbol -> "a symbol". No imports beyond the standard library.
"""

from __future__ import annotations

import re
import unicodedata

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
            "nine": "ninth", "twelve": "twelfth"}


def number_words(n: int) -> str:
    """A non-negative integer in words ("forty-eight"); from 10**15 on, digit by digit."""
    if n >= 10**15:
        return " ".join(_ONES[int(d)] for d in str(n))
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return _ONES[n // 100] + " hundred" + (" " + number_words(n % 100) if n % 100 else "")
    for scale, name in _SCALES:
        if n >= scale:
            rest = n % scale
            return number_words(n // scale) + " " + name + (" " + number_words(rest) if rest else "")
    raise AssertionError(n)


def ordinal_words(n: int) -> str:
    """A positive integer as an ordinal ("twenty-first")."""
    words = number_words(n)
    head, sep, last = words.rpartition(" ") if " " in words else ("", "", words)
    pre, dash, unit = last.rpartition("-")
    unit = _ORDINAL.get(unit, unit[:-1] + "ieth" if unit.endswith("y") else unit + "th")
    return head + sep + pre + dash + unit


_ABBREVIATIONS = ((r"\be\.\s?g\.", "for example"), (r"\bi\.\s?e\.", "that is"), (r"\betc\.", "et cetera"),
                  (r"\bvs\.", "versus"), (r"\bw\.\s?r\.\s?t\.", "with respect to"), (r"\bapprox\.", "approximately"),
                  (r"\bcf\.", "compare"))
_WORDS = {"layernorm": "layer norm", "rmsnorm": "R M S norm", "attn": "attention", "gelu": "G E L U",
          "softmax": "soft max", "ffn": "F F N", "mlp": "M L P", "ln": "L N", "qkv": "Q K V", "std": "standard deviation",
          "d_model": "d model"}
_INTERJECTIONS = {"hmm", "hm", "mm", "shh", "sh", "brr", "grr", "tsk", "pst", "psst", "pfft", "zzz", "nth"}
_SUPER = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀ", "0123456789+-=()niT"))
_SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₔₕₖₗₘₙₚₛₜ", "0123456789+-=()aeoxehklmnpst"))
_SYMBOLS = {  # said as words; anything else falls back to its Unicode name
    "=": "equals", "+": "plus", "−": "minus", "±": "plus or minus", "∓": "minus or plus", "×": "times",
    "·": "times", "⋅": "times", "∙": "times", "*": "times", "÷": "divided by", "/": "over", "⁄": "over",
    "∕": "over", "≈": "is about", "≃": "is about", "~": "about", "∼": "about", "≠": "is not", "≤": "at most",
    "⩽": "at most", "≥": "at least", "⩾": "at least", "<": "less than", ">": "greater than", "≪": "much less than",
    "≫": "much greater than", "→": "to", "⟶": "to", "↦": "maps to", "←": "gets", "⟵": "gets", "⇒": "implies",
    "⟹": "implies", "⇔": "if and only if", "↔": "and", "√": "the square root of", "∛": "the cube root of",
    "∑": "the sum of", "∏": "the product of", "∫": "the integral of", "∂": "partial", "∇": "the gradient of",
    "∞": "infinity", "∈": "in", "∉": "not in", "∀": "for all", "∃": "there is", "∝": "is proportional to",
    "⊙": "element-wise times", "⊗": "tensor", "⊕": "plus", "∘": "composed with", "°": "degrees",
    "%": "percent", "‰": "per mille", "&": "and", "@": "at", "#": "number", "^": "to the power of",
    "′": "prime", "″": "double prime", "‴": "triple prime", "⋯": "and so on", "⋮": "and so on", "⋱": "and so on",
    "$": "dollars", "€": "euros", "£": "pounds", "¥": "yen", "|": ",", "‖": ",", "\\": " ", "§": "section",
}
_FRACTIONS = str.maketrans({"½": " one half ", "¼": " one quarter ", "¾": " three quarters ", "⅓": " one third ",
                            "⅔": " two thirds "})
_GREEK = {"lamda": "lambda", "final sigma": "sigma", "lunate epsilon": "epsilon", "theta": "theta"}
_LATIN = {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L",
          "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i", "ŋ": "ng", "ħ": "h", "ĸ": "k"}
_SCRIPT_NAMES = {"CJK": "Chinese", "IDEOGRAPHIC": "Chinese", "KANGXI": "Chinese", "HIRAGANA": "Japanese",
                 "KATAKANA": "Japanese", "HALFWIDTH": "Japanese", "HANGUL": "Korean"}
_UNSPACED = {"Chinese", "Japanese", "Thai", "Lao", "Khmer", "Myanmar", "Tibetan"}
_SKIP_NAMES = ("VARIATION SELECTOR", "EMOJI MODIFIER", "ZERO WIDTH", "TAG ")
_NUMBER = re.compile(r"(?=[-−]?\.?\d)(?P<sign>(?<![\w)\]}′.])[-−])?(?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)?"
                     r"(?:\.(?P<frac>\d+))?(?:[eE](?P<exp>[-−+]?\d+))?(?P<ord>st|nd|rd|th)?(?![A-Za-z\d])")


def _spoken_number(m: re.Match) -> str:
    """One matched number (sign, integer, decimals, exponent, ordinal suffix) in words."""
    sign, whole, frac, exp, suffix = m.group("sign", "int", "frac", "exp", "ord")
    if whole is None and frac is None:
        return m.group(0)
    value = int(whole.replace(",", "")) if whole else 0
    if suffix and frac is None and value > 0:
        return f" {'minus ' if sign else ''}{ordinal_words(value)} "
    words = (["minus"] if sign else []) + ([number_words(value)] if whole else [])
    if frac is not None:
        words += ["point", *(_ONES[int(d)] for d in frac)]
    if exp:
        e = int(exp.replace("−", "-"))
        words += ["times ten to the", *(["minus"] if e < 0 else []), number_words(abs(e))]
    return " " + " ".join(words) + (f" {suffix}" if suffix else "") + " "


def _numbers(text: str) -> str:
    """Every number in words: "-0.89" -> "minus zero point eight nine", "4d" -> "four d", "1e-5", "21st"."""
    text = re.sub(r"(\d)(?=[A-Za-z])(?!(?:st|nd|rd|th)(?![A-Za-z]))(?![eE][-−+]?\d)", r"\1 ", text)  # 4d -> 4 d
    text = re.sub(r"(?<=[A-Za-z])(?<!\d[eE])(?=\d)", " ", text)  # LN1 -> LN 1
    return _NUMBER.sub(_spoken_number, text)


def _scripts(text: str) -> str:
    """Super- and subscripts spelled out: x² -> x squared, 2³² -> 2 to the power of 32, LN₁ -> LN 1."""
    def sup(m: re.Match) -> str:
        s = "".join(_SUPER[c] for c in m.group(0))
        return {"2": " squared ", "3": " cubed ", "-1": " inverse ", "T": " transposed "}.get(s, f" to the power of {s} ")

    text = re.sub("[" + "".join(_SUPER) + "]+", sup, text)
    return re.sub("[" + "".join(_SUB) + "]+", lambda m: " " + "".join(_SUB[c] for c in m.group(0)) + " ", text)


def _word(w: str) -> str:
    """A Latin word as the voice should read it: known terms, camelCase split, vowelless acronyms spelled."""
    if w.lower() in _WORDS:
        return _WORDS[w.lower()]
    if re.fullmatch(r"[B-DF-HJ-NP-TV-Z]{2,}s", w):  # LLMs -> L L M's
        return " ".join(w[:-1]) + "'s"
    parts = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", w).split(" ")
    return " ".join(" ".join(p) if len(p) >= 2 and not re.search(r"[aeiouyAEIOUY']", p) and (p.isupper() or len(p) <= 3)
                    and p.lower() not in _INTERJECTIONS else p for p in parts)


def _script_of(ch: str) -> str | None:
    """'mark', 'skip', a script an English voice cannot read ('Hebrew', 'Chinese', 'Greek'), or None."""
    cat = unicodedata.category(ch)
    if cat.startswith("M"):
        return "mark"
    if not cat.startswith("L"):
        return None
    first = re.split(r"[ -]", unicodedata.name(ch, "X"))[0]
    if first == "MODIFIER":
        return "skip"
    return None if first == "LATIN" else _SCRIPT_NAMES.get(first, first.title())


def _family(script: str | None) -> str | None:
    """Scripts that share one run: Chinese characters and kana make one Japanese phrase."""
    return "cjk" if script in ("Chinese", "Japanese") else script


def _describe(script: str, words: list[str]) -> str:
    """'a Hebrew word', 'three Arabic words', 'a Chinese phrase'; Greek letters one by one ('lambda mu')."""
    if script == "Greek" and all(len(w) <= 2 for w in words):
        return " ".join(_greek_letter(c) for w in words for c in w if _script_of(c) == "Greek")
    if _family(script) == "cjk":
        script = "Japanese" if any(_script_of(c) == "Japanese" for w in words for c in w) else "Chinese"
    article = "an" if script[0] in "AEIOU" else "a"
    if script in _UNSPACED:
        return f"{article} {script} {'word' if sum(map(len, words)) <= 2 else 'phrase'}"
    return f"{article} {script} word" if len(words) == 1 else f"{number_words(len(words))} {script} words"


def _greek_letter(ch: str) -> str:
    """λ -> lambda, Δ -> delta."""
    name = unicodedata.name(ch, "").removeprefix("GREEK ").replace("SMALL ", "").replace("CAPITAL ", "")
    name = re.sub(r"^(LETTER|SYMBOL) | WITH .*$", "", name).lower()
    return _GREEK.get(name, name) or "a symbol"


def _latin(ch: str) -> str:
    """A Latin letter with accents or a hook as ASCII ('é' -> 'e', 'ß' -> 'ss', 'ƒ' -> 'f')."""
    if ch in _LATIN:
        return _LATIN[ch]
    plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if plain.isascii() and plain.isalpha():
        return plain
    m = re.search(r"LETTER (?:[A-Z]+ )*?([A-Z]{1,2})\b|([A-Z]+)$", unicodedata.name(ch, ""))
    return (m.group(1) or m.group(2)).lower() if m else ""


def _symbol(ch: str) -> str:
    """What to say for a symbol or an emoji: its word, or its Unicode name ('🍕' -> 'slice of pizza')."""
    if ch in _SYMBOLS:
        return _SYMBOLS[ch]
    cat, name = unicodedata.category(ch), unicodedata.name(ch, "")
    if cat in ("Cc", "Cf", "Cs", "Zl", "Zp") or name.startswith(_SKIP_NAMES) or cat.startswith("P"):
        return ", " if cat in ("Ps", "Pe", "Pd") else ""
    if not name:
        return "a symbol"  # unassigned or private use: drawn as something, so say so
    name = re.sub(r"\b(SIGN|MARK|SYMBOL|CHARACTER|EMOJI COMPONENT)\b", "", name).replace("-", " ")
    return " ".join(name.lower().split()) or "a symbol"


def _spell(text: str) -> str:
    """The character pass: ASCII kept, Latin de-accented, other scripts described, symbols and emoji named."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch, script = text[i], _script_of(text[i])
        if ch.isascii() and (ch.isalnum() or ch in " -',.;:?!"):
            out.append(ch)
        elif ch.isspace():
            out.append(" ")
        elif script in ("mark", "skip"):
            pass  # a stray combining mark, a modifier letter such as ˈ
        elif script:
            words, j = [], i
            while True:  # a run of this script's words, with spaces, joiners or marks between them
                k = j
                while k < len(text) and (_family(_script_of(text[k])) == _family(script) or
                                         _script_of(text[k]) == "mark" or text[k] in "\u200c\u200d"):
                    k += 1
                words.append(text[j:k])
                m = k
                while m < len(text) and text[m] == " ":
                    m += 1
                if m == k or m == len(text) or _family(_script_of(text[m])) != _family(script):
                    break
                j = m
            out.append(f"\x01{_describe(script, words)}\x01")
            i = k
            continue
        elif unicodedata.category(ch).startswith("L"):
            out.append(_latin(ch))
        elif unicodedata.category(ch) == "Nd":
            out.append(f" {_ONES[unicodedata.digit(ch, 0)]} ")
        elif unicodedata.name(ch, "").startswith("REGIONAL INDICATOR SYMBOL LETTER"):
            letters = ""
            while i < len(text) and unicodedata.name(text[i], "").startswith("REGIONAL INDICATOR SYMBOL LETTER"):
                letters += " " + unicodedata.name(text[i])[-1]
                i += 1
            out.append(f"\x01flag{letters}\x01")
            continue
        else:
            said = _symbol(ch)
            out.append(f"\x01{said}\x01" if unicodedata.category(ch) == "So" or not said.isascii() else f" {said} ")
        i += 1
    return re.sub(r"\x01\s*\x01", ", ", "".join(out)).replace("\x01", " ")  # described things one after another: a pause


def _pause(m: re.Match) -> str:
    """A run of pauses as the strongest one of them, then a space: ', ;' -> '; '."""
    marks = m.group(0)
    return next((c for c in "?!.;:," if c in marks), ",") + " "


def speakable(caption: str) -> str:
    """An on-screen caption as ASCII words for an English voice; '' only when the caption says nothing."""
    text = _scripts(unicodedata.normalize("NFC", str(caption)).translate(_FRACTIONS))
    text = re.sub(r"</?[A-Za-z][^<>]{0,40}>", " ", text)  # markup is not read out
    text = re.sub(r"(?<![A-Za-z])(?:…|\.\.\.)", " and so on ", text)  # "x + …"; after a word it is a pause
    text = re.sub(r"\s+[·•]\s+", "; ", text)  # a spaced middle dot separates; λ·Δ multiplies
    text = unicodedata.normalize("NFKC", text).replace("′′′", "‴").replace("′′", "″")
    text = text.translate({0x2010: "-", 0x3002: ". ", 0x3001: ", ", 0x2019: "'", 0x2BC: "'", 0x60: "'", 0xB4: "'"})
    text = re.sub(r"(?<![\w'])([A-Za-z])'(?![A-Za-z])", "\\1′", text)  # h' -> h prime
    text = re.sub(r"(?<=[^\W_])'(?=[^\W\d_])", "\x00", text)  # apostrophes inside words survive the quotes
    text = re.sub(r"[\"“”„‟«»‹›「」『』‘‚‛'\x00]", lambda m: "'" if m.group(0) == "\x00" else " ", text)
    for pattern, said in _ABBREVIATIONS:
        text = re.sub(pattern, f" {said} ", text, flags=re.IGNORECASE)
    text = re.sub(r"‖\s*([^‖]{1,40}?)\s*‖|\|\|\s*([^|]{1,40}?)\s*\|\|", lambda m: f" the length of {m.group(1) or m.group(2)} ", text)
    text = re.sub(r"(?<=\d)[×x](?=\d)", " by ", text)  # 8×8 -> 8 by 8
    text = re.sub(r"(?<=[A-Za-z0-9′])\(", " of ", text)  # f(x) -> f of x
    text = re.sub(r"(?<=\d)\s?[-–]\s?(?=\d)", " to ", text)  # 0-1 -> 0 to 1
    text = re.sub(r"([$€£¥])\s?(\d[\d,]*(?:\.\d+)?)", r"\2 \1", text)  # $5 -> 5 dollars
    text = re.sub(r"\s/\s|(?<=[A-Za-z]{2})/(?=[A-Za-z]{2})", " or ", text).replace("_", " ")
    text = re.sub(r" '(?=s\b)", "'", _spell(_numbers(text)))  # GPT-2's -> G P T two's
    text = re.sub(r"[A-Za-z]+(?:'[A-Za-z]+)*", lambda m: _word(m.group(0)), text)
    text = re.sub(r"\d", lambda m: f" {_ONES[int(m.group(0))]} ", text)  # none should be left: a safety net
    text = re.sub(r"(?<![A-Za-z])['-]+|['-]+(?![A-Za-z])", " ", text)  # hyphens and apostrophes inside words only
    text = re.sub(r"\s*[,.;:?!](?:[\s,.;:?!]*[,.;:?!])?\s*", _pause, text)
    text = re.sub(r"^[\s,.;:?!]+|[\s,;:]+$", "", " ".join(text.split()))
    return text or _names(caption)


def _names(caption: str) -> str:
    """The last resort for a caption of symbols that read as pauses ('|'): their Unicode names."""
    names = [unicodedata.name(ch, "a symbol") for ch in unicodedata.normalize("NFKC", caption)
             if unicodedata.category(ch)[0] in "LNS" and not unicodedata.name(ch, "").startswith(_SKIP_NAMES)]
    return " ".join(re.sub(r"[^A-Za-z ]", " ", " ".join(dict.fromkeys(names[:8]))).lower().split())
