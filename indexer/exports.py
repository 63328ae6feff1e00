"""Each programme's own format back (issue "One input for three programmes"): records written
in the shape a source's crosswalk reads (KIPP's JSON array, IGA's semicolon CSV, InoLAN's JSON
Lines), derived from the same crosswalk declarations the importer uses, so an exported file
imports again into the same records.

A shape carries only the record fields its crosswalk maps (``carried``); the others are left
out. Contact details are never exported (``catalog.record.PRIVATE_FIELDS``). CSV cells are formula-safe
(``search_api.spreadsheet``): a text starting with ``=``, ``+``, ``-`` or ``@`` gets a leading
apostrophe, which a re-import keeps.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from catalog.record import PRIVATE_FIELDS, Innovation
from search_api.spreadsheet import SpreadsheetWriter

from .sources import FieldRule, Source, registry

PROGRAMME_FORMATS = ("kipp", "iga", "inolan")  # the built-in programme shapes the API offers
_MEDIA = {"json": "application/json", "jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
_EXTENSION = {"json": "json", "jsonl": "jsonl", "csv": "csv"}


class ExportError(ValueError):
    pass


def _source_value(rule: FieldRule, value: Any, text: bool) -> Any:
    """A record value as the source writes it: the inverse of the rule's map and transform."""
    if value is None or value == []:
        return None
    if isinstance(rule.map, dict):  # an inline table: the first source spelling of the value
        value = next((k for k, v in rule.map.items() if v == value), value)
    if rule.transform == "bool" or isinstance(value, bool):
        return ("Ya" if value else "Tidak") if text else value
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) if text else value
    return str(value) if text else value


def _put(target: dict, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


@dataclass(frozen=True)
class ProgrammeExport:
    source: Source

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def programme(self) -> str:
        return self.source.programme

    @property
    def media_type(self) -> str:
        return _MEDIA[self.source.reader]

    @property
    def filename(self) -> str:
        return f"jippnas-{self.name}.{_EXTENSION[self.source.reader]}"

    @property
    def carried(self) -> tuple[str, ...]:
        """The record fields this shape carries (besides the id)."""
        return tuple(f for f in self.source.fields if f not in PRIVATE_FIELDS and f not in self.source.constants)

    def source_id(self, record: Innovation) -> str:
        """The id in the source: an entry of this source keeps its own, any other its entry id."""
        prefix = f"{self.name}-"
        return record.id.removeprefix(prefix) if record.id.startswith(prefix) else record.id

    def row(self, record: Innovation, text: bool = False) -> dict:
        out: dict = {}
        _put(out, self.source.id, self.source_id(record))
        for name in self.carried:
            value = _source_value(self.source.fields[name], getattr(record, name), text)
            if value is not None or text:
                _put(out, self.source.fields[name].source, "" if value is None else value)
        return out

    def lines(self, records: Iterable[Innovation]) -> Iterator[str]:
        """The file, in pieces (streamed)."""
        reader = self.source.reader
        if reader == "jsonl":
            yield from (json.dumps(self.row(r), ensure_ascii=False) + "\n" for r in records)
        elif reader == "json":
            first = True
            yield "["
            for r in records:
                yield ("\n" if first else ",\n") + json.dumps(self.row(r), ensure_ascii=False)
                first = False
            yield "\n]\n"
        elif reader == "csv":
            yield from self._csv(records)
        else:
            raise ExportError(f"the {self.name} source is read as {reader}, which cannot be exported")

    def _csv(self, records: Iterable[Innovation]) -> Iterator[str]:
        buffer = io.StringIO()
        writer = SpreadsheetWriter(buffer, delimiter=self.source.options.get("delimiter", ","))
        header = [self.source.id, *(self.source.fields[f].source for f in self.carried)]
        buffer.write("\ufeff")  # Excel opens UTF-8 correctly only with a BOM
        writer.writerow(header)
        for record in records:
            row = self.row(record, text=True)
            writer.writerow([row[key] for key in header])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.getvalue():
            yield buffer.getvalue()


def programme_exports(names: Iterable[str] = PROGRAMME_FORMATS) -> dict[str, ProgrammeExport]:
    """The programme shapes by source name, from the crosswalk registry."""
    sources = registry()
    return {name: ProgrammeExport(sources.get(name)) for name in names}
