"""Property-based API tests from the OpenAPI schema: schemathesis generates requests, valid
and invalid (enum values included, so they reach the search code), against the real server on
the sample; it must find no server error and no response off the documented status codes and
schemas (issue 9.11). Bounded: a fixed number of examples per operation, a fixed seed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import serve_app

EXAMPLES = int(os.environ.get("JIPPNAS_SCHEMATHESIS_EXAMPLES", "30"))


def test_api_conforms_to_its_schema(sample, tmp_path):
    cli = Path(sys.executable).parent / "schemathesis"  # installed with the test extra, beside python
    config = Path(__file__).with_name("schemathesis.toml")
    with serve_app(sample.settings) as url:
        run = subprocess.run(
            [str(cli), "--config-file", str(config), "run", f"{url}/openapi.json", "--checks", "all", "--max-examples", str(EXAMPLES),
             "--seed", "1", "--workers", "1", "--phases", "examples,coverage,fuzzing", "--no-color"],
            capture_output=True, text=True, timeout=900, cwd=tmp_path)
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
