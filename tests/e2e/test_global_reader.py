"""End to end in Chromium: a Global reader reads Resources and Support and can change nothing."""

import pytest
from playwright.sync_api import expect

from accounts.roles import GLOBAL_READER
from resources.models import Resource
from support.models import RequestMessage, ServiceRequest
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_global_reader_reads_resources_and_support_and_changes_nothing(
    page, live_server, sign_in, shot
):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "priya", roles=[GLOBAL_READER], display_name="Priya Shah")
    Resource.objects.create(
        tenant=tenant, kind="room", name="Boardroom", email="boardroom@contoso.example", capacity=14
    )
    service_request = ServiceRequest.objects.create(
        tenant=tenant,
        title="Mail is slow",
        description="Since 9:00 mail takes minutes.",
        severity="high",
        contact_email="it@contoso.example",
    )
    RequestMessage.objects.create(
        request=service_request, from_support=True, body="We rerouted the mail."
    )
    sign_in("priya@contoso.example", PASSWORD)

    page.get_by_role("link", name="Resources").click()
    expect(page.get_by_test_id("resource-table")).to_contain_text("Boardroom")
    expect(page.get_by_role("link", name="Add a resource")).to_have_count(0)
    page.get_by_role("link", name="Boardroom").click()
    expect(page.get_by_text("You can read this resource.")).to_be_visible()
    expect(page.get_by_label("Name")).to_be_disabled()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    shot("global-reader-resource")

    page.get_by_role("link", name="Support").click()
    expect(page.get_by_role("link", name="New service request")).to_have_count(0)
    page.get_by_role("link", name="Mail is slow").click()
    expect(page.get_by_test_id("thread")).to_contain_text("We rerouted the mail.")
    expect(page.get_by_label("Your message")).to_have_count(0)
    expect(page.get_by_role("button", name="Close the request")).to_have_count(0)
    shot("global-reader-support-request")
