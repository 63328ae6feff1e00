"""Reading source exports and mapping them onto the canonical record.

Each programme's export shape is described by a declarative crosswalk in ``crosswalks/``
(field mapping + named value transforms), so a fourth source is a JSON file, not code.
Readers never stop at a bad row: they yield a ``SourceRow`` carrying either the raw
record or the reason it could not be read, with its position in the file.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

from pydantic import ValidationError

from catalog.record import Innovation


@dataclass
class SourceRow:
    file: str
    position: str  # "line 12" or "record 3"
    raw: dict | None = None
    error: str | None = None


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


class SourceError(Exception):
    """The file as a whole cannot be read (wrong format, not JSON at all...)."""


# ---------------------------------------------------------------- readers

def read_json_array(path: Path) -> Iterator[SourceRow]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, list):
        raise SourceError(f"{path}: expected a JSON array of records, got {type(data).__name__}")
    for i, item in enumerate(data, 1):
        if isinstance(item, dict):
            yield SourceRow(str(path), f"record {i}", raw=item)
        else:
            yield SourceRow(str(path), f"record {i}", error=f"expected an object, got {type(item).__name__}")


def read_jsonl(path: Path) -> Iterator[SourceRow]:
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                yield SourceRow(str(path), f"line {lineno}", error=f"invalid JSON at column {exc.colno}: {exc.msg}")
                continue
            if isinstance(item, dict):
                yield SourceRow(str(path), f"line {lineno}", raw=item)
            else:
                yield SourceRow(str(path), f"line {lineno}", error=f"expected an object, got {type(item).__name__}")


def read_csv(path: Path, delimiter: str) -> Iterator[SourceRow]:
    """CSV with recovery: a record with the wrong number of fields (typically a broken
    quote that swallowed the following lines) is rejected at its first line, and parsing
    resumes on the next physical line, so the rows after it are not lost."""
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    if not lines:
        raise SourceError(f"{path}: empty file")
    header = [h.strip() for h in next(csv.reader([lines[0]], delimiter=delimiter))]
    width = len(header)
    pos = 1  # 0-based index of the physical line parsing starts from
    while pos < len(lines):
        reader = csv.reader(io.StringIO("".join(lines[pos:])), delimiter=delimiter)
        consumed, restart_at = 0, None
        try:
            for values in reader:
                first_line = pos + consumed + 1  # 1-based line where this record starts
                span, consumed = reader.line_num - consumed, reader.line_num
                if not any(v.strip() for v in values):
                    continue
                swallowed = _swallowed_line(lines, first_line, span, delimiter, width)
                if swallowed is not None:
                    yield SourceRow(str(path), f"line {first_line}", error=(
                        f"a quoted field runs on into line {swallowed}, which holds a whole record's worth of "
                        f"{delimiter!r}-separated fields (unbalanced quote?); line {swallowed} is read on its own"))
                    restart_at = swallowed - 1
                    break
                if len(values) == width:
                    yield SourceRow(str(path), f"line {first_line}", raw=dict(zip(header, values)))
                    continue
                hint = " (unbalanced quote swallowed the lines after it?)" if span > 1 else ""
                yield SourceRow(str(path), f"line {first_line}",
                                error=f"expected {width} fields separated by {delimiter!r}, found {len(values)}{hint}")
                if span > 1:
                    restart_at = first_line
                    break
        except csv.Error as exc:
            restart_at = pos + consumed + 1
            yield SourceRow(str(path), f"line {restart_at}", error=f"unreadable CSV: {exc}")
        if restart_at is None:
            return
        pos = restart_at


def _swallowed_line(lines: list[str], first_line: int, span: int, delimiter: str, width: int) -> int | None:
    """The 1-based number of a continuation line of a multi-line record that holds a full
    record's worth of separators: a quote left open swallowed that row into a field, even
    when the field count still comes out right. Legitimate multi-line text never holds that many."""
    for number in range(first_line + 1, first_line + span):
        if lines[number - 1].count(delimiter) >= width - 1:
            return number
    return None


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


# ---------------------------------------------------------------- crosswalks

@lru_cache(maxsize=1)
def _vocabularies() -> dict[str, dict[str, str]]:
    return json.loads(resources.files(__package__).joinpath("crosswalks/vocabularies.json").read_text("utf-8"))


@dataclass
class Crosswalk:
    format: str
    reader: str
    extensions: list[str]
    detect_keys: list[str]
    id: str
    fields: dict[str, Any]
    constants: dict[str, Any] = field(default_factory=dict)
    csv_delimiter: str = ","
    description: str = ""

    def read(self, path: Path) -> Iterator[SourceRow]:
        if self.reader == "json_array":
            return read_json_array(path)
        if self.reader == "jsonl":
            return read_jsonl(path)
        if self.reader == "csv":
            return read_csv(path, self.csv_delimiter)
        raise SourceError(f"crosswalk {self.format}: unknown reader {self.reader!r}")

    def matches(self, path: Path, first: dict) -> bool:
        return path.suffix.lower() in self.extensions and all(k in first for k in self.detect_keys)

    def to_record(self, row: SourceRow) -> tuple[Innovation | None, list[Reject]]:
        """Map one raw row; every problem with it is reported, not just the first."""
        raw = row.raw or {}
        source_id = str(_get(raw, self.id) or "").strip()
        record_id = f"{self.format}-{source_id}".lower() if source_id else None
        rejects: list[Reject] = []

        def reject(field_name: str, reason: str) -> None:
            rejects.append(Reject(row.file, row.position, field_name, reason, record_id))

        if not source_id:
            reject("id", f"missing source id ({self.id!r})")
        values: dict[str, Any] = {"id": record_id, **self.constants}
        for target, rule in self.fields.items():
            rule = {"from": rule} if isinstance(rule, str) else rule
            value = _get(raw, rule["from"])
            try:
                if isinstance(value, str):
                    value = value.strip()
                if "map" in rule and value is not None:
                    value = _map(rule["map"], value)
                if "transform" in rule:
                    value = TRANSFORMS[rule["transform"]](value)
            except ValueError as exc:
                reject(target, f"{rule['from']}: {exc}")
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
                source = self.fields.get(loc)
                source = source if isinstance(source, str) else (source or {}).get("from", loc)
                reject(loc, _friendly(err, source))
            return None, rejects


def _get(raw: dict, path: str) -> Any:
    value: Any = raw
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _map(vocabulary: str | dict, value: Any) -> Any:
    table = _vocabularies()[vocabulary] if isinstance(vocabulary, str) else vocabulary
    key = " ".join(str(value).lower().split())
    if key not in table:
        raise ValueError(f"unknown value {value!r} (expected one of: {', '.join(sorted(set(table.values())))})")
    return table[key]


def _friendly(err: dict, source: str) -> str:
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"required ({source!r} is missing)"
    if err["type"] == "string_too_short":
        return f"required ({source!r} is empty)"
    return f"{source}: {msg}"


@lru_cache(maxsize=1)
def crosswalks() -> dict[str, Crosswalk]:
    folder = resources.files(__package__).joinpath("crosswalks")
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".json") and entry.name != "vocabularies.json":
            walk = Crosswalk(**json.loads(entry.read_text(encoding="utf-8")))
            found[walk.format] = walk
    return found


def detect_format(path: Path) -> Crosswalk:
    """Pick the crosswalk whose extension and keys fit the file's first readable record."""
    candidates = [c for c in crosswalks().values() if path.suffix.lower() in c.extensions]
    if not candidates:
        raise SourceError(f"{path}: cannot tell the format from the extension {path.suffix!r}; use --format")
    errors = []
    for walk in candidates:
        try:
            first = next((r.raw for r in walk.read(path) if r.raw is not None), None)
        except SourceError as exc:
            errors.append(exc)
            continue
        if first is not None and walk.matches(path, first):
            return walk
    if len(errors) == len(candidates):
        raise errors[0]
    raise SourceError(
        f"{path}: no crosswalk matches its fields (tried {', '.join(c.format for c in candidates)}); use --format"
    )
