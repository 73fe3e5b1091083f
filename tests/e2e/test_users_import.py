"""End to end in Chromium: a CSV with mistakes is reported row by row, the fixed file goes in."""

import csv

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import GLOBAL_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user
from users.csv_import import TEMPLATE_HEADER

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def write_csv(path, rows):
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file, delimiter=";")  # as Dutch Excel saves it
        writer.writerow(TEMPLATE_HEADER)
        for row in rows:
            writer.writerow([row.get(column, "") for column in TEMPLATE_HEADER])
    return path


def test_admin_fixes_a_file_from_the_error_report_then_adds_the_users(
    page, live_server, sign_in, shot, tmp_path
):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    rows = [
        {"User Name": "alex@contoso.example", "Display Name": "Alex Wilber"},
        {"User Name": "diego@fabrikam.example", "Display Name": "Diego Siciliani"},
        {"User Name": "grady@contoso.example", "Display Name": ""},
    ]
    sign_in("admin@contoso.example", PASSWORD)
    page.goto(f"{live_server.url}/users/")
    page.get_by_role("link", name="Add users from a file").click()
    page.get_by_label("CSV file").set_input_files(str(write_csv(tmp_path / "bad.csv", rows)))
    page.get_by_role("button", name="Check the file").click()
    report = page.get_by_test_id("import-errors")
    expect(report).to_contain_text("2 problems to fix")
    expect(report.locator("tbody tr")).to_have_count(2)
    shot("users-import-errors")
    assert User.objects.count() == 1

    rows[1]["User Name"] = "diego@contoso.example"
    rows[2]["Display Name"] = "Grady Archie"
    page.goto(f"{live_server.url}/users/import/")
    page.get_by_label("CSV file").set_input_files(str(write_csv(tmp_path / "good.csv", rows)))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_test_id("import-checked")).to_contain_text("3 users are ready to add")
    page.get_by_role("button", name="Add 3 users").click()
    expect(page.get_by_text("3 users were added.")).to_be_visible()
    expect(page.get_by_test_id("import-progress")).to_contain_text("3 of 3 passwords set")
    shot("users-import-done")
    with page.expect_download() as download:
        page.get_by_test_id("download-results").click()
    lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "User Name,Display Name,Password" and len(lines) == 4
    assert set(User.objects.values_list("display_name", flat=True)) >= {
        "Alex Wilber",
        "Diego Siciliani",
        "Grady Archie",
    }
