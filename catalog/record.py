"""The canonical innovation record (design §2); its vocabularies are data (``vocab/``)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .regions import RegionError, normalize_province, resolve_regency
from .vocabularies import vocabulary

_PLACE_IN_AGENCY = re.compile(r"\b(Kabupaten|Kab\.|Kota)\s+([A-Z][\w'-]*(?:\s+(?:[A-Z][\w'-]*|dan))*)")


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{5,24}")
# Optional free-text fields the entry form adds; left out of ``content`` while empty.
ENTRY_TEXT_FIELDS = ("target_group", "novelty", "evidence", "resources", "budget_source", "stakeholders",
                     "sustainability", "regulation", "replication", "contact_name",
                     "replication_staff", "replication_time", "replication_infrastructure", "contact_unit",
                     "contact_role")
ENTRY_FIELDS = (*ENTRY_TEXT_FIELDS, "budget", "contact_email", "contact_phone", "contact_website",
                "replication_materials")
# Who to contact is for the programmes' curators, not the public: left out of public pages,
# exports and the public history.
PRIVATE_FIELDS = ("contact_name", "contact_email", "contact_phone")
_ADDRESS = re.compile(r"([^\s@:()]+)@([^\s@()]+)")


def public_author(by: str) -> str:
    """Who made a change ("user:ani@dinkes.go.id (web)"), as the public history shows it: an
    e-mail address cut to its first letter and its domain ("user:a…@dinkes.go.id (web)"), so a
    visitor sees which agency's account it was without being handed a personal address."""
    return _ADDRESS.sub(lambda m: f"{m.group(1)[0]}…@{m.group(2)}", by)


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
    # What the entry form asks besides (issue "One input for three programmes"): all optional,
    # so imported records, crosswalks and content hashes stay as they were (see ``content``).
    target_group: str | None = None  # sasaran: who the service is for
    novelty: str | None = None  # kebaruan: what is new about it
    evidence: str | None = None  # bukti: data before and after, measured how
    resources: str | None = None  # sumber daya: staff, facilities, partners' contributions
    budget: int | None = Field(None, ge=0)  # anggaran, rupiah
    budget_source: str | None = None  # APBD, APBN, Dana Desa, CSR…
    stakeholders: str | None = None  # pemangku kepentingan and their roles
    sustainability: str | None = None  # keberlanjutan: how it keeps running
    regulation: str | None = None  # dasar hukum (Perbup, SK…)
    replication: str | None = None  # kesiapan replikasi: what another agency needs to copy it
    # Replication readiness (issue 12): what another agency needs to copy it, beside budget,
    # budget_source and regulation above.
    replication_staff: str | None = None  # staff and the skills they need
    replication_time: str | None = None  # how long setting it up takes ("3 bulan")
    replication_infrastructure: str | None = None  # prerequisites: equipment, systems, network
    replication_materials: list[str] | None = None  # SOP, manuals, templates: a title or a link each
    contact_name: str | None = None
    contact_unit: str | None = None  # the unit that answers (bidang, seksi, UPT)
    contact_role: str | None = None  # the contact's position
    contact_email: str | None = None
    contact_phone: str | None = None
    contact_website: str | None = None
    updated_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))

    @field_validator("acronym", "province", "regency_city", "award", "sector", "stage", *ENTRY_TEXT_FIELDS,
                     "contact_email", "contact_phone", mode="before")
    @classmethod
    def _optional_text(cls, value):
        return _blank_to_none(value)

    @field_validator("contact_website", mode="before")
    @classmethod
    def _website(cls, value):
        value = _blank_to_none(value)
        if value is not None and not re.match(r"^https?://[^\s/]+\.[^\s]+$", value):
            raise ValueError(f"not a web address (http:// or https://): {value!r}")
        return value

    @field_validator("replication_materials", mode="before")
    @classmethod
    def _materials(cls, value):
        if isinstance(value, list):
            value = [" ".join(v.split()) for v in value if isinstance(v, str) and v.strip()]
            return value or None
        return value

    @property
    def has_replication_kit(self) -> bool:
        """What the problem page's "with a replication kit" means: a public channel to reach
        the innovator (e-mail, phone or website) and a how-to (materials, or what it takes)."""
        channel = self.contact_email or self.contact_phone or self.contact_website
        return bool(channel and (self.replication_materials or self.replication))

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value):
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value.lower() if value else value

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, value):
        if value is not None and not _PHONE.fullmatch(value):
            raise ValueError(f"not a telephone number: {value!r}")
        return value

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
                    raise RegionError(f"kabupaten/kota from agency {self.agency!r}: {exc}", exc.candidates, exc.code) from None
        return self

    def content(self) -> dict:
        """The record without its timestamp: what decides whether an import changed anything.
        The entry form's fields are left out while empty, so records that never had them
        hash as they did before those fields existed."""
        empty = {name for name in ENTRY_FIELDS if getattr(self, name) is None}
        return self.model_dump(mode="json", exclude={"updated_at", *empty})
