"""bench/profile_request.py: a throwaway database, a signed-in admin, a breakdown per page."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"\d+\.\d+"


def test_the_profile_breaks_each_page_down_by_part():
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "profile_request.py"),
            *("--database", "sqlite", "--users", "20", "--requests", "2"),
            *("--path", "/users/", "--path", "/audit/"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = done.stdout
    for page in ("bare view", "/users/", "/audit/"):
        # The ratio against the bare view, and the queries of a request.
        assert re.search(rf"^{re.escape(page)} +{NUMBER} +{NUMBER}x", report, re.M), report
        row = re.search(rf"^{re.escape(page)} +((?:{NUMBER} \( *\d+%\) *){{8}})$", report, re.M)
        assert row, report
        percents = [int(p) for p in re.findall(r"\( *(\d+)%\)", row.group(1))]
        assert 96 <= sum(percents) <= 104, row.group(0)  # every moment counted once
    assert "CPU ms per request by part" in report
