"""The load benchmark, short: two nodes, a few admins, no 5xx and no acknowledged write lost."""

import pytest

from bench import load
from bench.cluster import services_up

pytestmark = pytest.mark.system


def test_a_short_mixed_load_on_two_nodes_loses_nothing(capsys):
    if not services_up():
        pytest.skip("needs this machine's PostgreSQL (5432) and Redis (6379)")
    code = load.main(["--clients", "6", "--seconds", "8", "--users", "200", "--threads", "2"])
    report = capsys.readouterr().out
    assert code == 0, report
    assert "answers 4xx/5xx: none" in report
    written = int(report.split("acknowledged writes: ")[1].split(",")[0])
    assert written > 0, report
    assert "lost: 0" in report
