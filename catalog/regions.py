"""Indonesia's 38 provinces and 514 kabupaten/kota with their Kemendagri codes, and names resolved
against them (data: catalog/vocab/, built by scripts/build_regions.py)."""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rapidfuzz import fuzz, process

_PROVINCE_PREFIX = re.compile(r"^(prov(insi)?\.?\s+)", re.I)
# Leading words that say which kind of region a name is ("Kab. Banyumas", "KOTA SURABAYA").
_KINDS = {"kab": "Kabupaten", "kabupaten": "Kabupaten", "kot": "Kota", "kota": "Kota"}
NEAREST = 3  # candidates suggested for an unknown kabupaten/kota
NEAREST_CUTOFF = 75  # rapidfuzz ratio (0-100) a name needs to be suggested


@dataclass(frozen=True)
class Province:
    code: str  # "34"
    name: str  # display spelling: "DI Yogyakarta"


@dataclass(frozen=True)
class Regency:
    code: str  # province code + "." + two digits: "34.04"
    province_code: str
    name: str  # "Kabupaten Sleman", "Kota Yogyakarta"

    @property
    def kind(self) -> str:
        return "Kota" if self.name.startswith("Kota ") else "Kabupaten"


class RegionError(ValueError):
    """A kabupaten/kota name that does not resolve to exactly one entry of the list. ``code``
    says why, for messages in the user's language: "unnamed" (no name given), "ambiguous"
    (a bare name of several), "elsewhere" (not in the given province), "unknown"."""

    def __init__(self, message: str, candidates: list[str], code: str = "unknown"):
        super().__init__(message)
        self.candidates = candidates
        self.code = code


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def _compact(name: str) -> str:
    """Spacing and punctuation folded away: "Fakfak", "Fak Fak" and "Fak-Fak" are one name."""
    return re.sub(r"[^a-z0-9]+", "", name.lower())


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("vocab", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    return tuple(Province(row["code"], row["name"]) for row in _read("provinces.csv"))


@lru_cache(maxsize=1)
def province_names() -> tuple[str, ...]:
    return tuple(p.name for p in provinces())


@lru_cache(maxsize=1)
def _province_by_code() -> dict[str, Province]:
    return {p.code: p for p in provinces()}


@lru_cache(maxsize=1)
def _province_lookup() -> dict[str, Province]:
    by_name = {p.name: p for p in provinces()}
    lookup = {_key(p.name): p for p in provinces()}
    # Abbreviations and historical names officials use ("Jatim", "DIY", "NAD"): vocab/province_aliases.csv
    lookup.update({_key(row["alias"]): by_name[row["name"]] for row in _read("province_aliases.csv")})
    return lookup


def _province(value: str) -> Province:
    key = _key(_PROVINCE_PREFIX.sub("", value.strip()))
    try:
        return _province_lookup()[key]
    except KeyError:
        raise ValueError(f"unknown province {value!r} (expected one of the 38 provinces)") from None


def normalize_province(value: str) -> str:
    """Canonical province name ("Jatim", "Prov. Jawa Timur" → "Jawa Timur"); ValueError if unrecognised."""
    return _province(value).name


@lru_cache(maxsize=1)
def _all_regencies() -> tuple[Regency, ...]:
    return tuple(Regency(row["code"], row["province_code"], row["name"]) for row in _read("regencies.csv"))


@lru_cache(maxsize=None)
def _regencies_in(province_code: str | None) -> tuple[Regency, ...]:
    return tuple(r for r in _all_regencies() if province_code in (None, r.province_code))


def regencies(province: str | None = None) -> tuple[Regency, ...]:
    """All 514 kabupaten/kota, or those of one province (any spelling `normalize_province` accepts)."""
    return _regencies_in(_province(province).code if province is not None else None)


def _split_kind(value: str) -> tuple[str | None, str]:
    """'Kab. banyumas' → ('Kabupaten', 'banyumas'); a bare 'Sleman' → (None, 'Sleman')."""
    words = value.replace(".", ". ").split()
    if not words:
        raise RegionError("empty kabupaten/kota name", [], "unnamed")
    kind = _KINDS.get(words[0].lower().rstrip("."))
    if kind is None:
        return None, " ".join(words)
    if len(words) == 1:
        raise RegionError(f"kabupaten/kota {value!r} has no name after {kind!r}", [], "unnamed")
    return kind, " ".join(words[1:])


def _bare(name: str) -> str:
    return name.split(" ", 1)[1]


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, tuple[Regency, ...]], dict[str, tuple[Regency, ...]]]:
    """Regencies by folded full name ("kabupatensleman") and by folded bare name ("sleman"),
    the alias table's spellings included."""
    full: dict[str, set[Regency]] = defaultdict(set)
    bare: dict[str, set[Regency]] = defaultdict(set)
    by_name = {r.name: r for r in _all_regencies()}

    def add(kind: str, rest: str, regency: Regency) -> None:
        full[_compact(f"{kind} {rest}")].add(regency)
        bare[_compact(rest)].add(regency)

    for regency in _all_regencies():
        add(regency.kind, _bare(regency.name), regency)
    for row in _read("regency_aliases.csv"):
        regency = by_name[row["name"]]
        kind, rest = _split_kind(row["alias"])
        add(kind or regency.kind, rest, regency)

    def frozen(index: dict[str, set[Regency]]) -> dict[str, tuple[Regency, ...]]:
        return {key: tuple(sorted(found, key=lambda r: r.code)) for key, found in index.items()}

    return frozen(full), frozen(bare)


