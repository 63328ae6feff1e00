"""Sources: one crosswalk file per source maps its export onto the canonical record.

A source is data, not code: its crosswalk (JSON) names it and its programme, picks a reader
(``readers.py``) with its options and encoding, gives the signature that detects its files,
and maps fields (named value transforms, the catalog's vocabularies in ``catalog/vocab/``).
Built-in crosswalks ship in ``indexer/crosswalks``; more are read from JIPPNAS_CROSSWALKS_DIR.
"""
from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import chain
from pathlib import Path
from typing import Any, Callable, Iterator

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from catalog.record import Innovation
from catalog.vocabularies import VOCABULARIES, vocabulary
from search_api.config import Settings

from .readers import READERS, SourceError, SourceFile, SourceRow

__all__ = ["CrosswalkError", "Reading", "Reject", "Source", "SourceError", "SourceRegistry", "SourceRow", "registry"]


@dataclass
class Reject:
    file: str
    position: str
    field: str
    reason: str
    record_id: str | None = None

    def line(self) -> str:
        rid = f" [{self.record_id}]" if self.record_id else ""
        return f"{self.file}: {self.position}{rid}: {self.field}: {self.reason}"


class CrosswalkError(Exception):
    """A crosswalk file is invalid, or two crosswalk files name the same source."""


# ---------------------------------------------------------------- value transforms

_TRUE = {"ya", "y", "yes", "true", "1", "digital", "benar"}
_FALSE = {"tidak", "t", "no", "false", "0", "non digital", "non-digital", "nondigital", "bukan"}


def _to_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    raise ValueError(f"expected a whole number, got {value!r}")


def _to_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = " ".join(str(value).lower().split())
    if text == "":
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"expected Ya/Tidak (yes/no), got {value!r}")


def _to_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(";")
    return [str(v).strip() for v in items if str(v).strip()]


def _to_urls(value: Any) -> list[str]:
    if isinstance(value, str):
        return [u for u in re.split(r"[\s;,]+", value) if u]
    return _to_list(value)


def _to_int_list(value: Any) -> list[int]:
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[;,\s]+", str(value))
    return [v for v in (_to_int(i) for i in items) if v is not None]


TRANSFORMS: dict[str, Callable[[Any], Any]] = {
    "int": _to_int, "bool": _to_bool, "list": _to_list, "urls": _to_urls, "int_list": _to_int_list,
}


def _vocabulary_key(value: Any) -> str:
    return " ".join(str(value).lower().split())


def _map(table: str | dict, value: Any) -> Any:
    """Through a catalog vocabulary (by name: its values and aliases) or a crosswalk's own table."""
    if isinstance(table, str):
        return vocabulary(table).normalize(value)
    key = _vocabulary_key(value)
    if key not in table:
        raise ValueError(f"unknown value {value!r} (expected one of: {', '.join(sorted(set(table.values())))})")
    return table[key]


# ---------------------------------------------------------------- the crosswalk file

RECORD_FIELDS = tuple(name for name in Innovation.model_fields if name != "id")
REQUIRED_FIELDS = tuple(name for name in RECORD_FIELDS if Innovation.model_fields[name].is_required())


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldRule(_Strict):
    """Where a record field comes from: a source key ("a.b" reaches into nested objects),
    optionally mapped through a vocabulary, then converted by a named transform."""

    source: str = Field(alias="from", min_length=1)
    map: str | dict[str, str] | None = None
    transform: str | None = None

    @field_validator("map")
    @classmethod
    def _known_vocabulary(cls, value):
        if isinstance(value, dict):
            return {_vocabulary_key(k): v for k, v in value.items()}
        if value is not None and value not in VOCABULARIES:
            raise ValueError(f"unknown vocabulary {value!r} (catalog/vocab has: {', '.join(VOCABULARIES)})")
        return value

    @field_validator("transform")
    @classmethod
    def _known_transform(cls, value):
        if value is not None and value not in TRANSFORMS:
            raise ValueError(f"unknown transform {value!r} (transforms: {', '.join(TRANSFORMS)})")
        return value


