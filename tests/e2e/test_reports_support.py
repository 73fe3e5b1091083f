"""End to end in Chromium: open each report; create a support request and read the answer."""

import pytest
from playwright.sync_api import expect

from support.models import RequestMessage, ServiceRequest
from support.services import support_answered
from tests.factories import PASSWORD
from tests.helpers import make_alt_email

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.tenant(name="Contoso", domain="contoso.example"),
]


@pytest.fixture(autouse=True)
def _contact_address(admin):
    # An alternate email is no sign-in factor: it only fills in the contact address.
    make_alt_email(admin, "megan@example.org")


def test_admin_opens_each_report(page, live_server, sign_in, shot, admin):
    sign_in(admin.username, PASSWORD)
    page.get_by_role("link", name="Reports").click()
    for title in ["Active users", "License usage", "Security info registration", "Groups"]:
        page.get_by_test_id("report-list").get_by_role("link", name=title).click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        expect(page.get_by_test_id("report-chart").locator("svg")).to_be_visible()
        shot(f"report-{title.lower().replace(' ', '-')}")
        page.get_by_role("link", name="All reports").click()


def test_admin_opens_a_support_request_and_reads_the_answer(
    page, live_server, sign_in, shot, admin
):
    sign_in(admin.username, PASSWORD)
    page.get_by_role("link", name="Support").click()
    page.get_by_role("link", name="New service request").click()
    expect(page.get_by_label("Contact email")).to_have_value("megan@example.org")
    page.get_by_label("Title").fill("Mail is slow")
    page.get_by_label("Description").fill("Since 9:00 mail takes minutes to arrive.")
    page.get_by_label("High: people can't work").check()
    page.get_by_role("button", name="Send to support").click()
    expect(page.get_by_text("Your request was sent to support.")).to_be_visible()

    service_request = ServiceRequest.objects.get()
    message = RequestMessage.objects.create(
        request=service_request, from_support=True, body="We rerouted the mail; please check again."
    )
    support_answered(message)
    page.reload()
    expect(page.get_by_test_id("thread")).to_contain_text("We rerouted the mail")
    page.get_by_label("Your message").fill("It works again, thank you.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_test_id("thread")).to_contain_text("It works again")
    shot("support-thread")
