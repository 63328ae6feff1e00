"""Likely duplicates: the same innovation submitted to several programmes.

Two records are taken to be the same innovation when they come from different sources,
share their normalised short name (acronym, else the title before any parenthesis) and
their place (kabupaten/kota, else the agency). Both records stay in the catalog; the
search shows them as one result listing every programme entry.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable

from search_api.analysis import fold
from search_api.record import Innovation


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


def identity_key(record: Innovation) -> tuple[str, str]:
    name = record.acronym or record.title.split("(")[0]
    place = record.regency_city or record.agency
    return _squash(name), _squash(place)


def group_records(records: Iterable[Innovation]) -> list[list[Innovation]]:
    """Groups of records describing one innovation (singletons for most)."""
    by_key: dict[tuple[str, str], list[Innovation]] = defaultdict(list)
    for record in records:
        by_key[identity_key(record)].append(record)
    groups: list[list[Innovation]] = []
    for members in by_key.values():
        # Two records of the same source with the same name are distinct innovations.
        per_source: dict[str, list[Innovation]] = defaultdict(list)
        for r in members:
            per_source[r.id.split("-", 1)[0]].append(r)
        if len(per_source) == 1 or any(len(v) > 1 for v in per_source.values()):
            groups.extend([r] for r in members)
        else:
            groups.append(members)
    return groups
