"""Settings > Domains and Org profile: verification through real DNS lookups, guards, roles."""

import io

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent, Domain, Tenant
from accounts.roles import GLOBAL_READER, HELPDESK_ADMIN, USER_ADMIN
from org_settings import services
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sidebar, sign_in

pytestmark = pytest.mark.django_db


def add(client, name):
    response = client.post("/settings/domains/", {"name": name})
    return Domain.objects.filter(name=name.lower()).first(), response


def test_add_then_verify_with_the_published_record(client, tenant, admin, dns_server):
    sign_in(client, admin)
    domain, response = add(client, "Contoso.COM")
    assert domain.name == "contoso.com" and not domain.is_verified
    assert response.url == f"/settings/domains/{domain.pk}/"
    page = client.get(response.url).content.decode()
    record = services.domain_record(domain)
    assert record in page and record.startswith("portal-verify=")
    dns_server.records["contoso.com"] = ["v=spf1 -all", record]
    client.post(f"{response.url}verify/")
    domain.refresh_from_db()
    assert domain.is_verified and domain.verified_at and domain.checked_at
    assert AuditEvent.objects.filter(action="domain.verify").exists()


@pytest.mark.parametrize(
    ("published", "silent", "message"),
    [
        (None, False, "No portal-verify TXT record was found"),
        (["portal-verify=someone-else"], False, "has a portal-verify record, but not this one"),
        (None, True, "did not answer in time"),
    ],
)
def test_verification_failures_are_explained(
    client, tenant, admin, dns_server, published, silent, message
):
    sign_in(client, admin)
    domain, response = add(client, "fabrikam.example")
    if published:
        dns_server.records["fabrikam.example"] = published
    if silent:
        dns_server.silent.add("fabrikam.example")
    client.post(f"{response.url}verify/")
    assert message in client.get(response.url).content.decode()
    assert not Domain.objects.get(pk=domain.pk).is_verified


def test_bad_or_taken_names_are_refused(client, tenant, admin):
    sign_in(client, admin)
    assert "not a valid domain name" in add(client, "no-dot")[1].content.decode()
    taken = make_tenant().domain_set.get().name
    assert "already exists" in add(client, taken)[1].content.decode()


def test_a_verified_domain_becomes_the_default_and_is_offered_in_forms(
    client, tenant, admin, dns_server
):
    sign_in(client, admin)
    domain, response = add(client, "contoso.com")
    dns_server.records["contoso.com"] = [services.domain_record(domain)]
    client.post(f"{response.url}verify/")
    client.post(f"{response.url}default/")
    assert Domain.objects.get(is_default=True, tenant=tenant) == domain
    assert "contoso.com" in client.get("/users/add/").content.decode()


def test_unverified_domains_cannot_be_default(client, tenant, admin):
    sign_in(client, admin)
    _domain, response = add(client, "contoso.com")
    client.post(f"{response.url}default/")
    assert "Verify the domain before" in client.get(response.url).content.decode()


def test_a_domain_in_use_cannot_be_removed(client, tenant, admin, dns_server):
    sign_in(client, admin)
    domain, response = add(client, "contoso.com")
    dns_server.records["contoso.com"] = [services.domain_record(domain)]
    client.post(f"{response.url}verify/")
    from accounts.models import User

    User.objects.create_user(
        username="pat@contoso.com", tenant=tenant, display_name="Pat", password="Long-Password-123"
    )
    client.post(f"{response.url}remove/")
    assert "in use by 1 users and 0 groups" in client.get(response.url).content.decode()
    User.objects.filter(username="pat@contoso.com").delete()
    client.post(f"{response.url}remove/")
    assert not Domain.objects.filter(pk=domain.pk).exists()


def test_the_initial_domain_cannot_be_removed(client, tenant, admin):
    initial = tenant.domain_set.get()
    sign_in(client, admin)
    client.post(f"/settings/domains/{initial.pk}/remove/")
    assert Domain.objects.filter(pk=initial.pk).exists()


def test_recheck_flags_a_domain_whose_record_disappeared(tenant, admin, dns_server):
    domain = services.domain_add(tenant=tenant, acting_user=admin, name="contoso.com")
    dns_server.records["contoso.com"] = [services.domain_record(domain)]
    services.domain_verify(tenant=tenant, acting_user=admin, domain=domain)
    out = io.StringIO()
    call_command("recheck_domains", stdout=out)
    assert "0 domain(s)" in out.getvalue()
    del dns_server.records["contoso.com"]
    call_command("recheck_domains", stdout=out)
    domain.refresh_from_db()
    assert domain.record_missing and domain.is_verified
    assert AuditEvent.objects.filter(action="domain.record_missing").count() == 1


@pytest.mark.parametrize("role", [GLOBAL_READER])
def test_readers_see_domains_but_change_nothing(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert client.get("/settings/domains/").status_code == 200
    assert_forbidden(client.post("/settings/domains/", {"name": "x.example"}))
    initial = tenant.domain_set.get()
    assert_forbidden(client.post(f"/settings/domains/{initial.pk}/verify/"))


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, USER_ADMIN])
def test_other_roles_get_403(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(client.get("/settings/domains/"))
    assert_forbidden(client.get("/settings/profile/"))


def test_another_tenants_domain_is_404(client, tenant, admin):
    foreign = make_tenant().domain_set.get()
    sign_in(client, admin)
    assert_not_found(client.get(f"/settings/domains/{foreign.pk}/"))
    assert_not_found(client.post(f"/settings/domains/{foreign.pk}/remove/"))


def test_org_profile_changes_and_the_country_stays(client, tenant, admin):
    sign_in(client, admin)
    page = client.get("/settings/profile/").content.decode()
    assert 'data-testid="country"' in page and 'name="country"' not in page
    client.post(
        "/settings/profile/",
        {
            "name": "Contoso Ltd",
            "address": "Main 1",
            "phone": "+31 30 123 4567",
            "technical_contact_email": "it@contoso.example",
            "preferred_language": "nl",
            "time_zone": "UTC",
            "country": "DE",
        },
    )
    fresh = Tenant.objects.get(pk=tenant.pk)
    assert (fresh.name, fresh.preferred_language, fresh.country.code) == (
        "Contoso Ltd",
        "nl",
        tenant.country.code,
    )
    event = AuditEvent.objects.get(action="tenant.profile.change")
    assert event.new_values["name"] == "Contoso Ltd"
    assert "/settings/profile/" in sidebar(client.get("/"))


def test_org_profile_bad_input(client, tenant, admin):
    sign_in(client, admin)
    response = client.post(
        "/settings/profile/",
        {"name": "", "technical_contact_email": "not-an-email", "preferred_language": "xx"},
    )
    page = response.content.decode()
    assert "This field is required." in page and "Enter a valid email address." in page
    assert Tenant.objects.get(pk=tenant.pk).name == tenant.name


def test_reader_cannot_change_the_profile(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    assert 'data-testid="read-only"' in client.get("/settings/profile/").content.decode()
    assert_forbidden(client.post("/settings/profile/", {"name": "X"}))
