"""Canonical spelling of Indonesia's 38 provinces and of kabupaten/kota names."""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

# Abbreviations and historical names officials use for provinces (lower-case, folded).
PROVINCE_ALIASES = {
    "nad": "Aceh", "nanggroe aceh darussalam": "Aceh",
    "sumut": "Sumatera Utara", "sumbar": "Sumatera Barat", "sumsel": "Sumatera Selatan",
    "babel": "Kepulauan Bangka Belitung", "bangka belitung": "Kepulauan Bangka Belitung",
    "kepri": "Kepulauan Riau",
    "dki": "DKI Jakarta", "jakarta": "DKI Jakarta", "dki jakarta": "DKI Jakarta",
    "daerah khusus ibukota jakarta": "DKI Jakarta", "daerah khusus ibu kota jakarta": "DKI Jakarta",
    "daerah khusus jakarta": "DKI Jakarta",
    "jabar": "Jawa Barat", "jateng": "Jawa Tengah", "jatim": "Jawa Timur",
    "diy": "DI Yogyakarta", "d i yogyakarta": "DI Yogyakarta", "yogyakarta": "DI Yogyakarta",
    "daerah istimewa yogyakarta": "DI Yogyakarta", "jogja": "DI Yogyakarta", "jogjakarta": "DI Yogyakarta",
    "ntb": "Nusa Tenggara Barat", "ntt": "Nusa Tenggara Timur",
    "kalbar": "Kalimantan Barat", "kalteng": "Kalimantan Tengah", "kalsel": "Kalimantan Selatan",
    "kaltim": "Kalimantan Timur", "kaltara": "Kalimantan Utara",
    "sulut": "Sulawesi Utara", "sulteng": "Sulawesi Tengah", "sulsel": "Sulawesi Selatan",
    "sultra": "Sulawesi Tenggara", "sulbar": "Sulawesi Barat", "malut": "Maluku Utara",
    "papua barat daya": "Papua Barat Daya", "pbd": "Papua Barat Daya",
}
_PREFIX = re.compile(r"^(prov(insi)?\.?\s+)", re.I)
# Words kept lower-case inside place names ("Pangkajene dan Kepulauan").
_LOWER_WORDS = {"dan"}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


@lru_cache(maxsize=1)
def provinces() -> tuple[str, ...]:
    text = resources.files(__package__).joinpath("provinces.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@lru_cache(maxsize=1)
def _province_lookup() -> dict[str, str]:
    lookup = {_key(p): p for p in provinces()}
    lookup.update({_key(alias): name for alias, name in PROVINCE_ALIASES.items()})
    return lookup


def normalize_province(value: str) -> str:
    """Canonical province name; raises ValueError for anything unrecognised."""
    key = _key(_PREFIX.sub("", value.strip()))
    try:
        return _province_lookup()[key]
    except KeyError:
        raise ValueError(f"unknown province {value!r} (expected one of the 38 provinces)") from None


def _title(word: str) -> str:
    if word.lower() in _LOWER_WORDS:
        return word.lower()
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def normalize_regency(value: str) -> str:
    """'Kab. banyumas' / 'KABUPATEN BANYUMAS' → 'Kabupaten Banyumas'; 'Kota X' stays a city."""
    words = value.replace(".", ". ").split()
    if not words:
        raise ValueError("empty kabupaten/kota name")
    head = words[0].lower().rstrip(".")
    if head in {"kab", "kabupaten"}:
        kind, rest = "Kabupaten", words[1:]
    elif head in {"kota", "kot"}:
        kind, rest = "Kota", words[1:]
    else:
        raise ValueError(f"kabupaten/kota {value!r} must start with 'Kabupaten', 'Kab.' or 'Kota'")
    if not rest:
        raise ValueError(f"kabupaten/kota {value!r} has no name after {kind!r}")
    return " ".join([kind, *(_title(w) for w in rest)])
