"""Controlled vocabularies, each one data file in ``catalog/vocab/``: the values records store,
their labels in Bahasa Indonesia and English, and the other spellings sources use.

Regions (provinces, kab/kota) have their own module, ``regions``, over the same folder.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

LANGUAGES = ("id", "en")
VOCABULARIES = ("agency_levels", "programmes", "sectors")  # vocab/<name>.json


def _key(value: str) -> str:
    return " ".join(str(value).lower().split())


@dataclass(frozen=True)
class Vocabulary:
    name: str
    noun: str  # what one value is, for messages ("sector")
    values: tuple[str, ...]
    labels: dict[str, dict[str, str]]  # language → value → label
    spellings: dict[str, str]  # folded value or alias → value

    def normalize(self, raw: str) -> str:
        """The stored value for a spelling; ValueError naming the vocabulary otherwise."""
        try:
            return self.spellings[_key(raw)]
        except KeyError:
            raise ValueError(f"unknown {self.noun} {raw!r} (expected one of: {', '.join(self.values)})") from None

    def label(self, value: str, lang: str) -> str:
        return self.labels[lang].get(value, value)


def _read(name: str) -> dict:
    return json.loads(resources.files(__package__).joinpath(f"vocab/{name}.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def vocabulary(name: str) -> Vocabulary:
    """One of ``VOCABULARIES``."""
    data = _read(name)
    entries = data["values"]
    spellings: dict[str, str] = {}
    for entry in entries:
        for spelling in (entry["value"], *entry["aliases"]):
            spellings[_key(spelling)] = entry["value"]
    return Vocabulary(name, data["noun"], tuple(e["value"] for e in entries),
                      {lang: {e["value"]: e[lang] for e in entries} for lang in LANGUAGES}, spellings)


@lru_cache(maxsize=1)
def _award_rules() -> tuple[re.Pattern, str, tuple[tuple[re.Pattern, str], ...]]:
    data = _read("awards")
    return (re.compile(data["top_n"], re.I), data["otherwise"],
            tuple((re.compile(c["pattern"], re.I), c["value"]) for c in data["classes"]))


def award_classes(award: str | None) -> list[str]:
    """Free-text award history → award classes ('Top 99', 'UNPSA', …), per ``vocab/awards.json``."""
    if not award:
        return []
    top_n, otherwise, classes = _award_rules()
    found = {f"Top {n}" for n in top_n.findall(award)}
    found.update(value for pattern, value in classes if pattern.search(award))
    return sorted(found) or [otherwise]
