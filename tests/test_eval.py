"""Relevance metrics and the judged dev set."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from search_api.evaluation import evaluate, load_judgments, metrics_for

JUDGMENTS = Path(__file__).parent / "relevance" / "dev_judgments.jsonl"


def test_metrics_by_hand():
    m = metrics_for(["a", "x", "b"], {"a": 2, "b": 1, "c": 1})
    ideal = 2 + 1 / math.log2(3) + 1 / math.log2(4)
    assert m["ndcg@10"] == pytest.approx((2 + 1 / math.log2(4)) / ideal)
    assert m["mrr@10"] == 1.0 and m["recall@20"] == pytest.approx(2 / 3)
    assert metrics_for(["x", "y"], {"a": 2}) == {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@20": 0.0}


def test_judgments_are_valid_and_point_at_real_records(sample):
    judgments = load_judgments(JUDGMENTS)
    assert len(judgments) >= 60
    ids = {r.id for _, group in sample.catalog.published() for r in group}
    for item in judgments:
        assert set(item["relevant"]) <= ids, item["query"]
        assert 2 in item["relevant"].values(), item["query"]


def test_bad_judgments_line_names_the_line(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"query": "a", "relevant": {"x": 2}}\nnot json\n')
    with pytest.raises(ValueError, match="line 2"):
        load_judgments(path)


def test_hybrid_quality_on_the_dev_set(sample):
    """A regression guard, well below the measured values (see the README)."""
    results = evaluate(sample.service, load_judgments(JUDGMENTS), ["hybrid", "keyword", "semantic"])
    assert results["hybrid"]["ndcg@10"] >= 0.80
    assert results["hybrid"]["ndcg@10"] >= results["semantic"]["ndcg@10"]
    assert all(r["queries"] == len(load_judgments(JUDGMENTS)) for r in results.values())


def test_cli_eval_json(sample, capsys, monkeypatch):
    from jippnas import cli

    monkeypatch.setattr(cli, "get_settings", lambda: sample.settings)
    assert cli.main(["eval", str(JUDGMENTS), "--mode", "keyword", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"keyword"}
    assert set(out["keyword"]) == {"ndcg@10", "mrr@10", "recall@20", "queries", "unjudged", "by_kind"}
    assert sum(k["queries"] for k in out["keyword"]["by_kind"].values()) == out["keyword"]["queries"] == 85


def test_cli_eval_on_an_empty_index_says_so(tmp_path, capsys, monkeypatch):
    """Every metric would be 0.0000 with nothing indexed: an error naming the cause instead."""
    from jippnas import cli
    from tests.conftest import make_settings

    monkeypatch.setattr(cli, "get_settings", lambda: make_settings(tmp_path / "data"))
    assert cli.main(["eval", str(JUDGMENTS), "--mode", "keyword"]) == 2
    captured = capsys.readouterr()
    assert "is empty" in captured.err and "jippnas index" in captured.err and captured.out == ""


def test_paired_randomisation_test():
    from search_api.evaluation import paired_randomisation

    same = [0.5, 0.6, 0.7, 0.8] * 10
    assert paired_randomisation(same, same) == 1.0
    better = [x + 0.1 for x in same]
    assert paired_randomisation(same, better) < 0.001  # every query better by the same amount
    noisy = [x + (0.1 if i % 2 else -0.1) for i, x in enumerate(same)]
    assert paired_randomisation(same, noisy) > 0.5  # up and down by the same amounts: no evidence


def test_cli_eval_save_split_and_compare(sample, capsys, monkeypatch, tmp_path):
    from jippnas import cli

    everyday = JUDGMENTS.parent / "everyday_judgments.jsonl"
    monkeypatch.setattr(cli, "get_settings", lambda: sample.settings)
    kw, sem = tmp_path / "kw.json", tmp_path / "sem.json"
    assert cli.main(["eval", str(everyday), "--mode", "hybrid", "--split", "dev", "--save", str(kw)]) == 0
    saved = json.loads(kw.read_text())
    holdout = [j for j in load_judgments(everyday) if j["split"] == "holdout"]
    assert {r["query"] for r in saved["hybrid"]["per_query"]}.isdisjoint({j["query"] for j in holdout})
    assert saved["hybrid"]["queries"] + saved["hybrid"]["unjudged"] == len(load_judgments(everyday, "dev"))
    sem.write_text(json.dumps({"hybrid": {**saved["hybrid"], "per_query": [
        {**r, "ndcg@10": 0.0} for r in saved["hybrid"]["per_query"]]}}))
    capsys.readouterr()
    assert cli.main(["eval", "--compare", str(kw), str(sem)]) == 0
    lines = capsys.readouterr().out.splitlines()
    overall = next(line.split() for line in lines if line.split()[:2] == ["hybrid", "all"])
    assert float(overall[5]) == -float(overall[3]) and float(overall[6]) < 0.01
