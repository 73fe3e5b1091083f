"""The load benchmark, short: two nodes, a few admins, no 5xx and no acknowledged write lost,
then a short framing of the limit (baseline view, portal pages, sign-in, raw Argon2).

The run is fixed by count, not by time: each client sends the same seeded requests
in every run (``--seed``, ``--requests-per-client``; ``--seconds`` only guards against
a hang), so what is asserted does not depend on the machine's speed. The rates and
the framing are printed for a reader; their size is judged by ``make load``, never
here (a shared machine may be too busy to finish a sign-in inside a framing window).
"""

import re

import pytest

from bench import load
from bench.cluster import PATIENCE_SECONDS, services_up

pytestmark = pytest.mark.system

NUMBER = r"\d+(?:\.\d+)?"


def test_a_short_mixed_load_on_two_nodes_loses_nothing_and_frames_the_limit(capsys):
    if not services_up():
        pytest.skip("needs this machine's PostgreSQL (5432) and Redis (6379)")
    code = load.main(
        [
            *("--clients", "6", "--users", "200", "--threads", "2"),
            *("--seed", "17", "--requests-per-client", "25", "--seconds", str(PATIENCE_SECONDS)),
            *("--frame-seconds", "2"),
        ]
    )
    report = capsys.readouterr().out
    print(report)  # the figures, for whoever reads the log
    assert code == 0, report
    assert "answers 4xx/5xx: none" in report
    # The seeded requests include edits and license assignments: all acknowledged, none lost.
    written = int(re.search(r"acknowledged writes: (\d+), lost: 0$", report, re.M).group(1))
    assert written > 0, report

    framing = report.split("Framing:")[1]
    for subject in ("baseline", "users list", "user page", "sign in", "raw Argon2"):
        assert re.search(rf"^{subject} +{NUMBER}", framing, re.MULTILINE), report
    for ratio in ("users list / baseline", "user page / baseline", "sign in / raw Argon2"):
        assert re.search(rf"^{re.escape(ratio)}: +{NUMBER}x", framing, re.MULTILINE), report
    assert "framing answers 4xx/5xx: none" in report
