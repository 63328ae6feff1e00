"""Statistics of a result set, checked against counts made by hand from the sample's documents
(every published innovation fetched and counted in Python, not by an engine)."""
from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from search_api import statistics
from search_api.engines.base import ALL
from search_api.facets import FACETS_BY_NAME, MISSING
from search_api.query import QueryError, SearchRequest


def parse(**params) -> SearchRequest:
    return SearchRequest.parse({k: v if isinstance(v, list) else [str(v)] for k, v in params.items()})


@pytest.fixture(scope="module")
def documents(sample):
    ids = sample.engine.ordered(ALL, SearchRequest().filters, True, 0, 1000).ids
    docs = sample.engine.fetch(ids)
    assert len(docs) == 202
    return list(docs.values())


def by_hand(docs, facet: str) -> Counter:
    counts: Counter = Counter()
    for doc in docs:
        counts.update(doc.facet_values()[facet])
    return counts


def test_the_numbers_of_the_issue(sample):
    """26 innovations without a year and 17 without a province are counted, 2013 has a zero
    bar, and the year bars add up to the 202 innovations (each has at most one year here)."""
    counted = sample.service.stats(SearchRequest())
    table = statistics.facet_table(counted, SearchRequest().filters)
    years = dict(table["year"])
    assert counted["total"] == 202
    assert years[MISSING] == 26 and years["2013"] == 0 and years["2012"] == 1 and years["2021"] == 29
    assert sum(years.values()) == 202
    assert list(years)[-1] == MISSING and list(years)[:3] == ["2012", "2013", "2014"]
    provinces = dict(table["province"])
    assert provinces[MISSING] == 17 and sum(provinces.values()) == 202
    assert {"Maluku", "Maluku Utara", "Papua", "Sulawesi Utara"} <= set(provinces)


@pytest.mark.parametrize("params", [{}, {"programme": "KIPP"}, {"province": ["Jawa Timur", "Jawa Tengah"]},
                                    {"year_from": "2018", "year_to": "2021", "is_digital": "true"}])
def test_every_facet_matches_a_count_by_hand(sample, documents, params):
    req = parse(**params)
    counted = sample.service.stats(req)
    in_set = [d for d in documents if _passes(d, req)]
    assert counted["total"] == len(in_set) == sample.service.search(req)["total"]
    for name in FACETS_BY_NAME:
        got = {v: n for v, n in counted["facets"][name]}
        assert got == dict(by_hand(in_set, name)), name


def test_the_set_is_the_search_pages_set_for_a_query(sample):
    for mode in ("keyword", "hybrid", "semantic"):
        req = parse(q="sampah pasar", mode=mode, agency_level="kabupaten")
        found = sample.service.search(req)
        counted = sample.service.stats(req, ("year", "sector"))
        assert counted["total"] == found["total"]
        assert dict(counted["facets"]["programme"]) == {v["value"]: v["count"]
                                                       for v in found["facets"]["programme"]["values"]}


def test_cross_tab_matches_a_count_by_hand(sample, documents):
    req = parse(programme=["KIPP", "IGA"])
    counted = sample.service.stats(req, ("year", "province"))
    tab = statistics.cross_tab(counted, req.filters, "year", "province")
    in_set = [d for d in documents if _passes(d, req)]
    expected: Counter = Counter()
    for doc in in_set:
        values = doc.facet_values()
        expected.update((y, p) for y in values["year"] for p in values["province"])
    for i, year in enumerate(tab.row_values):
        for j, province in enumerate(tab.column_values):
            assert tab.cells[i][j] == expected[(year, province)], (year, province)
    assert tab.total == len(in_set)
    assert tab.row_totals == [by_hand(in_set, "year")[y] for y in tab.row_values]
    assert tab.column_totals == [by_hand(in_set, "province")[p] for p in tab.column_values]
    assert MISSING in tab.row_values and MISSING in tab.column_values
    # empty years between the first and the last are rows of zeros
    numbers = [int(y) for y in tab.row_values if y != MISSING]
    assert numbers == list(range(min(numbers), max(numbers) + 1))


def test_a_year_range_lists_every_year_of_it(sample):
    req = parse(year_from="2010", year_to="2014")
    years = dict(statistics.facet_table(sample.service.stats(req), req.filters)["year"])
    assert list(years) == ["2010", "2011", "2012", "2013", "2014"]
    assert years["2010"] == years["2011"] == years["2013"] == 0 and years["2014"] == 5


def test_missing_values_can_be_searched(sample, documents):
    without_year = sample.service.search(parse(year=MISSING, size=50))
    assert without_year["total"] == 26
    assert all(h["year"] is None for h in without_year["hits"])


def test_by_names_two_facets():
    assert statistics.parse_by("year,province") == ("year", "province")
    assert statistics.parse_by(None) is None
    assert statistics.parse_by("year,year") == ("year", "year")  # a diagonal, but a table all the same
    for bad in ("year", "year,sector,sdg", "year,colour"):
        with pytest.raises(QueryError) as err:
            statistics.parse_by(bad)
        assert err.value.param == "by"


def test_stats_api_and_csv(api_client):
    body = api_client.get("/api/v1/stats", params={"programme": "KIPP", "by": "year,province"}).json()
    assert body["total"] == 109
    assert {v["value"]: v["count"] for v in body["programme"]} == {"KIPP": 109}
    tab = body["crosstab"]
    assert tab["rows"] == "year" and tab["total"] == 109 and len(tab["cells"]) == len(tab["row_values"])
    assert sum(tab["row_totals"]) == 109  # KIPP entries have one year each
    bad = api_client.get("/api/v1/stats", params={"by": "year,colour"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["parameter"] == "by"
    assert "by" in {p["name"] for p in api_client.get("/openapi.json").json()["paths"]["/api/v1/stats"]["get"]
                    ["parameters"]}

    r = api_client.get("/statistik.csv", params={"q": "sampah", "mode": "keyword", "facet": "province"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="jippnas-statistik-province-sampah-' in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0] == ["Provinsi", "Jumlah inovasi"]
    total = api_client.get("/api/v1/search", params={"q": "sampah", "mode": "keyword"}).json()["total"]
    assert sum(int(n) for _, n in rows[1:]) == total
    table = list(csv.reader(io.StringIO(api_client.get("/statistik.csv", params={"by": "year,programme",
                                                                                 "lang": "en"}).text.lstrip("\ufeff"))))
    assert table[0][0] == "Year \\ Programme" and table[0][-1] == "Total"
    assert table[-1][0] == "Total" and table[-1][-1] == "202"
    assert any(row[0] == "Unknown" for row in table)  # "-" is labelled, never a bare (or formula) cell


def _passes(doc, req: SearchRequest) -> bool:
    values = doc.facet_values()
    for name, chosen in req.filters.values.items():
        if not set(chosen) & set(values[name]):
            return False
    years = doc.years
    f = req.filters
    if f.year_from is not None or f.year_to is not None:
        low, high = f.year_from or 0, f.year_to or 9999
        if not any(low <= y <= high for y in years):
            return False
    return True
