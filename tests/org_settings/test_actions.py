"""A URL and a view per change on Settings: domain actions and release preferences."""

import pytest

from accounts.models import AuditEvent, Domain, User
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, USER_ADMIN
from core.exceptions import Forbidden
from org_settings import services
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sign_in

pytestmark = pytest.mark.django_db

ACTIONS = ["verify", "default", "remove"]


@pytest.fixture
def verified(tenant, admin, dns_server):
    domain = services.domain_add(tenant=tenant, acting_user=admin, name="contoso.com")
    dns_server.records["contoso.com"] = [services.domain_record(domain)]
    services.domain_verify(tenant=tenant, acting_user=admin, domain=domain)
    return domain


def domain_state(domain):
    return Domain.objects.filter(pk=domain.pk).values("is_verified", "is_default").first()


def test_the_domain_page_posts_each_action_to_its_own_url(client, admin, verified):
    sign_in(client, admin)
    page = client.get(f"/settings/domains/{verified.pk}/").content.decode()
    for action in ACTIONS:
        assert f'action="/settings/domains/{verified.pk}/{action}/"' in page
    assert 'name="action"' not in page


def test_verify_marks_the_domain_verified(client, tenant, admin, dns_server):
    domain = services.domain_add(tenant=tenant, acting_user=admin, name="fabrikam.example")
    dns_server.records["fabrikam.example"] = [services.domain_record(domain)]
    sign_in(client, admin)
    response = client.post(f"/settings/domains/{domain.pk}/verify/")
    assert response.url == f"/settings/domains/{domain.pk}/"
    assert Domain.objects.get(pk=domain.pk).is_verified
    assert "fabrikam.example is verified." in client.get(response.url).content.decode()


def test_make_default_then_remove_the_old_default(client, tenant, admin, verified):
    sign_in(client, admin)
    client.post(f"/settings/domains/{verified.pk}/default/")
    assert Domain.objects.get(tenant=tenant, is_default=True) == verified
    assert AuditEvent.objects.filter(action="domain.default").count() == 1


def test_remove_goes_back_to_the_list(client, tenant, admin, verified):
    sign_in(client, admin)
    response = client.post(f"/settings/domains/{verified.pk}/remove/")
    assert response.url == "/settings/domains/"
    assert not Domain.objects.filter(pk=verified.pk).exists()


def test_a_refused_action_is_explained_on_the_domain_page(client, tenant, admin):
    domain = services.domain_add(tenant=tenant, acting_user=admin, name="fabrikam.example")
    sign_in(client, admin)
    response = client.post(f"/settings/domains/{domain.pk}/default/")
    assert response.url == f"/settings/domains/{domain.pk}/"
    assert "Verify the domain before" in client.get(response.url).content.decode()
    assert not Domain.objects.get(pk=domain.pk).is_default


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_answer_only_post(client, admin, verified, action):
    sign_in(client, admin)
    assert client.get(f"/settings/domains/{verified.pk}/{action}/").status_code == 405


@pytest.mark.parametrize("role", [GLOBAL_READER, USER_ADMIN])
@pytest.mark.parametrize("action", ACTIONS)
def test_other_roles_get_403_and_nothing_changes(client, tenant, verified, role, action):
    before = domain_state(verified)
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(client.post(f"/settings/domains/{verified.pk}/{action}/"))
    assert domain_state(verified) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_another_organizations_domain_is_404_and_unchanged(client, admin, dns_server, action):
    other = make_tenant()
    other_admin = make_user(other, roles=[GLOBAL_ADMIN])
    foreign = services.domain_add(tenant=other, acting_user=other_admin, name="foreign.example")
    dns_server.records["foreign.example"] = [services.domain_record(foreign)]
    services.domain_verify(tenant=other, acting_user=other_admin, domain=foreign)
    before = domain_state(foreign)
    sign_in(client, admin)
    assert_not_found(client.post(f"/settings/domains/{foreign.pk}/{action}/"))
    assert domain_state(foreign) == before
    assert_not_found(client.post(f"/settings/domains/{foreign.pk + 1000}/{action}/"))


def early(tenant):
    return set(
        User.objects.for_tenant(tenant).filter(early_release=True).values_list("pk", flat=True)
    )


@pytest.mark.parametrize("field", ["add", "remove"])
@pytest.mark.parametrize("value", ["abc", "-1", "999999"])
def test_release_preferences_refuse_a_malformed_or_missing_user_id(
    client, tenant, admin, field, value
):
    pat = make_user(tenant, "pat", early_release=True)
    tenant.release_track = "early_selected"
    tenant.save()
    sign_in(client, admin)
    data = {"release_track": "standard", field: [value]}
    assert_not_found(client.post("/settings/releases/", data))
    tenant.refresh_from_db()
    assert tenant.release_track == "early_selected" and early(tenant) == {pat.pk}


@pytest.mark.parametrize("field", ["add", "remove"])
def test_release_preferences_refuse_another_organizations_user(client, tenant, admin, field):
    stranger = make_user(make_tenant(), "stranger", early_release=True)
    sign_in(client, admin)
    data = {"release_track": "early_selected", field: [stranger.pk]}
    assert_not_found(client.post("/settings/releases/", data))
    tenant.refresh_from_db()
    stranger.refresh_from_db()
    assert tenant.release_track != "early_selected" and stranger.early_release
    assert not AuditEvent.objects.filter(action="tenant.release.change").exists()


def test_release_preferences_refuse_a_deleted_user(client, tenant, admin):
    from django.utils import timezone

    gone = make_user(tenant, "gone")
    User.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    sign_in(client, admin)
    data = {"release_track": "early_selected", "add": [gone.pk]}
    assert_not_found(client.post("/settings/releases/", data))
    assert early(tenant) == set()


def test_release_preferences_without_a_track_show_the_error(client, tenant, admin):
    pat = make_user(tenant, "pat")
    sign_in(client, admin)
    response = client.post("/settings/releases/", {"add": [pat.pk]})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert early(tenant) == set()


@pytest.mark.parametrize(
    ("action", "service"),
    [("verify", "domain_verify"), ("default", "domain_set_default"), ("remove", "domain_remove")],
)
def test_a_services_role_refusal_of_a_domain_action_is_403(
    client, admin, verified, monkeypatch, action, service
):
    def refuse(**kwargs):
        raise Forbidden("Not for you.")

    monkeypatch.setattr(services, service, refuse)
    sign_in(client, admin)
    before = domain_state(verified)
    assert_forbidden(client.post(f"/settings/domains/{verified.pk}/{action}/"))
    assert domain_state(verified) == before
