"""Every audit action the code records has a human name in the audit log."""

import re
from pathlib import Path

from accounts.audit import ACTION_LABELS

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "accounts",
    "admin_portal",
    "api",
    "billing",
    "groups",
    "org_settings",
    "reports",
    "scim",
    "security_info",
    "setup",
    "users",
]


def test_every_recorded_action_has_a_label():
    recorded = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            recorded |= set(re.findall(r'action="([a-z_.]+)"', path.read_text()))
    # What management commands hand argparse is no audit action.
    recorded -= {"store", "store_const", "store_true", "store_false", "append", "count"}
    # Built with f-strings.
    dynamic = {"operator.add", "operator.change", "operator.delete"} | {
        f"group.{role}.{verb}" for role in ("member", "owner") for verb in ("add", "remove")
    }
    assert recorded, "no audit actions found: the scan is broken"
    assert sorted(recorded - set(ACTION_LABELS)) == []
    assert dynamic <= set(ACTION_LABELS)
