"""Facets as first-class objects, each declared once here: how a document's values are read
from its entries, how request values are validated, labels in both languages, how values
are labelled and ordered, and where the pages show it. Filtering, counting, the API
parameters, both engines, the sidebar, chips and charts all read these declarations."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

from catalog.record import Innovation
from catalog.regions import RegionError, province_of
from catalog.vocabularies import award_classes, vocabulary

Reader = Callable[[Innovation, Sequence[Innovation]], Iterable[str]]  # (leading entry, every entry) → values
# Facts the catalog keeps about the innovation itself rather than in its entries (its
# confirmed activity, its replication records; SearchDocument.facts) → the facet's values.
FactsReader = Callable[[Mapping], Iterable]

# The value an innovation has in a facet it has no value in (no year, no province…): indexed,
# counted and filterable like any other, so counts add up and "tidak diketahui" can be clicked.
MISSING = "-"
MISSING_LABELS = {"id": "Tidak diketahui", "en": "Unknown"}


class BadValue(ValueError):
    """A request value a facet does not accept; ``code`` says why (pages translate it)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Facet:
    name: str  # API parameter and document field
    labels: Mapping[str, str]  # language → label
    read: Reader | None = None  # values from the entries…
    from_facts: FactsReader | None = None  # …or from the innovation's facts
    kind: str = "str"  # str | int | bool: how request values are validated
    bounds: tuple[int, int] = (0, 9999)  # int facets: the values a request may name
    sort: str = "count"  # count | value_desc | value: order of values in the response
    vocabulary: str | None = None  # value labels from catalog/vocab/<vocabulary>.json
    value_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # language → value → label
    value_format: Callable[[str], str] | None = None  # a label built from the value
    collapsed: bool = False  # the sidebar keeps it closed until used (long lists few start from)
    chart: str | None = None  # /statistik draws it, bars ordered by "count" or "value"
    every_value: bool = False  # int facets: charts and tables show the values between with a zero count
    parent: str | None = None  # the facet one level up (kab/kota → province): the sidebar nests it there
    parent_of: Callable[[str], str | None] | None = None  # a value's parent value

    def parse(self, raw: str) -> str:
        """Validate one request value; the canonical string form is what engines store."""
        value = raw.strip()
        if value == MISSING:
            return MISSING
        if self.kind == "int":
            if not re.fullmatch(r"\d{1,4}", value):
                raise BadValue(f"{self.name}: {raw!r} is not a whole number", "not_number")
            low, high = self.bounds
            if not low <= int(value) <= high:
                raise BadValue(f"{self.name}: {raw!r} is not between {low} and {high}", "out_of_range")
            return str(int(value))
        if self.kind == "bool":
            lowered = value.lower()
            if lowered in {"true", "1", "ya", "yes"}:
                return "true"
            if lowered in {"false", "0", "tidak", "no"}:
                return "false"
            raise BadValue(f"{self.name}: {raw!r} must be true or false", "not_boolean")
        if not value:
            raise BadValue(f"{self.name}: empty value", "empty")
        return value

    def values_of(self, lead: Innovation, entries: Sequence[Innovation],
                  facts: Mapping | None = None) -> list[str]:
        found = self.from_facts(facts or {}) if self.from_facts else self.read(lead, entries)
        return sorted({str(v) for v in found}) or [MISSING]

    def label(self, lang: str) -> str:
        return self.labels[lang]

    def value_label(self, value: str, lang: str) -> str:
        if value == MISSING:
            return MISSING_LABELS[lang]
        if self.vocabulary:
            return vocabulary(self.vocabulary).label(value, lang)
        if value in self.value_labels.get(lang, {}):
            return self.value_labels[lang][value]
        return self.value_format(value) if self.value_format else value


def _lead(attribute: str) -> Reader:
    """The leading entry's value (place, sector… describe the innovation, not a submission)."""
    return lambda lead, _entries: [v] if (v := getattr(lead, attribute)) else []


