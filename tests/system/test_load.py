"""The load benchmark, short: two nodes, a few admins, no 5xx and no acknowledged write lost,
then a short framing of the limit (baseline view, portal pages, sign-in, raw Argon2)."""

import re

import pytest

from bench import load
from bench.cluster import services_up

pytestmark = pytest.mark.system


def test_a_short_mixed_load_on_two_nodes_loses_nothing_and_frames_the_limit(capsys):
    if not services_up():
        pytest.skip("needs this machine's PostgreSQL (5432) and Redis (6379)")
    code = load.main(
        [
            *("--clients", "6", "--seconds", "8", "--users", "200", "--threads", "2"),
            *("--frame-seconds", "2"),
        ]
    )
    report = capsys.readouterr().out
    assert code == 0, report
    assert "answers 4xx/5xx: none" in report
    written = int(report.split("acknowledged writes: ")[1].split(",")[0])
    assert written > 0, report
    assert "lost: 0" in report
    # The framing figures are printed and positive; their size is not asserted
    # (a shared machine is too noisy for timed assertions).
    framing = report.split("Framing:")[1]
    for subject in ("baseline", "users list", "user page", "sign in", "raw Argon2"):
        rate = re.search(rf"^{subject} +([\d.]+)", framing, re.MULTILINE)
        assert rate and float(rate.group(1)) > 0, report
    for ratio in ("users list / baseline", "user page / baseline", "sign in / raw Argon2"):
        value = re.search(rf"^{re.escape(ratio)}: +([\d.]+)x", framing, re.MULTILINE)
        assert value and float(value.group(1)) > 0, report
    assert "framing answers 4xx/5xx: none" in report
