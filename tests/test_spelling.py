"""The typo corrector on its own."""
from __future__ import annotations

from search_api.analysis import get_analyzer
from search_api.spelling import Speller, edit_distance


def test_edit_distance_with_swaps_and_limit():
    assert edit_distance("stunting", "stuntng", 2) == 1
    assert edit_distance("sistem", "sitsem", 1) == 1  # adjacent swap
    assert edit_distance("kependudukan", "kependudukn", 2) == 1
    assert edit_distance("balita", "lansia", 2) == 3  # over the limit: limit + 1


def test_speller_prefers_frequent_known_words_and_leaves_real_words():
    speller = Speller({"stunting": 10, "stunning": 1, "posyandu": 5, "sampah": 7}, get_analyzer())
    assert speller.correct("cegah stuntng di posyandu") == "cegah stunting di posyandu"
    assert speller.correct("pantau balita") is None  # Indonesian words, even if not in the index
    assert speller.correct("ijin usaha") is None  # lexicon variants are the analyser's job
    assert speller.correct("STUNTNG") == "stunting"