class Detect(_Strict):
    """The signature auto-detection checks: the file's extension and the keys its first record holds."""

    extensions: list[str] = Field(min_length=1)
    keys: list[str] = Field(default_factory=list)

    @field_validator("extensions")
    @classmethod
    def _dotted(cls, value):
        return [e.lower() if e.startswith(".") else f".{e.lower()}" for e in value]


class Source(_Strict):
    """One source as its crosswalk file declares it, with the mapping of its rows."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    programme: str
    description: str = ""
    reader: str
    encoding: str = "auto"
    options: dict[str, Any] = Field(default_factory=dict)
    detect: Detect
    id: str = Field(min_length=1)
    fields: dict[str, FieldRule]
    constants: dict[str, Any] = Field(default_factory=dict)
    _file: Path | None = PrivateAttr(None)
    _options: BaseModel = PrivateAttr()

    @field_validator("reader")
    @classmethod
    def _known_reader(cls, value):
        if value not in READERS:
            raise ValueError(f"unknown reader {value!r} (readers: {', '.join(READERS)})")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value):
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f'unknown encoding {value!r} (use "auto" or a Python codec name)') from None
        return value

    @field_validator("programme")
    @classmethod
    def _known_programme(cls, value):
        return vocabulary("programmes").normalize(value)

    @field_validator("fields", mode="before")
    @classmethod
    def _shorthand(cls, value):
        if isinstance(value, dict):
            return {k: {"from": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("fields", "constants")
    @classmethod
    def _record_fields(cls, value, info):
        for target in value:
            if target == "id":
                raise ValueError("'id' cannot be set: the record id is made from the source name and the \"id\" key")
            if target not in RECORD_FIELDS:
                raise ValueError(f"{target!r} is not a record field (record fields: {', '.join(RECORD_FIELDS)})")
        if info.field_name == "constants" and "programme" in value:
            raise ValueError("'programme' cannot be set here: it is the crosswalk's \"programme\" key")
        return value

    @model_validator(mode="after")
    def _complete(self):
        reader = READERS[self.reader]
        if self.encoding != "auto" and not reader.text:
            raise ValueError(f'encoding: the {self.reader} reader reads no text, so "encoding" does not apply')
        try:
            self._options = reader.options.model_validate(self.options)
        except ValidationError as exc:
            hint = f"the {self.reader} reader's options: {', '.join(reader.options.model_fields) or 'none'}"
            raise ValueError("; ".join(_describe(err, "options.", hint) for err in exc.errors())) from None
        missing = [f for f in REQUIRED_FIELDS if f not in self.fields and f not in self.constants]
        if missing:
            raise ValueError(f"fields: the record needs {', '.join(missing)}, mapped in \"fields\" or set in "
                             f'"constants"')
        return self

    @property
    def file(self) -> Path | None:
        """The crosswalk file the source was loaded from."""
        return self._file

    def read(self, path: Path | SourceFile) -> Reading:
        """Read a file with this source's reader: rows are parsed lazily, once."""
        file = path if isinstance(path, SourceFile) else SourceFile(path)
        parsed = READERS[self.reader].read(file, self.encoding, self._options)
        return Reading(self, parsed.rows, parsed.notes)

    def fits(self, first: dict) -> bool:
        """Whether a file's first record holds every key of the detection signature."""
        return all(k in first for k in self.detect.keys)

    def row_ids(self, row: SourceRow) -> tuple[str, str | None]:
        """(id in the source, record id "<source name>-<id>" or None when the row has none)."""
        source_id = str(_get(row.raw or {}, self.id) or "").strip()
        return source_id, (f"{self.name}-{source_id}".lower() if source_id else None)

    def to_record(self, row: SourceRow) -> tuple[Innovation | None, list[Reject]]:
        """Map one raw row; every problem with it is reported, not just the first."""
        raw = row.raw or {}
        _, record_id = self.row_ids(row)
        rejects: list[Reject] = []

        def reject(field_name: str, reason: str) -> None:
            rejects.append(Reject(row.file, row.position, field_name, reason, record_id))

        if not record_id:
            reject("id", f"missing source id ({self.id!r})")
        values: dict[str, Any] = {"id": record_id, "programme": self.programme, **self.constants}
        limit = Settings().max_field_chars
        for target, rule in self.fields.items():
            value = _get(raw, rule.source)
            try:
                if isinstance(value, str):
                    value = value.strip()
                    if len(value) > limit:
                        # Analysing and embedding a multi-megabyte field takes minutes: refuse it.
                        raise ValueError(f"{len(value):,} characters, more than the {limit:,} a field may have "
                                         "(JIPPNAS_MAX_FIELD_CHARS)")
                if rule.map is not None and value is not None:
                    value = _map(rule.map, value)
                if rule.transform:
                    value = TRANSFORMS[rule.transform](value)
            except ValueError as exc:
                reject(target, f"{rule.source}: {exc}")
                continue
            if value is not None:
                values[target] = value
        if rejects:
            return None, rejects
        try:
            return Innovation(**values), []
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"]) or "record"
                rule = self.fields.get(loc)
                reject(loc, _friendly(err, rule.source if rule else loc))
            return None, rejects


