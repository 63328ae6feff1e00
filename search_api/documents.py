"""The search document: what every engine indexes for one innovation.

Records of the same innovation submitted to several programmes are indexed as one
document (the most complete record leads) carrying every programme entry, so a search
shows the innovation once with all its programme entries.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from catalog.record import Innovation

from .analysis import get_analyzer, tokenize
from .facets import FACETS

# Keyword field weights (design §5: title and problem boosted). Engines score one
# analysed field in which each source field is repeated this many times, so the BM25
# of both engines sees exactly the same term frequencies.
FIELD_WEIGHTS = {"title": 3, "acronym": 3, "problem": 2, "solution": 1, "impact": 1, "agency": 1}
DISPLAY_FIELDS = ("title", "acronym", "agency", "problem", "solution", "impact")


@dataclass
class SearchDocument:
    id: str  # the innovation id (catalog)
    record: Innovation  # the leading entry
    entries: list[Innovation] = field(default_factory=list)  # every published entry of this innovation
    vector: np.ndarray | None = None  # float32
    # What the catalog knows of the innovation beyond its entries: "activity" (berlanjut | vakum,
    # its latest confirmation in pemutakhiran; absent while never confirmed) and "replications"
    # (its published replication records, catalog.replications.Replication.to_json; absent: none).
    facts: dict = field(default_factory=dict)

    @classmethod
    def from_records(cls, innovation_id: str, records: list[Innovation],
                     facts: dict | None = None) -> "SearchDocument":
        entries = sorted(records, key=lambda r: r.id)
        return cls(id=innovation_id, record=max(entries, key=_completeness), entries=entries, facts=facts or {})

    @property
    def replications(self) -> list[dict]:
        return self.facts.get("replications", [])

    @property
    def embed_text(self) -> str:
        r = self.record
        return "\n".join(p for p in (r.title, r.problem, r.solution) if p)

    def keyword_terms(self) -> list[str]:
        analyzer = get_analyzer()
        terms: list[str] = []
        for name, weight in FIELD_WEIGHTS.items():
            field_terms = analyzer.terms(getattr(self.record, name))
            terms.extend(field_terms * weight)
        return terms

    def surface_words(self) -> list[str]:
        """Distinct folded words of the searchable text: the spelling dictionary that typo
        correction draws its suggestions from."""
        r = self.record
        text = " ".join(filter(None, (r.title, r.acronym, r.problem, r.solution, r.impact)))
        return sorted({w for w in tokenize(text) if len(w) >= 3 and w.isalpha()})

    def facet_values(self) -> dict[str, list[str]]:
        entries = self.entries or [self.record]
        return {f.name: f.values_of(self.record, entries, self.facts) for f in FACETS}

    @property
    def years(self) -> list[int]:
        """Every entry's year (the year range filter matches any of them)."""
        return sorted({e.year for e in (self.entries or [self.record]) if e.year is not None})

    @property
    def sort_year(self) -> int | None:
        years = [e.year for e in (self.entries or [self.record]) if e.year is not None]
        return max(years) if years else None

    def summary(self) -> dict:
        """Fields a search hit shows (design §5) plus the programme entries."""
        r = self.record
        return {
            "id": self.id,
            "title": r.title,
            "acronym": r.acronym,
            "agency": r.agency,
            "agency_level": r.agency_level,
            "province": r.province,
            "regency_city": r.regency_city,
            "year": r.year,
            "programme": r.programme,
            "award": r.award,
            "sector": r.sector,
            "is_digital": r.is_digital,
            "excerpt": _excerpt(r.problem),
            "entries": [{"id": e.id, "programme": e.programme, "year": e.year, "award": e.award}
                        for e in self.entries],
            "replications": len(self.replications),
        }

    def to_json(self) -> dict:
        return {"id": self.id, "record": self.record.model_dump(mode="json"),
                "entries": [e.model_dump(mode="json") for e in self.entries], "facts": self.facts}

    @classmethod
    def from_json(cls, data: dict) -> "SearchDocument":
        return cls(id=data["id"], record=Innovation(**data["record"]),
                   entries=[Innovation(**e) for e in data["entries"]], facts=data.get("facts", {}))


def _excerpt(text: str, limit: int = 220) -> str:
    """The start of the problem statement, cut at a word boundary, for result cards."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _completeness(r: Innovation) -> tuple:
    """The most complete entry leads (ties: the first by id, as ``max`` keeps the first)."""
    filled = sum(1 for v in (r.acronym, r.province, r.regency_city, r.year, r.award, r.sector, r.impact) if v)
    return (filled, len(r.problem) + len(r.solution) + len(r.impact))
