"""End to end in Chromium: the audit log in the organization's zone, in both languages."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN
from tests.factories import PASSWORD, make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.tenant(name="Contoso", domain="contoso.example", time_zone="Europe/Amsterdam"),
]


@pytest.fixture(autouse=True)
def _events_in_winter_and_summer(tenant):
    for moment, action in [
        (datetime(2026, 12, 3, 16, 22, 8, tzinfo=UTC), "role.assign"),
        (datetime(2026, 7, 14, 9, 5, 31, tzinfo=UTC), "user.create"),
    ]:
        AuditEvent.objects.create(
            tenant=tenant,
            action=action,
            actor_label="admin@contoso.example",
            target_label="Anna de Vries",
            created_at=moment,
        )


@pytest.mark.parametrize(
    ("language", "heading", "winter", "summer"),
    [
        ("en", "Time (Europe/Amsterdam)", "3 Dec 2026, 17:22:08 CET", "14 Jul 2026, 11:05:31 CEST"),
        ("nl", "Tijd (Europe/Amsterdam)", "3 dec 2026, 17:22:08 CET", "14 jul 2026, 11:05:31 CEST"),
    ],
)
def test_audit_log_times_in_the_organizations_zone(
    page, live_server, sign_in, shot, tenant, language, heading, winter, summer
):
    make_user(tenant, "admin", roles=[GLOBAL_ADMIN], preferred_language=language)
    sign_in("admin@contoso.example", PASSWORD)
    page.goto(f"{live_server.url}/audit/")
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name=heading)).to_be_visible()
    expect(table.get_by_role("link", name=winter)).to_be_visible()
    expect(table.get_by_role("link", name=summer)).to_be_visible()
    shot(f"audit-log-{language}")


def test_global_admin_picks_another_zone_and_the_times_follow(
    page, live_server, sign_in, shot, tenant
):
    make_user(tenant, "admin", roles=[GLOBAL_ADMIN], preferred_language="en")
    sign_in("admin@contoso.example", PASSWORD)
    page.goto(f"{live_server.url}/settings/profile/")
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    shot("org-profile-time-zone")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The profile was saved.")).to_be_visible()
    page.goto(f"{live_server.url}/audit/")
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Time (Asia/Tokyo)")).to_be_visible()
    expect(table.get_by_role("link", name="4 Dec 2026, 01:22:08 JST")).to_be_visible()
