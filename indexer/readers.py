"""Readers: a source file's bytes into rows, read once, decoded once, parsed once.

Readers never stop at a bad row: they yield a ``SourceRow`` carrying either the raw record
or the reason it could not be read, with its position in the file. ``SourceError`` is for
a file that cannot be read at all. Text is decoded by ``decode`` (byte order mark, then
UTF-8, then the Windows code page Indonesian offices' Excel saves in); a byte that still
does not decode rejects only the row holding it, named by line and column.
"""
from __future__ import annotations

import bisect
import codecs
import csv
import datetime as dt
import io
import json
import re
import sys
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator

from charset_normalizer import from_bytes
from pydantic import BaseModel, ConfigDict, Field
from python_calamine import CalamineError, CalamineWorkbook, WorksheetNotFound


@dataclass
class SourceRow:
    file: str
    position: str  # "line 12", "record 3" or "sheet Data row 4"
    raw: dict | None = None
    error: str | None = None
    line: int | None = None  # the line of a text file the row starts on


class SourceError(Exception):
    """The file as a whole cannot be read (wrong format, not JSON at all...)."""


# ---------------------------------------------------------------- decoding

# Single-byte code pages a non-UTF-8 export is plausibly in (Excel on Indonesian Windows).
LEGACY_CODECS = ("cp1252", "latin_1", "iso8859_15")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_ESCAPED = re.compile("[\udc80-\udcff]")  # a byte that did not decode, kept by the surrogateescape handler
_NON_ASCII_TEXT = re.compile("[^\x00-\x7f\udc80-\udcff]")
_ARCHIVES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # zip (xlsx, ods) and OLE (xls)


