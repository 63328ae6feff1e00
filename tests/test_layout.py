"""Dependencies flow one way: web → search_api → catalog, indexer → {search_api, catalog};
the catalog imports nothing of ours; nothing imports web."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_packages(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_dependencies_point_one_way():
    assert not imported_packages("catalog") & {"search_api", "indexer", "web", "jippnas"}
    assert not imported_packages("search_api") & {"indexer", "web", "jippnas"}
    assert not imported_packages("indexer") & {"web", "jippnas"}
    assert not imported_packages("web") & {"indexer", "jippnas"}
