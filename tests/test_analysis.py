"""The Indonesian analyser shared by both engines."""
from __future__ import annotations

from search_api.analysis import get_analyzer
from search_api.analysis.analyzer import Lexicon


def test_stemming_and_folding():
    a = get_analyzer()
    assert a.terms("Pelayanan Perizinan") == ["layan", "izin"]
    assert a.terms("meningkatkan") == ["tingkat"]
    assert a.terms("Café") == a.terms("cafe")


def test_stop_words_removed():
    assert "yang" not in get_analyzer().terms("layanan yang cepat dan mudah")


def test_lexicon_joins_abbreviation_and_expansion():
    a = get_analyzer()
    assert "ktp" in a.terms("perekaman kartu tanda penduduk elektronik")
    assert "ktp" in a.terms("e-KTP")
    assert "adminduk" in a.terms("layanan administrasi kependudukan")
    assert a.terms("ijin usaha") == a.terms("izin usaha")


def test_lexicon_parsing_and_errors():
    lex = Lexicon.parse("# comment\nfoo, foo bar\nbaz => qux\n")
    tokens, concepts = lex.apply(["foo", "bar", "baz"])
    assert tokens == ["foo", "bar", "qux"] and concepts == {"foo"}
    try:
        Lexicon.parse("two words, x\n")
    except ValueError as exc:
        assert "line 1" in str(exc)
    else:
        raise AssertionError("a multi-word canonical form must be refused")


def test_spell_out_expands_acronyms_for_the_embedder():
    a = get_analyzer()
    assert a.spell_out("penanganan ATS di desa") == "penanganan ATS (anak tidak sekolah) di desa"
    assert a.spell_out("antrean KTP") == "antrean KTP (kartu tanda penduduk)"
    # already spelled out, or not an acronym: unchanged
    assert a.spell_out("KTP kartu tanda penduduk") == "KTP kartu tanda penduduk"
    assert a.spell_out("stunting balita") == "stunting balita"


def test_everyday_words_expand_to_official_terms_one_way():
    from search_api.analysis import get_analyzer

    analyzer = get_analyzer()
    added = analyzer.expansion_terms("anak pendek di desa kami")
    assert "stunting" in added and not set(added) & set(analyzer.terms("anak pendek di desa kami"))
    assert analyzer.expansion_terms("stunting") == []  # official words gain nothing: one way
    assert "stunting" not in analyzer.terms("anak pendek")  # documents are never expanded
