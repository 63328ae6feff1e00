"""The Indonesian analyser: text → index terms.

Pipeline: fold (lower-case, strip accents) → tokenize → lexicon (variant spellings are
rewritten, every known form of a concept also emits the concept's canonical token) →
drop stop words → stem with PySastrawi. Canonical concept tokens are never stemmed,
so "adminduk" and "administrasi kependudukan" meet on the token ``adminduk``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

TOKEN_RE = re.compile(r"[a-z0-9]+")
_WORD_RE = re.compile(r"[^\W_]+")  # surface words (before folding), to find where to insert


def fold(text: str) -> str:
    """Lower-case and strip diacritics (é → e)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    return TOKEN_RE.findall(fold(text))


@dataclass(frozen=True)
class Lexicon:
    """Curated dictionary in Solr synonym syntax (see lexicon.txt)."""

    rewrites: dict[tuple[str, ...], tuple[str, ...]]  # variant → standard form
    concepts: dict[tuple[str, ...], str]  # any form → canonical concept token
    max_len: int
    long_forms: dict[tuple[str, ...], str] = field(default_factory=dict)  # short form → its spelled-out form

    @classmethod
    def parse(cls, text: str) -> "Lexicon":
        rewrites: dict[tuple[str, ...], tuple[str, ...]] = {}
        concepts: dict[tuple[str, ...], str] = {}
        long_forms: dict[tuple[str, ...], str] = {}
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if "=>" in line:
                left, right = (part.strip() for part in line.split("=>", 1))
                target = tuple(tokenize(right))
                for variant in left.split(","):
                    key = tuple(tokenize(variant))
                    if key and target:
                        rewrites[key] = target
                continue
            forms = [tuple(tokenize(f)) for f in line.split(",")]
            forms = [f for f in forms if f]
            if len(forms) < 2 or len(forms[0]) != 1:
                raise ValueError(f"lexicon line {lineno}: need 'canonical, form, ...' with a one-word canonical: {raw!r}")
            canonical = forms[0][0]
            for form in forms:
                concepts.setdefault(form, canonical)
            surfaces = [f.strip() for f in line.split(",") if f.strip()]
            for form in forms:
                # A form's spelled-out form: the line's first multi-word form sharing none of its
                # words, else its longest such form (ATS → anak tidak sekolah, TB → tuberkulosis).
                others = [f for f in surfaces if not set(tokenize(f)) & set(form)]
                spelled = [f for f in others if " " in f and len(f) >= 10]
                long = spelled[0] if spelled else max(others, key=len, default="")
                if len(long) > len(" ".join(form)) + 3:
                    long_forms.setdefault(form, long)
        max_len = max((len(k) for k in [*rewrites, *concepts]), default=1)
        return cls(rewrites, concepts, max_len, long_forms)

    def apply(self, tokens: list[str]) -> tuple[list[str], set[str]]:
        """Rewrite variants; return the tokens and the concept tokens found."""
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.max_len, len(tokens) - i), 0, -1):
                target = self.rewrites.get(tuple(tokens[i : i + n]))
                if target is not None:
                    out.extend(target)
                    i += n
                    break
            else:
                out.append(tokens[i])
                i += 1
        found: set[str] = set()
        for i in range(len(out)):
            for n in range(1, min(self.max_len, len(out) - i) + 1):
                concept = self.concepts.get(tuple(out[i : i + n]))
                if concept is not None:
                    found.add(concept)
        return out, found


@dataclass(frozen=True)
class Expansions:
    """Everyday wording → the official terms records use (everyday.txt). Query side only and
    one way: "anak pendek" adds "stunting" to a query; a record that says "stunting" never
    gains "anak pendek"."""

    forms: dict[tuple[str, ...], tuple[str, ...]]  # everyday form (folded tokens) → official phrases
    max_len: int

    @classmethod
    def parse(cls, text: str) -> "Expansions":
        forms: dict[tuple[str, ...], tuple[str, ...]] = {}
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line.count("=>") != 1:
                raise ValueError(f"everyday.txt line {lineno}: need 'form | form => term, term': {raw!r}")
            left, right = (part.strip() for part in line.split("=>"))
            targets = tuple(t.strip() for t in right.split(",") if t.strip())
            for form in left.split("|"):
                key = tuple(tokenize(form))
                if key and targets:
                    forms[key] = forms.get(key, ()) + targets
        return cls(forms, max((len(k) for k in forms), default=1))

    def official_phrases(self, tokens: list[str]) -> list[str]:
        """The official phrases for every everyday form in the tokens (longest match first)."""
        found: list[str] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.max_len, len(tokens) - i), 0, -1):
                targets = self.forms.get(tuple(tokens[i : i + n]))
                if targets is not None:
                    found.extend(t for t in targets if t not in found)
                    i += n
                    break
            else:
                i += 1
        return found