@dataclass
class Text:
    """A file's decoded text; bytes that did not decode are kept as lone surrogates."""

    content: str
    encoding: str
    note: str | None = None  # how the encoding was assumed, when it was

    @cached_property
    def lines(self) -> list[str]:
        """Physical lines with their endings (\\n, \\r\\n or \\r), as the csv module reads them."""
        return io.StringIO(self.content, newline="").readlines()

    @cached_property
    def _starts(self) -> list[int]:
        return list(accumulate(map(len, self.lines), initial=0))

    def offset(self, line: int) -> int:
        """Where a 1-based line starts in ``content`` (one past the last line: the end)."""
        return self._starts[min(line, len(self._starts)) - 1]

    def where(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of an offset in ``content``."""
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def bad_byte(self, start: int, end: int) -> str | None:
        """The first byte between two offsets that did not decode, as a reason naming its place."""
        found = _ESCAPED.search(self.content, start, end)
        if found is None:
            return None
        line, column = self.where(found.start())
        return f"byte 0x{ord(found.group()) - 0xDC00:02x} at line {line}, column {column} is not valid {self.encoding}"


def decode(data: bytes, encoding: str = "auto") -> Text:
    """Decode a text file once. A declared codec is used as given ("utf-8" also drops a BOM).
    "auto": a byte order mark decides; else strict UTF-8; else, when the text holds no valid
    UTF-8 beyond ASCII, the single-byte code page charset-normalizer finds plausible (noted);
    else UTF-8, noting the bytes that are not, whose rows are rejected."""
    if data.startswith(_ARCHIVES):
        raise SourceError('a spreadsheet workbook (or another archive), not text: a workbook needs a source '
                          'whose crosswalk has "reader": "xlsx"')
    if encoding != "auto":
        codec = codecs.lookup(encoding).name
        return Text(data.decode("utf-8-sig" if codec == "utf-8" else codec, "surrogateescape"), codec)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return Text(data.decode(codec, "surrogateescape"), codec.removesuffix("-sig"))
    try:
        return Text(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    utf8 = Text(data.decode("utf-8", "surrogateescape"), "utf-8")
    bad = _ESCAPED.findall(utf8.content)
    line, column = utf8.where(_ESCAPED.search(utf8.content).start())
    if not _NON_ASCII_TEXT.search(utf8.content):
        match = from_bytes(data, cp_isolation=list(LEGACY_CODECS)).best()
        if match is not None:
            return Text(data.decode(match.encoding, "surrogateescape"), match.encoding,
                        note=f"read as {match.encoding} (not valid UTF-8 at line {line}, column {column})")
    utf8.note = (f"read as utf-8, but {len(bad)} byte(s) are not valid UTF-8 (the first at line {line}, "
                 f"column {column}): the rows holding them are rejected")
    return utf8


class SourceFile:
    """One file's bytes, read once, and its text, decoded once per encoding asked for."""

    def __init__(self, path: Path):
        self.name = str(path)
        self.data = Path(path).read_bytes()
        self._texts: dict[str, Text] = {}

    def text(self, encoding: str) -> Text:
        if encoding not in self._texts:
            try:
                self._texts[encoding] = decode(self.data, encoding)
            except SourceError as exc:
                raise SourceError(f"{self.name}: {exc}") from None
        return self._texts[encoding]


# ---------------------------------------------------------------- text readers

_TOO_DEEP = f"nested more deeply than the JSON reader allows (about {sys.getrecursionlimit()} levels)"
_JSON_WHITESPACE = re.compile(r"[ \t\n\r]*")
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", type(None): "null"}


def _object_row(file: str, position: str, item: Any, line: int) -> SourceRow:
    if isinstance(item, dict):
        return SourceRow(file, position, raw=item, line=line)
    return SourceRow(file, position, error=f"expected an object, got {_JSON_TYPES[type(item)]}", line=line)


def read_json_array(text: Text, file: str) -> Iterator[SourceRow]:
    """A JSON array of objects, decoded element by element so each record's place is known."""
    s, decoder = text.content, json.JSONDecoder()
    try:
        pos = _JSON_WHITESPACE.match(s).end()
        if not s.startswith("[", pos):
            value, _ = decoder.raw_decode(s, pos)
            raise SourceError(f"{file}: expected a JSON array of records, got {_JSON_TYPES[type(value)]}")
        pos = _JSON_WHITESPACE.match(s, pos + 1).end()
        number = 0
        while not s.startswith("]", pos):
            if number:
                if not s.startswith(",", pos):
                    raise json.JSONDecodeError("Expecting ',' delimiter", s, pos)
                pos = _JSON_WHITESPACE.match(s, pos + 1).end()
            item, end = decoder.raw_decode(s, pos)
            number += 1
            line, bad = text.where(pos)[0], text.bad_byte(pos, end)
            if bad:
                yield SourceRow(file, f"record {number}", error=bad, line=line)
            else:
                yield _object_row(file, f"record {number}", item, line)
            pos = _JSON_WHITESPACE.match(s, end).end()
        rest = _JSON_WHITESPACE.match(s, pos + 1).end()
        if rest < len(s):
            raise json.JSONDecodeError("Extra data", s, rest)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise SourceError(f"{file}: {_TOO_DEEP}") from None


def read_jsonl(text: Text, file: str) -> Iterator[SourceRow]:
    for lineno, line in enumerate(text.lines, 1):
        if not line.strip():
            continue
        position = f"line {lineno}"
        bad = text.bad_byte(text.offset(lineno), text.offset(lineno + 1))
        if bad:
            yield SourceRow(file, position, error=bad, line=lineno)
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield SourceRow(file, position, error=f"invalid JSON at column {exc.colno}: {exc.msg}", line=lineno)
            continue
        except RecursionError:
            yield SourceRow(file, position, error=_TOO_DEEP, line=lineno)
            continue
        yield _object_row(file, position, item, lineno)


CSV_FIELD_BYTES = 64 << 20


def read_csv(text: Text, file: str, delimiter: str = ",") -> Iterator[SourceRow]:
    """CSV with recovery: a record with the wrong number of fields (typically a broken
    quote that swallowed the following lines) is rejected at its first line, and parsing
    resumes on the next physical line, so the rows after it are not lost."""
    # The csv module refuses fields over 128 KiB with a bare error; let them through, so the
    # mapping rejects an over-long field by name and size (JIPPNAS_MAX_FIELD_CHARS).
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_BYTES))
    lines = text.lines
    if not lines:
        raise SourceError(f"{file}: empty file")
    bad = text.bad_byte(0, text.offset(2))
    if bad:
        raise SourceError(f"{file}: header: {bad}")
    header = [h.strip() for h in next(csv.reader([lines[0]], delimiter=delimiter))]
    width = len(header)
    pos = 1  # 0-based index of the physical line parsing starts from
    while pos < len(lines):
        reader = csv.reader(io.StringIO("".join(lines[pos:]), newline=""), delimiter=delimiter)
        consumed, restart_at = 0, None
        try:
            for values in reader:
                first_line = pos + consumed + 1  # 1-based line where this record starts
                span, consumed = reader.line_num - consumed, reader.line_num
                if not any(v.strip() for v in values):
                    continue
                swallowed = _swallowed_line(lines, first_line, span, delimiter, width)
                if swallowed is not None:
                    yield SourceRow(file, f"line {first_line}", line=first_line, error=(
                        f"a quoted field runs on into line {swallowed}, which holds a whole record's worth of "
                        f"{delimiter!r}-separated fields (unbalanced quote?); line {swallowed} is read on its own"))
                    restart_at = swallowed - 1
                    break
                if len(values) == width:
                    bad = text.bad_byte(text.offset(first_line), text.offset(first_line + span))
                    if bad:
                        yield SourceRow(file, f"line {first_line}", error=bad, line=first_line)
                    else:
                        yield SourceRow(file, f"line {first_line}", raw=dict(zip(header, values)), line=first_line)
                    continue
                hint = " (unbalanced quote swallowed the lines after it?)" if span > 1 else ""
                yield SourceRow(file, f"line {first_line}", line=first_line,
                                error=f"expected {width} fields separated by {delimiter!r}, found {len(values)}{hint}")
                if span > 1:
                    restart_at = first_line
                    break
        except csv.Error as exc:
            restart_at = pos + consumed + 1
            yield SourceRow(file, f"line {restart_at}", error=f"unreadable CSV: {exc}", line=restart_at)
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


