"""Typo tolerance: a query word that is neither in the index nor an Indonesian word (by the
stemmer's root dictionary) nor in the lexicon nor a place name is matched to the closest word
the index has (edit distance 1, or 2 for words of 7+ letters; same first letter), preferring
the most frequent. The search then matches both spellings and offers "maksud Anda: …".

Left alone: proper nouns (a capitalised word inside a sentence: "di Timor", "warga Sleman"),
and any correction to a very common word (one in more than a tenth of the innovations), which
would add a term to the keyword leg that matches nearly everything."""
from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from typing import Iterable

from rapidfuzz.distance import OSA

from catalog.regions import province_names, regencies

from .analysis import Analyzer, fold

WORD_RE = re.compile(r"\w+", re.UNICODE)
MIN_LENGTH = 5  # shorter words are too often informal spellings, not typos
COMMON_SHARE = 0.10  # a word in more than this share of documents is never suggested
SENTENCE_END = re.compile(r"[.!?]\s*$")


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Every word of the 38 provinces' and 514 kab/kota's names, folded."""
    names = [*province_names(), *(r.name.split(" ", 1)[1] for r in regencies())]
    return frozenset(fold(w) for name in names for w in WORD_RE.findall(name))


def is_proper_noun(text: str, start: int, word: str) -> bool:
    """Capitalised (not all capitals: "STUNTNG" is a shouted typo) and not opening a sentence."""
    if not (word[:1].isupper() and not word.isupper()):
        return False
    before = text[:start]
    return bool(before.strip()) and not SENTENCE_END.search(before)


class Speller:
    def __init__(self, frequencies: dict[str, int], analyzer: Analyzer, documents: int,
                 protected: Iterable[str] = ()):
        self.frequencies = frequencies
        self.analyzer = analyzer
        lexicon = analyzer.lexicon
        self._known = ({w for form in [*lexicon.concepts, *lexicon.rewrites] for w in form}
                       | set(analyzer.stopwords) | set(protected))
        common = COMMON_SHARE * documents
        self._buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word, count in frequencies.items():
            # A stop word is never the word someone meant; a very common word would match everything.
            if word not in analyzer.stopwords and count <= common:
                self._buckets[(word[0], len(word))].append(word)

    def closest(self, word: str) -> str | None:
        limit = 1 if len(word) < 7 else 2
        best: tuple[int, int, str] | None = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            for candidate in self._buckets.get((word[0], length), ()):
                distance = OSA.distance(word, candidate, score_cutoff=limit)
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
                    or word in self._known or self.analyzer.is_word(word)
                    or is_proper_noun(text, match.start(), match.group())):
                continue
            replacement = self.closest(word)
            if replacement:
                out += [text[pos : match.start()], replacement]
                pos, changed = match.end(), True
        out.append(text[pos:])
        return "".join(out) if changed else None
