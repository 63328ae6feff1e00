"""Typo tolerance: a query word that is neither in the index nor an Indonesian word (by the
stemmer's root dictionary) nor in the lexicon is matched to the closest word the index has
(edit distance 1, or 2 for words of 7+ letters; same first letter), preferring the most
frequent. The search then matches both spellings and offers "maksud Anda: …"."""
from __future__ import annotations

import re
from collections import defaultdict

from .analysis import Analyzer, fold

WORD_RE = re.compile(r"\w+", re.UNICODE)
MIN_LENGTH = 5  # shorter words are too often informal spellings, not typos


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (adjacent swaps count 1), or limit + 1 if larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class Speller:
    def __init__(self, frequencies: dict[str, int], analyzer: Analyzer):
        self.frequencies = frequencies
        self.analyzer = analyzer
        lexicon = analyzer.lexicon
        self._known = {w for form in [*lexicon.concepts, *lexicon.rewrites] for w in form} | set(analyzer.stopwords)
        self._buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word in frequencies:
            if word not in analyzer.stopwords:  # a stop word is never the word someone meant
                self._buckets[(word[0], len(word))].append(word)

    def closest(self, word: str) -> str | None:
        limit = 1 if len(word) < 7 else 2
        best: tuple[int, int, str] | None = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            for candidate in self._buckets.get((word[0], length), ()):
                distance = edit_distance(word, candidate, limit)
                if distance <= limit:
                    key = (distance, -self.frequencies[candidate], candidate)
                    best = key if best is None or key < best else best
        return best[2] if best else None

    def correct(self, text: str) -> str | None:
        """The text with unknown words replaced by their closest known word; None if unchanged."""
        out, pos, changed = [], 0, False
        for match in WORD_RE.finditer(text):
            word = fold(match.group())
            if (len(word) < MIN_LENGTH or not word.isalpha() or word in self.frequencies
                    or word in self._known or self.analyzer.is_word(word)):
                continue
            replacement = self.closest(word)
            if replacement:
                out += [text[pos : match.start()], replacement]
                pos, changed = match.end(), True
        out.append(text[pos:])
        return "".join(out) if changed else None