def _read_resource(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


class Analyzer:
    def __init__(self, lexicon: Lexicon, stopwords: frozenset[str], expansions: Expansions | None = None):
        self.lexicon = lexicon
        self.stopwords = stopwords
        self.expansions = expansions or Expansions({}, 1)
        self._protected = frozenset(lexicon.concepts.values())
        factory = StemmerFactory()
        self._stem = lru_cache(maxsize=200_000)(factory.create_stemmer().stem)
        self._roots = frozenset(factory.get_words())  # Sastrawi's Indonesian root-word dictionary
        self.term_of = lru_cache(maxsize=200_000)(self._term_of)  # highlighting asks per word

    @classmethod
    def default(cls) -> "Analyzer":
        stopwords = frozenset(
            w.strip() for w in _read_resource("stopwords.txt").splitlines() if w.strip() and not w.startswith("#")
        )
        return cls(Lexicon.parse(_read_resource("lexicon.txt")), stopwords,
                   Expansions.parse(_read_resource("everyday.txt")))

    def stem(self, token: str) -> str:
        if token in self._protected or token.isdigit():
            return token
        return self._stem(token) or token

    def terms(self, text: str | None) -> list[str]:
        """Index/query terms in text order (concept tokens appended after their words)."""
        if not text:
            return []
        tokens, concepts = self.lexicon.apply(tokenize(text))
        out = [self.stem(t) for t in tokens if len(t) > 1 and t not in self.stopwords]
        out.extend(sorted(concepts - set(out)))
        return out

    def expansion_terms(self, text: str) -> list[str]:
        """Terms of the official wording for the everyday words in a query, not already among
        the query's own terms."""
        own = set(self.terms(text))
        out: list[str] = []
        for phrase in self.expansions.official_phrases(tokenize(text)):
            out.extend(t for t in self.terms(phrase) if t not in own and t not in out)
        return out

    def spell_out(self, text: str) -> str:
        """Text for the query embedding: each acronym-like lexicon form (every word <= 5 letters,
        or written in capitals) followed by its long form in brackets ("penanganan ATS" →
        "penanganan ATS (anak tidak sekolah)"), unless the long form is already there."""
        words = list(_WORD_RE.finditer(text))
        tokens = [fold(w.group()) for w in words]
        present = " " + " ".join(tokenize(text)) + " "
        inserts: list[tuple[int, str]] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.lexicon.max_len, len(tokens) - i), 0, -1):
                key = tuple(tokens[i : i + n])
                if key in self.lexicon.rewrites or key in self.lexicon.concepts:
                    long = self.lexicon.long_forms.get(key)
                    surface = text[words[i].start() : words[i + n - 1].end()]
                    short = all(len(t) <= 5 for t in key) or surface.isupper()
                    if long and short and f" {' '.join(tokenize(long))} " not in present:
                        inserts.append((words[i + n - 1].end(), f" ({long})"))
                    i += n
                    break
            else:
                i += 1
        for end, extra in reversed(inserts):
            text = text[:end] + extra + text[end:]
        return text

    def is_word(self, word: str) -> bool:
        """Whether a folded word is Indonesian as far as the root dictionary can tell
        (the word is a root, or stems to one)."""
        return word in self._roots or self._stem(word) in self._roots

    def _term_of(self, word: str) -> str | None:
        """The index term a single surface word maps to (used to highlight original text)."""
        tokens, _ = self.lexicon.apply(tokenize(word))
        if len(tokens) != 1 or len(tokens[0]) < 2 or tokens[0] in self.stopwords:
            return None
        return self.stem(tokens[0])


@lru_cache(maxsize=1)
def get_analyzer() -> Analyzer:
    return Analyzer.default()
