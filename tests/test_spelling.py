"""The typo corrector on its own."""
from __future__ import annotations

from search_api.analysis import get_analyzer
from search_api.spelling import Speller, place_words

FREQUENCIES = {"stunting": 10, "stunning": 1, "posyandu": 5, "sampah": 7, "timur": 3, "layanan": 90, "pelayanan": 80}


def speller(documents: int = 100) -> Speller:
    return Speller(FREQUENCIES, get_analyzer(), documents, place_words())


def test_speller_prefers_frequent_known_words_and_leaves_real_words():
    assert speller().correct("cegah stuntng di posyandu") == "cegah stunting di posyandu"
    assert speller().correct("cegah stutning di posyandu") == "cegah stunting di posyandu"  # adjacent swap
    assert speller().correct("pantau balita") is None  # Indonesian words, even if not in the index
    assert speller().correct("ijin usaha") is None  # lexicon variants are the analyser's job
    assert speller().correct("STUNTNG") == "stunting"  # all capitals is not a name


def test_proper_nouns_and_place_names_are_left_alone():
    """Names inside a sentence are not typos ("Timor" is not "timur"); place names never are."""
    assert speller().correct("nelayan di Timor susah") is None  # a place name, whatever its case
    assert speller().correct("warga desa Sampih protes") is None  # capitalised inside a sentence: a name
    assert speller().correct("Sampih menumpuk") == "sampah menumpuk"  # opening the sentence: may be a typo
    assert speller().correct("Desa bersih. Sampih menumpuk") == "Desa bersih. sampah menumpuk"
    assert speller().correct("stuntng di Sleman dan Gunungkidul") == "stunting di Sleman dan Gunungkidul"
    assert speller().correct("stuntng di sleman") == "stunting di sleman"  # lower-case place name: still known
    assert {"sleman", "gunungkidul", "jawa", "timur"} <= place_words()


def test_a_very_common_word_is_never_suggested():
    """A correction adds its word to the keyword leg: one in most documents would match everything."""
    assert speller(documents=100).correct("layanann publik") is None
    assert speller(documents=1000).correct("layanann publik") == "layanan publik"