def _get(raw: dict, path: str) -> Any:
    value: Any = raw
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _friendly(err: dict, source: str) -> str:
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"required ({source!r} is missing)"
    if err["type"] == "string_too_short":
        return f"required ({source!r} is empty)"
    return f"{source}: {msg}"


def _describe(err: dict, prefix: str = "", unknown_hint: str = "") -> str:
    """One pydantic error on a crosswalk as "key: problem" (prefix: where its keys sit)."""
    key = prefix + ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"unknown key {key!r}" + (f" ({unknown_hint})" if unknown_hint else "")
    if err["type"] == "missing":
        return f"missing key {key!r}"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{key}: {msg}" if key else msg


_TOP_LEVEL_KEYS = "keys: " + ", ".join(Source.model_fields)


def load_crosswalk(path: Path) -> Source:
    """Read and validate one crosswalk file; every problem names the file and the key."""
    try:
        spec = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise CrosswalkError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CrosswalkError(f"{path}: {exc}") from None
    try:
        source = Source.model_validate(spec)
    except ValidationError as exc:
        problems = [_describe(err, unknown_hint=_TOP_LEVEL_KEYS if len(err["loc"]) == 1 else "")
                    for err in exc.errors()]
        raise CrosswalkError(f"{path}: " + "; ".join(problems)) from None
    source._file = path
    return source


# ---------------------------------------------------------------- reading a file

@dataclass
class Reading:
    """One file read by one source: its rows (parsed once, lazily), the reader's notes for
    the import report (such as an assumed encoding), and the mapping of its rows, which
    rejects a row repeating an earlier row's id (the first is kept)."""

    source: Source
    rows: Iterator[SourceRow]
    notes: list[str] = field(default_factory=list)
    _first_at: dict[str, str] = field(default_factory=dict, repr=False)

    def to_record(self, row: SourceRow) -> tuple[Innovation | None, list[Reject]]:
        source_id, record_id = self.source.row_ids(row)
        if record_id in self._first_at:
            return None, [Reject(row.file, row.position, "id", f"duplicate id {source_id!r}: the row at "
                                 f"{self._first_at[record_id]} has it too and is the one kept", record_id)]
        if record_id:
            self._first_at[record_id] = _place(row)
        return self.source.to_record(row)


def _place(row: SourceRow) -> str:
    if row.line is None or row.position == f"line {row.line}":
        return row.position
    return f"line {row.line} ({row.position})"


# ---------------------------------------------------------------- the registry

