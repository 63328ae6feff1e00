"""The catalog: system of record for every accepted innovation (SQLite file).

It keeps each record as submitted and in canonical form, so the search index can be
rebuilt at any time without the source files, and it remembers which version of each
record each engine has indexed, so an interrupted import resumes without duplicates.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Iterator

from .record import Innovation

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    format TEXT NOT NULL,
    source_file TEXT,
    source_position TEXT,
    submitted TEXT,          -- the raw source row, as JSON
    canonical TEXT NOT NULL, -- the canonical record, as JSON
    content_hash TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS indexed (
    engine TEXT NOT NULL,
    record_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (engine, record_id)
);
"""


def content_hash(record: Innovation) -> str:
    return hashlib.sha256(json.dumps(record.content(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class Catalog:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def upsert(self, record: Innovation, submitted: dict | None, source_file: str, position: str) -> str:
        """Insert or update by id; returns 'new', 'changed' or 'unchanged'."""
        digest = content_hash(record)
        row = self.db.execute("SELECT content_hash, canonical FROM records WHERE id = ?", (record.id,)).fetchone()
        if row and row[0] == digest:
            return "unchanged"
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (record.id, record.id.split("-", 1)[0], source_file, position,
                 json.dumps(submitted, ensure_ascii=False, default=str),
                 record.model_dump_json(), digest, record.updated_at.isoformat()),
            )
        return "changed" if row else "new"

    def get(self, record_id: str) -> Innovation | None:
        row = self.db.execute("SELECT canonical FROM records WHERE id = ?", (record_id,)).fetchone()
        return Innovation.model_validate_json(row[0]) if row else None

    def submitted(self, record_id: str) -> dict | None:
        row = self.db.execute("SELECT submitted FROM records WHERE id = ?", (record_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def all(self) -> Iterator[Innovation]:
        for (canonical,) in self.db.execute("SELECT canonical FROM records ORDER BY id"):
            yield Innovation.model_validate_json(canonical)

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM records").fetchone()[0]

    def pending(self, engine: str) -> set[str]:
        """Ids of records whose current version the engine has not indexed."""
        rows = self.db.execute(
            "SELECT r.id FROM records r LEFT JOIN indexed i ON i.engine = ? AND i.record_id = r.id "
            "WHERE i.content_hash IS NULL OR i.content_hash != r.content_hash", (engine,))
        return {r[0] for r in rows}

    def mark_indexed(self, engine: str, record_ids: list[str]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO indexed SELECT ?, id, content_hash FROM records WHERE id = ?",
                [(engine, rid) for rid in record_ids])

    def forget_indexed(self, engine: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM indexed WHERE engine = ?", (engine,))
