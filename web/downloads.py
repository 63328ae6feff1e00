"""What a downloaded file is called and how it is sent: the name carries the search and the
date (``jippnas-stunting-jawa-timur-2026-12-01.csv``), so a researcher's folder of exports
explains itself."""
from __future__ import annotations

import io
import re
import unicodedata
from datetime import date
from typing import Iterable, Iterator

from search_api.query import SearchRequest
from search_api.spreadsheet import SpreadsheetWriter

NAME_WORDS = 60  # characters of the query and filters kept in a file name


def filename(req: SearchRequest, kind: str, ext: str, today: date | None = None) -> str:
    """``jippnas-<kind>-<query and filter values>-<date>.<ext>``, ASCII letters, digits and dashes."""
    words = [req.q, *(v for values in req.filters.values.values() for v in values)]
    if req.filters.year_from is not None or req.filters.year_to is not None:
        words.append(f"{req.filters.year_from or ''}-{req.filters.year_to or ''}")
    folded = unicodedata.normalize("NFKD", " ".join(w for w in words if w)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:NAME_WORDS].strip("-")
    parts = ["jippnas", kind, slug or "semua", (today or date.today()).isoformat()]
    return "-".join(parts) + f".{ext}"


def disposition(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text for a spreadsheet: a BOM (Excel reads UTF-8 only with one), formula-safe cells,
    yielded row by row."""
    buffer = io.StringIO()
    writer = SpreadsheetWriter(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()