class SourceRegistry:
    """Every known source by name: the built-in crosswalks and those of JIPPNAS_CROSSWALKS_DIR."""

    def __init__(self, sources: dict[str, Source]):
        self._sources = sources

    def names(self) -> list[str]:
        return sorted(self._sources)

    def get(self, name: str) -> Source:
        try:
            return self._sources[name]
        except KeyError:
            raise SourceError(f"unknown source {name!r} (known: {', '.join(self.names())})") from None

    def programmes(self) -> list[str]:
        """The programmes the sources feed, in the record's vocabulary order."""
        fed = {s.programme for s in self._sources.values()}
        return [p for p in vocabulary("programmes").values if p in fed]

    def open(self, path: Path, name: str = "auto") -> Reading:
        """Read a file as the named source, or as the one detected when name is "auto"."""
        return self.detect(path) if name == "auto" else self.get(name).read(path)

    def detect(self, path: Path) -> Reading:
        """Read a file as the source whose signature fits it: the extension, and the keys of
        its first readable record. The file is read and parsed once per distinct reader setup
        among the candidates, only up to that record, and the reading is kept, not redone.
        Where several fit, the one whose keys include all the others' wins."""
        path = Path(path)
        ext = path.suffix.lower()
        candidates = [s for s in self._sources.values() if ext in s.detect.extensions]
        if not candidates:
            known = sorted({e for s in self._sources.values() for e in s.detect.extensions})
            raise SourceError(f"{path}: no source reads {ext or 'extension-less'} files (sources read "
                              f"{', '.join(known)}): add a crosswalk for them (JIPPNAS_CROSSWALKS_DIR) or use --format")
        file = SourceFile(path)
        setups: dict[str, list[Source]] = {}
        for source in candidates:
            key = json.dumps([source.reader, source.encoding, source._options.model_dump()], sort_keys=True)
            setups.setdefault(key, []).append(source)
        fitting: list[tuple[Source, Reading, list[SourceRow]]] = []
        errors: list[SourceError] = []
        for group in setups.values():
            try:
                reading = group[0].read(file)
                head = _head(reading.rows)
            except SourceError as exc:
                errors.append(exc)
                continue
            if head and head[-1].raw is not None:
                fitting += [(s, reading, head) for s in group if s.fits(head[-1].raw)]
        if len(errors) == len(setups):
            raise errors[0]
        best = [f for f in fitting if all(set(o.detect.keys) <= set(f[0].detect.keys) for o, _, _ in fitting)]
        if len(best) == 1:
            source, reading, head = best[0]
            return Reading(source, chain(head, reading.rows), reading.notes)
        if fitting:
            raise SourceError(f"{path}: fits several sources ({', '.join(s.name for s, _, _ in fitting)}); "
                              f"use --format")
        raise SourceError(f"{path}: no source's signature fits its first record "
                          f"(tried {', '.join(s.name for s in candidates)}); use --format")


def _head(rows: Iterator[SourceRow]) -> list[SourceRow]:
    """The rows up to and including the first readable one."""
    head = []
    for row in rows:
        head.append(row)
        if row.raw is not None:
            break
    return head


def _crosswalk_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def registry(extra_dir: Path | None = None) -> SourceRegistry:
    """The built-in sources plus those whose crosswalks are in extra_dir (by default
    JIPPNAS_CROSSWALKS_DIR). Two crosswalk files naming the same source are an error."""
    folder = extra_dir if extra_dir is not None else Settings().crosswalks_dir
    files = _crosswalk_files(Path(str(resources.files(__package__).joinpath("crosswalks"))))
    if folder is not None:
        if not Path(folder).is_dir():
            raise CrosswalkError(f"{folder}: the crosswalks directory (JIPPNAS_CROSSWALKS_DIR) is not a directory")
        files += _crosswalk_files(Path(folder))
    sources: dict[str, Source] = {}
    for path in files:
        source = load_crosswalk(path)
        if source.name in sources:
            raise CrosswalkError(f"two crosswalks define the source {source.name!r}: "
                                 f"{sources[source.name].file} and {path}")
        sources[source.name] = source
    return SourceRegistry(sources)