def _nearest(kind: str | None, rest: str, province: Province | None) -> list[str]:
    pool = _regencies_in(province.code if province else None)
    scored = process.extract(_compact(rest), [_compact(_bare(r.name)) for r in pool], scorer=fuzz.ratio,
                             limit=None, score_cutoff=NEAREST_CUTOFF)
    ranked = sorted(scored, key=lambda hit: (-hit[1], pool[hit[2]].kind != kind, pool[hit[2]].code))
    return [pool[index].name for _, _, index in ranked[:NEAREST]]


@lru_cache(maxsize=4096)
def resolve_regency(value: str, province: str | None = None) -> Regency:
    """The kabupaten/kota `value` names: "Kabupaten X", "Kab. X", "KAB X", "Kota Y", "Kot. Y", or a bare
    name that is unambiguous within `province` (nationally when None). RegionError otherwise, with
    `candidates`: both entries of an ambiguous bare name, the entry of another province's name, or
    the nearest names of the list (within `province` when given)."""
    where = _province(province) if province is not None else None
    kind, rest = _split_kind(value)
    full, bare = _index()
    found = full.get(_compact(f"{kind} {rest}"), ()) if kind else bare.get(_compact(rest), ())
    here = [r for r in found if where is None or r.province_code == where.code]
    if len(here) == 1:
        return here[0]
    scope = f" in {where.name}" if where else ""
    if here:
        names = [r.name for r in here]
        listed = names if where else [f"{r.name} ({_province_by_code()[r.province_code].name})" for r in here]
        raise RegionError(f"ambiguous kabupaten/kota {value!r}{scope}: {' or '.join(listed)}", names, "ambiguous")
    if found:
        names = [r.name for r in found]
        places = ", ".join(f"{r.name} is in {_province_by_code()[r.province_code].name}" for r in found)
        raise RegionError(f"kabupaten/kota {value!r} is not in {where.name}: {places}", names, "elsewhere")
    nearest = _nearest(kind, rest, where)
    hint = f"; nearest: {', '.join(nearest)}" if nearest else ""
    raise RegionError(f"unknown kabupaten/kota {value!r}{scope}{hint}", nearest)


def province_of(regency_name: str) -> str:
    """Province of a kabupaten/kota ("Kabupaten Sleman" → "DI Yogyakarta"); RegionError as `resolve_regency`."""
    return _province_by_code()[resolve_regency(regency_name).province_code].name


def province(value: str) -> Province:
    """The province any spelling `normalize_province` accepts names (ValueError otherwise)."""
    return _province(value)


def province_by_code(code: str) -> Province:
    return _province_by_code()[code]


@lru_cache(maxsize=1)
def _regency_by_code() -> dict[str, Regency]:
    return {r.code: r for r in _all_regencies()}


def regency_by_code(code: str) -> Regency:
    return _regency_by_code()[code]


def slug(name: str) -> str:
    """A region's name in a URL: "DI Yogyakarta" → "di-yogyakarta"."""
    return _key(name).replace(" ", "-")


@lru_cache(maxsize=1)
def _province_by_slug() -> dict[str, Province]:
    return {slug(p.name): p for p in provinces()}


def province_by_slug(value: str) -> Province | None:
    return _province_by_slug().get(value)
