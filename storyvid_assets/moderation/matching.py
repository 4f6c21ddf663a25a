"""Term matching that sees through the usual disguises.

A text is folded first (lower case, accents and look-alike letters from other alphabets mapped to plain
Latin, invisible characters dropped) while remembering where every character came from, so a match is
reported at its offsets in the original text. Each word is then compared in several forms:

- as written, and without a possessive ``'s``;
- with l33t characters read as letters (``sh1t``, ``$hit``, ``@ss``, ``ki11``);
- with ``*`` read as a mask for one letter (``f*ck``) or as a separator (``f*u*c*k``);
- with repeated letters collapsed (``fuuuck``), when the word is longer than the listed form;
- joined with its neighbours when a word is spelled letter by letter (``f u c k``, ``s.h.i.t``).

List entries match their inflections (``fucks``, ``fucked``, ``fucking``, ``fuckin'``, ``fucker``), and
``fragments`` match inside longer words (``motherfucker``). Entries of several words are phrases, in which
``*`` stands for any one word.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

HOMOGLYPHS: dict[str, str] = {
    # Cyrillic and Greek letters that look like Latin ones, and letters NFKD does not decompose.
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ɡ": "g",
    "α": "a",
    "β": "b",
    "ε": "e",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ß": "ss",
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "ł": "l",
    "đ": "d",
    "ı": "i",
}
LEET: dict[str, tuple[str, ...]] = {
    "0": ("o",),
    "1": ("i", "l"),
    "3": ("e",),
    "4": ("a",),
    "5": ("s",),
    "7": ("t",),
    "8": ("b",),
    "9": ("g",),
    "@": ("a",),
    "$": ("s",),
    "!": ("i",),
    "|": ("i", "l"),
    "+": ("t",),
    "€": ("e",),
}
TOKEN_RE = re.compile(r"[a-z0-9@$!*|+€'’]+")
SPELLED_GAP_RE = re.compile(r"[ \t.\-_*/\\·•,:~]{1,3}")
MAX_LEET_VARIANTS = 16
MIN_SPELLED_RUN = 3
WILDCARD = "*"


def fold(text: str) -> tuple[str, list[int]]:
    """Lower-cased, de-accented, homoglyph-mapped text and, for each of its characters, the original index.

    The index list has one extra entry (``len(text)``) so an end offset always maps.
    """
    if text.isascii():
        return text.lower(), [*range(len(text) + 1)]
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            out.append(ch.lower())
            index.append(i)
            continue
        if unicodedata.category(ch) == "Cf":  # zero-width spaces and joiners hide inside words
            continue
        low = ch.lower()
        mapped = HOMOGLYPHS.get(low)
        if mapped is None:
            decomposed = unicodedata.normalize("NFKD", low)
            mapped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
            mapped = "".join(HOMOGLYPHS.get(c, c) for c in mapped)
        for c in mapped:
            out.append(c)
            index.append(i)
    index.append(len(text))
    return "".join(out), index


def collapse(word: str) -> str:
    """Runs of a repeated character shortened to one: ``fuuuck`` -> ``fuck``."""
    return re.sub(r"(.)\1+", r"\1", word)


def stretched(word: str) -> bool:
    """A letter written three or more times in a row (``fuuuck``): repeats are then read as one letter."""
    return re.search(r"([a-z])\1\1", word) is not None


def masked_contains(form: str, needle: str) -> bool:
    """Whether ``form`` with ``*`` masking single letters can spell ``needle`` somewhere inside it."""
    for offset in range(len(form) - len(needle) + 1):
        window = form[offset : offset + len(needle)]
        if window != WILDCARD * len(needle) and all(a in (b, WILDCARD) for a, b in zip(window, needle, strict=True)):
            return True
    return False


def _is_cvc(word: str) -> bool:
    vowels = set("aeiou")
    return len(word) >= 3 and word[-1] not in vowels | set("wxy") and word[-2] in vowels and word[-3] not in vowels


def inflections(word: str) -> frozenset[str]:
    """The forms a listed word takes in running text (plural, past, -ing, -in', -er, -y)."""
    if not word.isalpha():
        return frozenset({word})
    forms = {word, word + "s", word + "es", word + "ed", word + "ing", word + "er", word + "ers", word + "y"}
    if len(word) >= 4:
        forms.add(word + "in")  # fuckin'
    if word.endswith("e"):
        stem = word[:-1]
        forms |= {word + "d", word + "r", word + "rs", stem + "ing", stem + "in", stem + "y", stem + "ist"}
    if word.endswith("ie"):
        forms.add(word[:-2] + "ying")  # die -> dying
    if word.endswith("y"):
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    if _is_cvc(word):
        forms |= {word + word[-1] + suffix for suffix in ("ing", "ed", "er", "ers", "y", "in")}
    return frozenset(forms)


def _leet_variants(word: str) -> set[str]:
    options = [LEET.get(c, (c,)) for c in word]
    variants: set[str] = set()
    for combo in itertools.islice(itertools.product(*options), MAX_LEET_VARIANTS):
        variants.add("".join(combo))
    return variants


def token_forms(raw: str) -> frozenset[str]:
    """Every reading of one folded token that a listed word is compared with."""
    word = raw.replace("’", "'")
    bases = {word}
    if word.endswith("'s"):
        bases.add(word[:-2])
    forms: set[str] = set()
    for base in bases:
        base = base.strip("'")
        if not base:
            continue
        if not any(c.isalpha() for c in base):
            if base.isdigit():
                forms.add(base)  # numbers only match numeric entries ("1488")
            continue
        readings = {base}
        if WILDCARD in base:
            unmasked = base.replace(WILDCARD, "")
            if any(c.isalpha() for c in unmasked):
                readings.add(unmasked)
        for reading in list(readings):
            if any(c in LEET for c in reading):
                readings |= _leet_variants(reading)
        forms |= readings
    return frozenset(forms)


@dataclass(frozen=True)
class Token:
    start: int  # offsets in the folded text
    end: int
    raw: str
    forms: frozenset[str]
    spelled: bool = False  # joined from letters spelled one by one


def _trim(raw: str, start: int) -> tuple[str, int]:
    lead = len(raw) - len(raw.lstrip("'’!|+"))
    raw, start = raw[lead:], start + lead
    if raw.startswith(WILDCARD) and raw.endswith(WILDCARD):  # *emphasis*
        stripped = raw.strip(WILDCARD)
        start += len(raw) - len(raw.lstrip(WILDCARD))
        raw = stripped
    return raw.rstrip("'’!|+?"), start


def tokenize(folded: str) -> list[Token]:
    """Words of a folded text, with letter-by-letter spellings joined into one token."""
    tokens: list[Token] = []
    for m in TOKEN_RE.finditer(folded):
        raw, start = _trim(m.group(0), m.start())
        if raw:
            tokens.append(Token(start, start + len(raw), raw, token_forms(raw)))
    return _join_spelled(folded, tokens)


def _single_letter(token: Token) -> bool:
    return len(token.raw) == 1 and (token.raw.isalpha() or token.raw in LEET)


def _join_spelled(folded: str, tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        j = i
        while (
            j + 1 < len(tokens)
            and _single_letter(tokens[j])
            and _single_letter(tokens[j + 1])
            and SPELLED_GAP_RE.fullmatch(folded[tokens[j].end : tokens[j + 1].start])
        ):
            j += 1
        if j - i + 1 >= MIN_SPELLED_RUN:
            raw = "".join(t.raw for t in tokens[i : j + 1])
            out.append(Token(tokens[i].start, tokens[j].end, raw, token_forms(raw), spelled=True))
            i = j + 1
        else:
            out.append(tokens[i])
            i += 1
    return out


@dataclass(frozen=True)
class PreparedText:
    """A text folded and split once, to be searched by several indexes."""

    text: str
    index: list[int]
    tokens: list[Token]


def prepare(text: str) -> PreparedText:
    folded, index = fold(text)
    return PreparedText(text, index, tokenize(folded))


@dataclass(frozen=True)
class Term:
    """One list entry, compiled: a phrase of word patterns (``None`` is the one-word wildcard)."""

    text: str
    category: str
    level: str
    source: str
    words: tuple[frozenset[str] | None, ...]
    fragment: bool = False


def compile_term(
    text: str, category: str, level: str, source: str, *, fragment: bool = False, inflect: bool = True
) -> Term:
    folded, _ = fold(text)
    parts = [m.group(0) for m in TOKEN_RE.finditer(folded)]
    if not parts or parts[0] == WILDCARD:
        raise ValueError(f"list entry {text!r} in {source} must start with a word")
    if fragment and len(parts) != 1:
        raise ValueError(f"fragment {text!r} in {source} must be a single word")
    words = tuple(
        None if part == WILDCARD else (inflections(part) if inflect and not fragment else frozenset({part}))
        for part in parts
    )
    return Term(text=text, category=category, level=level, source=source, words=words, fragment=fragment)


@dataclass(frozen=True)
class TermMatch:
    term: Term
    start: int  # offsets in the original text
    end: int
    matched: str
    how: str  # "word", "fragment", "spelled out", "masked", "repeated letters", "l33t"


@dataclass
class _WordIndex:
    exact: dict[str, list[Term]] = field(default_factory=dict)
    collapsed: dict[str, list[tuple[int, Term]]] = field(default_factory=dict)  # collapsed form -> (len, term)
    by_length: dict[int, list[tuple[str, Term]]] = field(default_factory=dict)

    def add(self, variant: str, term: Term) -> None:
        self.exact.setdefault(variant, []).append(term)
        self.collapsed.setdefault(collapse(variant), []).append((len(variant), term))
        self.by_length.setdefault(len(variant), []).append((variant, term))


def _masked_pattern(form: str) -> re.Pattern[str] | None:
    if WILDCARD not in form or not any(c.isalpha() for c in form):
        return None
    return re.compile("".join("[a-z]" if c == WILDCARD else re.escape(c) for c in form))


def word_matches(token: Token, variants: frozenset[str]) -> str | None:
    """How ``token`` matches one of ``variants`` (a listed word's forms), or None."""
    for form in token.forms:
        if form in variants:
            return _how(token, form)
        pattern = _masked_pattern(form)
        if pattern and any(len(v) == len(form) and pattern.fullmatch(v) for v in variants):
            return "masked"
        if stretched(form) and any(collapse(v) == collapse(form) and len(form) > len(v) for v in variants):
            return "repeated letters"
    return None


def _how(token: Token, form: str) -> str:
    if token.spelled:
        return "spelled out"
    if form == token.raw.replace("’", "'") or form == token.raw.replace("’", "'")[:-2]:
        return "word"
    return "masked" if WILDCARD in token.raw else "l33t"


class TermIndex:
    """Compiled list entries of one or more categories, searchable in any text."""

    def __init__(self, terms: Iterable[Term], allow: Iterable[str] = ()) -> None:
        self.terms = list(terms)
        self.allow = frozenset(fold(a)[0] for a in allow)
        self._first = _WordIndex()
        self._fragments: list[Term] = []
        for term in self.terms:
            if term.fragment:
                self._fragments.append(term)
                continue
            first = term.words[0]
            assert first is not None
            for variant in first:
                self._first.add(variant, term)

    def _first_word_terms(self, token: Token) -> list[tuple[Term, str]]:
        found: dict[int, tuple[Term, str]] = {}
        for form in token.forms:
            for term in self._first.exact.get(form, []):
                found.setdefault(id(term), (term, _how(token, form)))
            if stretched(form):
                for length, term in self._first.collapsed.get(collapse(form), []):
                    if len(form) > length:
                        found.setdefault(id(term), (term, "repeated letters"))
            pattern = _masked_pattern(form)
            if pattern:
                for variant, term in self._first.by_length.get(len(form), []):
                    if pattern.fullmatch(variant):
                        found.setdefault(id(term), (term, "masked"))
        return list(found.values())

    def _fragment_terms(self, token: Token) -> list[tuple[Term, str]]:
        found: list[tuple[Term, str]] = []
        for term in self._fragments:
            needle = next(iter(term.words[0] or ()))
            for form in token.forms:
                cleaned = form
                for allowed in self.allow:
                    cleaned = cleaned.replace(allowed, " ")
                if needle in cleaned:
                    found.append((term, "fragment" if needle != form else _how(token, form)))
                    break
                if stretched(cleaned) and collapse(needle) in collapse(cleaned):
                    found.append((term, "repeated letters"))
                    break
                if WILDCARD in cleaned and masked_contains(cleaned, needle):
                    found.append((term, "masked"))
                    break
        return found

    def search(self, text: str | PreparedText) -> list[TermMatch]:
        """Every listed entry in ``text``, at original offsets, one match per (entry, place)."""
        prepared = text if isinstance(text, PreparedText) else prepare(text)
        text, index, tokens = prepared.text, prepared.index, prepared.tokens
        matches: list[TermMatch] = []
        seen: set[tuple[str, str, int]] = set()
        for i, token in enumerate(tokens):
            allowed = bool(token.forms & self.allow)
            candidates = [] if allowed else self._first_word_terms(token) + self._fragment_terms(token)
            for term, how in candidates:
                end_token = self._phrase_end(tokens, i, term)
                if end_token is None:
                    continue
                start, end = index[token.start], index[tokens[end_token].end - 1] + 1
                key = (term.category, term.text, start)
                if key in seen:
                    continue
                seen.add(key)
                matches.append(TermMatch(term, start, end, text[start:end], how))
        return matches

    @staticmethod
    def _phrase_end(tokens: list[Token], first: int, term: Term) -> int | None:
        last = first + len(term.words) - 1
        if last >= len(tokens):
            return None
        for offset, variants in enumerate(term.words[1:], start=1):
            if variants is not None and word_matches(tokens[first + offset], variants) is None:
                return None
        return last
