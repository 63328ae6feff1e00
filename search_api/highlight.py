"""Readable highlights: query terms marked in the ORIGINAL text (the index holds stems)."""
from __future__ import annotations

import html
import re
from functools import lru_cache

from .analysis import get_analyzer
from .analysis.analyzer import fold

WORD_RE = re.compile(r"\w+", re.UNICODE)
SNIPPET_WORDS = 36
SHORT_FIELDS = {"title", "acronym", "agency"}


def matched_spans(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Character spans of the words in ``text`` that match analysed query ``terms``."""
    term_of = get_analyzer().term_of
    words = list(WORD_RE.finditer(text))
    hit = [term_of(w.group()) in terms for w in words]
    phrases = _phrases(frozenset(terms))
    if phrases:
        folded = [fold(w.group()) for w in words]
        for i, word in enumerate(folded):
            for form in phrases.get(word, ()):
                if tuple(folded[i : i + len(form)]) == form:
                    hit[i : i + len(form)] = [True] * len(form)
    return [(w.start(), w.end()) for w, h in zip(words, hit) if h]


@lru_cache(maxsize=256)
def _phrases(terms: frozenset[str]) -> dict[str, list[tuple[str, ...]]]:
    """Multi-word forms of the queried concepts ("kartu tanda penduduk" for "ktp") by their
    first word: worked out once per query, not once per highlighted field."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for form, concept in get_analyzer().lexicon.concepts.items():
        if concept in terms and len(form) > 1:
            out.setdefault(form[0], []).append(form)
    return out


def _mark(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in spans:
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def snippet(field: str, text: str | None, terms: set[str]) -> str | None:
    """HTML-escaped text with <mark> around matches, cut to a window around the densest
    run of matches for long fields; None when nothing matches."""
    if not text or not terms:
        return None
    spans = matched_spans(text, terms)
    if not spans:
        return None
    if field in SHORT_FIELDS:
        return _mark(text, spans)
    words = list(WORD_RE.finditer(text))
    if len(words) <= SNIPPET_WORDS:
        return _mark(text, spans)
    starts = {s for s, _ in spans}
    hit_index = [i for i, w in enumerate(words) if w.start() in starts]
    best = max(hit_index, key=lambda i: sum(1 for j in hit_index if i <= j < i + SNIPPET_WORDS))
    first = max(0, min(best - 4, len(words) - SNIPPET_WORDS))
    last = min(len(words) - 1, first + SNIPPET_WORDS - 1)
    lo, hi = words[first].start(), words[last].end()
    inner = [(s - lo, e - lo) for s, e in spans if lo <= s and e <= hi]
    return ("…" if lo > 0 else "") + _mark(text[lo:hi], inner) + ("…" if hi < len(text) else "")


def shared_words(text: str, terms: set[str], limit: int = 12) -> list[str]:
    """Distinct original words of ``text`` matching ``terms``, for 'why it matched'."""
    seen: dict[str, str] = {}
    for start, end in matched_spans(text, terms):
        word = text[start:end]
        seen.setdefault(word.lower(), word)
    return list(seen.values())[:limit]
