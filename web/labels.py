"""Bahasa Indonesia labels for stored (English or code) values."""
from __future__ import annotations

AGENCY_LEVELS = {"kementerian": "Kementerian", "lembaga": "Lembaga", "provinsi": "Pemerintah provinsi",
                 "kabupaten": "Pemerintah kabupaten", "kota": "Pemerintah kota", "bumn": "BUMN", "bumd": "BUMD",
                 "other": "Lainnya"}
MODES = {"hybrid": "Hibrid", "keyword": "Kata kunci", "semantic": "Semantik"}
SORTS = {"relevance": "Relevansi", "newest": "Terbaru", "oldest": "Terlama"}
_BOOLEANS = {"is_digital": {"true": "Digital", "false": "Non-digital"},
             "replicated": {"true": "Sudah direplikasi", "false": "Belum direplikasi"}}


def value_label(facet: str, value) -> str:
    value = str(value)
    if facet in _BOOLEANS:
        return _BOOLEANS[facet].get(value, value)
    if facet == "agency_level":
        return AGENCY_LEVELS.get(value, value)
    if facet == "programme" and value == "other":
        return "Lainnya"
    if facet == "sdg":
        return f"SDG {value}"
    if facet == "stage":
        return value[:1].upper() + value[1:]
    return value
