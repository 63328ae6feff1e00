"""Facets as first-class objects: one definition drives filtering, counting, the API
parameters and the web sidebar, identically on every engine."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Facet:
    name: str  # API parameter and document field
    label: str  # Bahasa Indonesia label for pages
    kind: str = "str"  # str | int | bool: how request values are validated
    sort: str = "count"  # count | value_desc | value: order of values in the response

    def parse(self, raw: str) -> str:
        """Validate one request value; the canonical string form is what engines store."""
        value = raw.strip()
        if self.kind == "int":
            if not re.fullmatch(r"\d{1,4}", value):
                raise ValueError(f"{self.name}: {raw!r} is not a whole number")
            if self.name == "sdg" and not 1 <= int(value) <= 17:
                raise ValueError(f"sdg: {raw!r} is not an SDG number (1-17)")
            return str(int(value))
        if self.kind == "bool":
            lowered = value.lower()
            if lowered in {"true", "1", "ya", "yes"}:
                return "true"
            if lowered in {"false", "0", "tidak", "no"}:
                return "false"
            raise ValueError(f"{self.name}: {raw!r} must be true or false")
        if not value:
            raise ValueError(f"{self.name}: empty value")
        return value


FACETS: tuple[Facet, ...] = (
    Facet("programme", "Program"),
    Facet("year", "Tahun", kind="int", sort="value_desc"),
    Facet("province", "Provinsi"),
    Facet("regency_city", "Kabupaten/Kota"),
    Facet("agency_level", "Jenis instansi"),
    Facet("sector", "Sektor"),
    Facet("award", "Penghargaan"),
    Facet("sdg", "SDG", kind="int", sort="value"),
    Facet("is_digital", "Digital", kind="bool"),
    Facet("stage", "Tahapan"),
    Facet("replicated", "Sudah direplikasi", kind="bool"),
)
FACETS_BY_NAME = {f.name: f for f in FACETS}


_AWARD_PATTERNS = (
    (re.compile(r"\bunpsa\b", re.I), "UNPSA"),
    (re.compile(r"outstanding public service innovation|\bopsi\b", re.I), "OPSI"),
    (re.compile(r"outstanding achievement", re.I), "Outstanding Achievement"),
    (re.compile(r"replikasi", re.I), "Dipilih untuk replikasi"),
    (re.compile(r"\biga\b|innovative government award|terinovatif|sangat inovatif", re.I), "IGA"),
    (re.compile(r"laboratorium inovasi|labinov", re.I), "Laboratorium Inovasi LAN"),
    (re.compile(r"finalis", re.I), "Finalis"),
)


def award_classes(award: str | None) -> list[str]:
    """Free-text award history → facet values ('Top 99', 'Top 45', 'UNPSA', ...)."""
    if not award:
        return []
    found = {f"Top {n}" for n in re.findall(r"\btop\s+(\d{1,3})\b", award, re.I)}
    found.update(label for pattern, label in _AWARD_PATTERNS if pattern.search(award))
    return sorted(found) or ["Lainnya"]
