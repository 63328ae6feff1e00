"""What each programme requires before an entry can be submitted to it. The requirements are
data: one file per programme in ``programmes/`` (``kipp.json``…), naming record fields
(``required``) and minimum lengths of text fields (``min_length``, in characters).

Drafts are never checked for completeness; a submission to a programme is refused with
every missing field named, per programme.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable, Mapping

from .record import Innovation
from .vocabularies import vocabulary

# The record fields an entry form may set (the rest are the catalog's or the agency's).
FORM_FIELDS = ("title", "acronym", "problem", "target_group", "solution", "novelty", "is_digital", "sector",
               "impact", "evidence", "sources", "resources", "budget", "budget_source", "stakeholders",
               "sustainability", "regulation", "replication", "replication_staff", "replication_time",
               "replication_infrastructure", "replication_materials", "replicated_in", "sdgs", "stage", "year",
               "contact_name", "contact_unit", "contact_role", "contact_email", "contact_phone", "contact_website")
# Every programme needs these (the record cannot be published without them).
ALWAYS_REQUIRED = ("title", "problem", "solution")
STAGES = ("inisiatif", "uji coba", "penerapan")  # IGA's tahapan; stored lower-case like imports
# The knowledge standard's aspects of an innovation and the form fields that describe each (the
# entry form groups its fields the same way, after the innovation's identity). An aspect is
# present when any of its fields is filled.
ASPECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("problem", ("problem", "target_group")),
    ("solution", ("solution", "novelty", "is_digital", "sector")),
    ("results", ("impact", "evidence", "sources")),
    ("resources", ("resources", "budget", "budget_source")),
    ("stakeholders", ("stakeholders",)),
    ("sustainability", ("sustainability", "regulation")),
    ("replication", ("replication", "replication_staff", "replication_time", "replication_infrastructure",
                     "replication_materials", "replicated_in")),
    ("sdgs", ("sdgs",)),
    ("stage", ("stage",)),
    ("contact", ("contact_name", "contact_unit", "contact_role", "contact_email", "contact_phone", "contact_website")),
)


class ProgrammeFileError(ValueError):
    pass


@dataclass(frozen=True)
class Problem:
    field: str
    code: str  # "required" | "too_short"
    minimum: int | None = None

    def to_json(self) -> dict:
        return {"field": self.field, "code": self.code, "minimum": self.minimum}


@dataclass(frozen=True)
class Programme:
    code: str  # KIPP | IGA | InoLAN (vocab/programmes.json)
    name: str
    organiser: str
    description: str
    required: tuple[str, ...]
    min_length: Mapping[str, int]

    def problems(self, content: Mapping) -> list[Problem]:
        """What keeps ``content`` (an entry's record as JSON) from being submitted here, in
        form order."""
        found, required = [], {*ALWAYS_REQUIRED, *self.required}
        for name in FORM_FIELDS:
            value = content.get(name)
            if name in required and _empty(value):
                found.append(Problem(name, "required"))
            elif name in self.min_length and isinstance(value, str) and value and len(value.strip()) < self.min_length[name]:
                found.append(Problem(name, "too_short", self.min_length[name]))
        return found


@dataclass(frozen=True)
class Aspects:
    present: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def score(self) -> float:
        """The share of the knowledge standard's aspects present, 0–1."""
        return len(self.present) / len(ASPECTS)

    @property
    def complete(self) -> bool:
        return not self.missing


def aspects(contents: Iterable[Mapping]) -> Aspects:
    """Which aspects the records of one innovation describe (an aspect counts when any of
    them fills any of its fields)."""
    contents = list(contents)
    present = [name for name, names in ASPECTS
               if any(not _empty(c.get(f)) for c in contents for f in names)]
    return Aspects(tuple(present), tuple(name for name, _ in ASPECTS if name not in present))


def _empty(value) -> bool:
    return value is None or (isinstance(value, (str, list)) and not (value.strip() if isinstance(value, str) else value))


def _load(path_name: str, text: str) -> Programme:
    data = json.loads(text)
    unknown = set(data) - {"programme", "name", "organiser", "description", "required", "min_length"}
    if unknown:
        raise ProgrammeFileError(f"{path_name}: unknown keys {sorted(unknown)}")
    code = vocabulary("programmes").normalize(data["programme"])
    fields = [*data.get("required", []), *data.get("min_length", {})]
    bad = [f for f in fields if f not in FORM_FIELDS]
    if bad:
        raise ProgrammeFileError(f"{path_name}: not entry form fields: {bad} (choose from {', '.join(FORM_FIELDS)})")
    for name in data.get("min_length", {}):
        if Innovation.model_fields[name].annotation not in (str, str | None):
            raise ProgrammeFileError(f"{path_name}: min_length applies to text fields, not {name!r}")
    return Programme(code, data["name"], data["organiser"], data.get("description", ""),
                     tuple(data.get("required", [])), dict(data.get("min_length", {})))


@lru_cache(maxsize=1)
def programmes() -> dict[str, Programme]:
    """Every programme an entry can be submitted to, by code, in a stable order."""
    folder = resources.files(__package__).joinpath("programmes")
    found = [_load(f"programmes/{p.name}", p.read_text(encoding="utf-8"))
             for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".json")]
    order = vocabulary("programmes").values
    return {p.code: p for p in sorted(found, key=lambda p: order.index(p.code))}


def programme(code: str) -> Programme:
    try:
        return programmes()[vocabulary("programmes").normalize(code)]
    except (KeyError, ValueError):
        raise ValueError(f"unknown programme {code!r} (choose from {', '.join(programmes())})") from None
