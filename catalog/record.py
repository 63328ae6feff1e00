"""The canonical innovation record (design §2); its vocabularies are data (``vocab/``)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .regions import RegionError, normalize_province, resolve_regency
from .vocabularies import vocabulary

_PLACE_IN_AGENCY = re.compile(r"\b(Kabupaten|Kab\.|Kota)\s+([A-Z][\w'-]*(?:\s+(?:[A-Z][\w'-]*|dan))*)")


def _blank_to_none(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class Innovation(BaseModel):
    """One innovation as the catalog stores it and both engines index it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # "<source name>-<id in that source>": the entry id, stable across re-imports.
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*-[a-z0-9][a-z0-9._-]*$")
    title: str = Field(min_length=1)
    acronym: str | None = None
    agency: str = Field(min_length=1)
    agency_level: str = "other"  # vocab/agency_levels.json
    province: str | None = None
    regency_city: str | None = None
    year: int | None = Field(None, ge=1945, le=2100)
    programme: str = "other"  # vocab/programmes.json
    award: str | None = None
    sector: str | None = None
    sdgs: list[int] = Field(default_factory=list)
    stage: str | None = None
    is_digital: bool | None = None
    problem: str = Field(min_length=1)
    solution: str = Field(min_length=1)
    impact: str = ""
    replicated_in: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    updated_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))

    @field_validator("acronym", "province", "regency_city", "award", "sector", "stage", mode="before")
    @classmethod
    def _optional_text(cls, value):
        return _blank_to_none(value)

    @field_validator("impact", mode="before")
    @classmethod
    def _impact(cls, value):
        return _blank_to_none(value) or ""

    @field_validator("province")
    @classmethod
    def _province(cls, value):
        return normalize_province(value) if value else None

    @field_validator("regency_city")
    @classmethod
    def _regency(cls, value, info: ValidationInfo):
        """Resolved within the record's province (validated before it) when that is known."""
        return resolve_regency(value, info.data.get("province")).name if value else None

    @field_validator("agency_level")
    @classmethod
    def _agency_level(cls, value):
        return vocabulary("agency_levels").normalize(value)

    @field_validator("programme")
    @classmethod
    def _programme(cls, value):
        return vocabulary("programmes").normalize(value)

    @field_validator("sector")
    @classmethod
    def _sector(cls, value):
        return vocabulary("sectors").normalize(value) if value else None

    @field_validator("stage")
    @classmethod
    def _stage(cls, value):
        return value.lower() if value else None

    @field_validator("sdgs")
    @classmethod
    def _sdgs(cls, value):
        bad = [v for v in value if not 1 <= v <= 17]
        if bad:
            raise ValueError(f"SDG numbers must be 1-17, got {bad}")
        return sorted(set(value))

    @field_validator("sources")
    @classmethod
    def _sources(cls, value):
        bad = [v for v in value if not re.match(r"^https?://\S+$", v)]
        if bad:
            raise ValueError(f"sources must be http(s) URLs, got {bad[:3]}")
        return value

    @field_validator("replicated_in", mode="before")
    @classmethod
    def _strip_list(cls, value):
        if isinstance(value, list):
            return [v.strip() for v in value if isinstance(v, str) and v.strip()] if all(
                isinstance(v, str) for v in value
            ) else value
        return value

    @model_validator(mode="after")
    def _regency_from_agency(self):
        """IGA exports name only the pemda: take 'Kabupaten X' / 'Kota Y' from the agency."""
        if self.regency_city is None and self.agency_level in ("kabupaten", "kota"):
            found = _PLACE_IN_AGENCY.findall(self.agency)
            if found:
                try:
                    self.regency_city = resolve_regency(" ".join(found[-1]), self.province).name
                except RegionError as exc:
                    raise RegionError(f"kabupaten/kota from agency {self.agency!r}: {exc}", exc.candidates) from None
        return self

    def content(self) -> dict:
        """The record without its timestamp: what decides whether an import changed anything."""
        return self.model_dump(mode="json", exclude={"updated_at"})
