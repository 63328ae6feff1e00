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
    assert set(out) == {"keyword"} and set(out["keyword"]) == {"ndcg@10", "mrr@10", "recall@20", "queries"}
