"""CSV meant to be opened in a spreadsheet: no cell from a user runs as a formula.

Excel and LibreOffice evaluate a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and
treat a leading tab or carriage return the same way), so a record titled
``=HYPERLINK(...)`` would become a live link or command in a researcher's sheet. Such
cells get a leading apostrophe, OWASP's recommended neutralisation: the sheet shows the
text as written.
"""
from __future__ import annotations

import csv
from typing import Any, Iterable, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SpreadsheetWriter:
    """``csv.writer`` whose every text cell passes through ``safe_cell``."""

    def __init__(self, fh: TextIO, **fmt):
        self._writer = csv.writer(fh, **fmt)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])
