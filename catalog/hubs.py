"""Provincial innovation hubs (Hub JIPP): which provinces have one and since when. Data, not
code: ``vocab/hubs.csv``, edited by the portal's admin and checked here when loaded."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .regions import normalize_province

FILE = "vocab/hubs.csv"


class HubFileError(ValueError):
    pass


@dataclass(frozen=True)
class Hub:
    province: str  # canonical name
    formed: int | None  # the year it was formed; None when the record does not say
    basis: str  # the decision it rests on
    source: str | None  # a public source (URL)


def parse(text: str, name: str = FILE) -> dict[str, Hub]:
    """Hubs by province; HubFileError names the file, line and problem."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != ["province", "formed", "basis", "source"]:
        raise HubFileError(f"{name}: the header must be province,formed,basis,source (got {reader.fieldnames})")
    hubs: dict[str, Hub] = {}
    for line, row in enumerate(reader, start=2):
        try:
            province = normalize_province(row["province"] or "")
        except ValueError as exc:
            raise HubFileError(f"{name} line {line}: {exc}") from None
        formed = (row["formed"] or "").strip()
        if formed and not (formed.isdigit() and 1990 <= int(formed) <= 2100):
            raise HubFileError(f"{name} line {line}: formed must be a year, got {formed!r}")
        if province in hubs:
            raise HubFileError(f"{name} line {line}: {province} is listed twice")
        hubs[province] = Hub(province, int(formed) if formed else None, (row["basis"] or "").strip(),
                             (row["source"] or "").strip() or None)
    return hubs


@lru_cache(maxsize=1)
def hubs() -> dict[str, Hub]:
    return parse(resources.files(__package__).joinpath(FILE).read_text(encoding="utf-8"))