def _province_of(regency_city: str) -> str | None:
    try:
        return province_of(regency_city)
    except RegionError:  # a name outside the Kemendagri list: shown at the top level
        return None


def _boolean(attribute: str) -> Reader:
    return lambda lead, _entries: [] if (v := getattr(lead, attribute)) is None else ["true" if v else "false"]


FACETS: tuple[Facet, ...] = (
    Facet("programme", {"id": "Program", "en": "Programme"}, lambda _l, entries: (e.programme for e in entries),
          vocabulary="programmes", chart="count"),
    Facet("year", {"id": "Tahun", "en": "Year"}, lambda _l, entries: (e.year for e in entries if e.year is not None),
          kind="int", bounds=(1900, 2100), sort="value_desc", chart="value", every_value=True),
    Facet("province", {"id": "Provinsi", "en": "Province"}, _lead("province"), chart="count"),
    Facet("regency_city", {"id": "Kabupaten/Kota", "en": "Regency/City"}, _lead("regency_city"), collapsed=True,
          parent="province", parent_of=_province_of),
    Facet("agency", {"id": "Instansi", "en": "Agency"}, _lead("agency"), collapsed=True),
    Facet("agency_level", {"id": "Jenis instansi", "en": "Agency type"}, _lead("agency_level"),
          vocabulary="agency_levels", chart="count"),
    Facet("sector", {"id": "Sektor", "en": "Sector"}, _lead("sector"), vocabulary="sectors", chart="count"),
    Facet("award", {"id": "Penghargaan", "en": "Award"},
          lambda _l, entries: (c for e in entries for c in award_classes(e.award)), collapsed=True),
    Facet("sdg", {"id": "SDG", "en": "SDG"}, lambda _l, entries: (s for e in entries for s in e.sdgs),
          kind="int", bounds=(1, 17), sort="value", value_format="SDG {}".format, collapsed=True),
    Facet("is_digital", {"id": "Digital", "en": "Digital"}, _boolean("is_digital"), kind="bool",
          value_labels={"id": {"true": "Digital", "false": "Non-digital"},
                        "en": {"true": "Digital", "false": "Non-digital"}}),
    Facet("stage", {"id": "Tahapan", "en": "Stage"}, _lead("stage"), value_format=lambda v: v[:1].upper() + v[1:]),
    Facet("activity", {"id": "Keberlanjutan", "en": "Continuing"},
          from_facts=lambda facts: [facts["activity"]] if facts.get("activity") else [],
          value_labels={"id": {"berlanjut": "Berlanjut", "vakum": "Vakum (berhenti)"},
                        "en": {"berlanjut": "Continuing", "vakum": "Stopped"}}),
    # Replication facets count the catalog's replication records, not the entries' free text.
    Facet("replicated", {"id": "Sudah direplikasi", "en": "Replicated"}, kind="bool",
          from_facts=lambda facts: ["true" if facts.get("replications") else "false"],
          value_labels={"id": {"true": "Sudah direplikasi", "false": "Belum direplikasi"},
                        "en": {"true": "Replicated", "false": "Not replicated"}}),
    Facet("replications", {"id": "Jumlah replikasi", "en": "Number of replications"}, kind="int",
          from_facts=lambda facts: [len(facts.get("replications", ()))], sort="value", value_format="{}×".format,
          collapsed=True),
    Facet("replication_kit", {"id": "Paket replikasi", "en": "Replication kit"},
          lambda lead, _entries: ["true" if lead.has_replication_kit else "false"], kind="bool",
          value_labels={"id": {"true": "Ada paket replikasi", "false": "Belum ada paket replikasi"},
                        "en": {"true": "Has a replication kit", "false": "No replication kit"}}, collapsed=True),
)
FACETS_BY_NAME = {f.name: f for f in FACETS}
CHILDREN = {f.parent: f.name for f in FACETS if f.parent}  # province → regency_city
CHARTED = tuple(f for f in FACETS if f.chart)