# ---------------------------------------------------------------- workbooks

def _cell(value: Any) -> Any:
    """A cell as a JSON-ready value: whole numbers as int, dates and times as ISO text."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value


def read_sheet(rows: list[list[Any]], file: str, sheet: str, header_row: int | None = None) -> Iterator[SourceRow]:
    """A worksheet's rows (from cell A1) as dicts keyed by the header row (default: the
    first non-empty row); empty rows are skipped, columns without a header ignored."""
    cells = [[_cell(v) for v in row] for row in rows]
    filled = [i for i, row in enumerate(cells) if any(v != "" for v in row)]
    top = header_row - 1 if header_row else (filled[0] if filled else 0)
    if top >= len(cells) or not any(v != "" for v in cells[top]):
        raise SourceError(f"{file}: sheet {sheet!r} has no header at row {top + 1}")
    header = [str(v).strip() for v in cells[top]]
    for number in (i + 1 for i in filled if i > top):
        raw = {name: value for name, value in zip(header, cells[number - 1]) if name}
        yield SourceRow(file, f"sheet {sheet} row {number}", raw=raw)


# ---------------------------------------------------------------- the readers a crosswalk names

class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoOptions(_Options):
    pass


class CsvOptions(_Options):
    delimiter: str = Field(",", min_length=1, max_length=1)


class XlsxOptions(_Options):
    sheet: str | Annotated[int, Field(ge=0)] | None = None  # a name or a 0-based index; default: the first
    header_row: int | None = Field(None, ge=1)  # 1-based; default: the first non-empty row


@dataclass
class Parsed:
    rows: Iterator[SourceRow]
    notes: list[str]  # what the reader assumed, for the import report


def _text_notes(text: Text) -> list[str]:
    return [text.note] if text.note else []


def _read_csv(file: SourceFile, encoding: str, options: CsvOptions) -> Parsed:
    text = file.text(encoding)
    return Parsed(read_csv(text, file.name, options.delimiter), _text_notes(text))


def _read_json(file: SourceFile, encoding: str, options: NoOptions) -> Parsed:
    text = file.text(encoding)
    return Parsed(read_json_array(text, file.name), _text_notes(text))


def _read_jsonl(file: SourceFile, encoding: str, options: NoOptions) -> Parsed:
    text = file.text(encoding)
    return Parsed(read_jsonl(text, file.name), _text_notes(text))


def _read_xlsx(file: SourceFile, encoding: str, options: XlsxOptions) -> Parsed:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(file.data))
    except CalamineError as exc:
        raise SourceError(f"{file.name}: not a readable Excel workbook ({exc})") from None
    wanted = 0 if options.sheet is None else options.sheet
    try:
        sheet = book.get_sheet_by_index(wanted) if isinstance(wanted, int) else book.get_sheet_by_name(wanted)
    except WorksheetNotFound:
        raise SourceError(f"{file.name}: no sheet {wanted!r} (sheets: {', '.join(book.sheet_names)})") from None
    try:
        rows = sheet.to_python(skip_empty_area=False)
    except CalamineError as exc:
        raise SourceError(f"{file.name}: sheet {sheet.name!r} is unreadable ({exc})") from None
    notes = []
    if options.sheet is None and len(book.sheet_names) > 1:
        notes.append(f"read sheet {sheet.name!r}, the first of {len(book.sheet_names)}")
    return Parsed(read_sheet(rows, file.name, sheet.name, options.header_row), notes)


@dataclass(frozen=True)
class Reader:
    options: type[_Options]
    read: Callable[[SourceFile, str, Any], Parsed]  # (file, encoding, options)
    text: bool  # whether "encoding" applies


READERS: dict[str, Reader] = {
    "csv": Reader(CsvOptions, _read_csv, text=True),
    "json": Reader(NoOptions, _read_json, text=True),
    "jsonl": Reader(NoOptions, _read_jsonl, text=True),
    "xlsx": Reader(XlsxOptions, _read_xlsx, text=False),
}
