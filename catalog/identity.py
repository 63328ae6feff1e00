"""Who is who: our own innovation ids, and the key that spots one innovation entered in
several programmes.

An innovation id is derived from the first entry that created it, so importing the same
files into an empty catalog gives the same ids (and the same URLs) again. Once given, an
id never changes: links and unlinks move entries between innovations, they do not rename.
"""
from __future__ import annotations

import base64
import hashlib
import re
import unicodedata

from .record import Innovation

INNOVATION_PREFIX = "jip-"


def innovation_id_for(entry_id: str) -> str:
    digest = hashlib.sha256(entry_id.encode()).digest()
    return INNOVATION_PREFIX + base64.b32encode(digest).decode()[:12].lower()


def is_innovation_id(value: str) -> bool:
    return value.startswith(INNOVATION_PREFIX)


def _squash(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[^a-z0-9]", "", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def identity_key(record: Innovation) -> str:
    """Short name (acronym, else the title before any parenthesis) and place (kab/kota,
    else the agency): two entries from different sources with the same key are taken to
    be one innovation when the second one arrives."""
    name = record.acronym or record.title.split("(")[0]
    place = record.regency_city or record.agency
    return f"{_squash(name)}|{_squash(place)}"


def agency_key(name: str) -> str:
    return _squash(name)
