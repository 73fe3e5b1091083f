"""The operators' site at /operators/: operators only, behind a verified second factor."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.audit import audit_record
from accounts.models import AuditEvent, Domain, RoleAssignment, Tenant, User
from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN
from tests.factories import PASSWORD, make_operator, make_tenant, make_user
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def verified_operator_client(client, operator=None):
    """Sign an operator in through /signin/ and /signin/verify/ with a backup code."""
    operator = operator or make_operator()
    device = StaticDevice.objects.create(user=operator, name="backup", confirmed=True)
    device.token_set.create(token="12345678")
    response = client.post(
        "/signin/", {"username": operator.username, "password": PASSWORD, "next": "/operators/"}
    )
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/signin/verify/"
    response = client.post(
        "/signin/verify/",
        {"otp_device": device.persistent_id, "otp_token": "12345678", "next": "/operators/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/operators/"
    client.operator = operator
    return client


@pytest.fixture
def operator_client(client):
    return verified_operator_client(client)


# --- who gets in -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/operators/", "/operators/accounts/tenant/"])
def test_anonymous_is_sent_to_the_portal_signin(client, path):
    response = client.get(path, follow=True)
    final_url, _status = response.redirect_chain[-1]
    parts = urlsplit(final_url)
    assert parts.path == "/signin/"
    assert parse_qs(parts.query)["next"] == [path]
    assert response.status_code == 200
    assert "Sign in" in response.content.decode()


@pytest.mark.parametrize("path", ["/operators/", "/operators/accounts/tenant/"])
def test_tenant_global_admin_gets_403_never_the_admin(client, path):
    admin_user = make_user(make_tenant(), roles=[GLOBAL_ADMIN])
    sign_in(client, admin_user)
    response = client.get(path, follow=True)
    assert response.status_code == 403
    assert response.templates[0].name == "operators_denied.html"
    content = response.content.decode()
    assert "This site is for the platform" in content
    assert "Platform administration" not in content
    assert "Organizations" not in content


def test_operator_without_otp_verification_gets_the_operators_denied_page(client):
    sign_in(client, make_operator())
    response = client.get("/operators/", follow=True)
    assert response.status_code == 403
    assert response.templates[0].name == "operators_denied.html"
    content = response.content.decode()
    assert "needs a verified second factor" in content
    assert "Platform administration" not in content


def test_tenant_user_flagged_staff_is_refused_even_when_verified():
    # Clean() forbids it; a row changed behind the model's back still gets nowhere.
    user = make_user(make_tenant())
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user = User.objects.get(pk=user.pk)
    user.is_verified = lambda: True
    request = RequestFactory().get("/operators/")
    request.user = user
    assert not admin.site.has_permission(request)


def test_verified_operator_opens_the_operators_site(operator_client):
    response = operator_client.get("/operators/")
    assert response.status_code == 200
    assert "Platform administration" in response.content.decode()
    signin = AuditEvent.objects.get(action="signin.success")
    assert signin.actor == operator_client.operator
    assert signin.new_values == {"second_factor": True}


@pytest.mark.parametrize("model", [Tenant, Domain, User, RoleAssignment, AuditEvent])
def test_changelists_render_with_a_search(operator_client, model):
    tenant = make_tenant(name="Xylophone", domain="xylo.example")
    admin_user = make_user(tenant, "xavier", roles=[GLOBAL_ADMIN])
    RoleAssignment.objects.create(tenant=tenant, user=make_user(tenant), role=HELPDESK_ADMIN)
    audit_record(action="role.assign", tenant=tenant, actor=admin_user, target=admin_user)
    url = f"/operators/accounts/{model._meta.model_name}/"
    assert operator_client.get(url).status_code == 200
    response = operator_client.get(url, {"q": "x"})
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


def test_tenant_change_page_renders_with_its_domains(operator_client):
    tenant = make_tenant(domain="inline.example")
    response = operator_client.get(f"/operators/accounts/tenant/{tenant.pk}/change/")
    assert response.status_code == 200
    assert "inline.example" in response.content.decode()


def test_user_change_page_renders(operator_client):
    user = make_user(make_tenant(), roles=[HELPDESK_ADMIN])
    response = operator_client.get(f"/operators/accounts/user/{user.pk}/change/")
    assert response.status_code == 200


# --- actions ------------------------------------------------------------------------------


def test_suspending_a_tenant_audits_and_stops_its_users_signing_in(operator_client, client):
    tenant = make_tenant()
    member = make_user(tenant, roles=[GLOBAL_ADMIN])
    member_client = sign_in(Client(), member)
    assert member_client.get("/").status_code == 200

    response = operator_client.post(
        "/operators/accounts/tenant/",
        {"action": "suspend", "_selected_action": [tenant.pk], "index": 0},
    )
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.status == Tenant.Status.SUSPENDED
    event = AuditEvent.objects.get(action="tenant.suspend")
    assert event.tenant == tenant
    assert event.actor == operator_client.operator
    assert event.old_values == {"status": "active"}
    assert event.new_values == {"status": "suspended"}

    # The open session ends...
    response = member_client.get("/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/signin/"
    # ...and signing in again fails.
    fresh = Client()
    response = fresh.post("/signin/", {"username": member.username, "password": PASSWORD})
    assert response.status_code == 200
    assert SESSION_KEY not in fresh.session


def test_reactivating_a_tenant_audits(operator_client):
    tenant = make_tenant(status=Tenant.Status.SUSPENDED)
    operator_client.post(
        "/operators/accounts/tenant/",
        {"action": "reactivate", "_selected_action": [tenant.pk], "index": 0},
    )
    tenant.refresh_from_db()
    assert tenant.is_active
    assert AuditEvent.objects.get(action="tenant.reactivate").tenant == tenant


def _user_change_data(page, **changes):
    """Return the POST data of a rendered admin user change page, with ``changes``."""
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled or name == "password":
            continue
        value = form.initial.get(name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = getattr(value, "pk", value)
    data.update(
        {
            "role_assignments-TOTAL_FORMS": 0,
            "role_assignments-INITIAL_FORMS": 0,
            "role_assignments-MIN_NUM_FORMS": 0,
            "role_assignments-MAX_NUM_FORMS": 1000,
        }
    )
    data.update(changes)
    return data


def test_operator_changes_are_audited_without_passwords(operator_client):
    tenant = make_tenant()
    user = make_user(tenant, display_name="Old Name")
    url = f"/operators/accounts/user/{user.pk}/change/"
    data = _user_change_data(operator_client.get(url), display_name="New Name")
    response = operator_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action="operator.change")
    assert event.tenant == tenant
    assert event.actor == operator_client.operator
    assert event.old_values == {"display_name": "Old Name"}
    assert event.new_values == {"display_name": "New Name"}
    assert "password" not in str(event.new_values)


def test_operator_role_changes_through_the_inline_are_audited(operator_client):
    tenant = make_tenant()
    user = make_user(tenant)
    url = f"/operators/accounts/user/{user.pk}/change/"
    data = _user_change_data(
        operator_client.get(url),
        **{
            "role_assignments-TOTAL_FORMS": 1,
            "role_assignments-0-role": HELPDESK_ADMIN,
            "role_assignments-0-tenant": tenant.pk,
            "role_assignments-0-user": user.pk,
        },
    )
    response = operator_client.post(url, data)
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=user)
    event = AuditEvent.objects.get(action="operator.add")
    assert event.tenant == tenant
    assert event.target_type == "accounts.roleassignment"
    assert event.target_id == str(assignment.pk)
    assert event.new_values["role"] == HELPDESK_ADMIN

    data = _user_change_data(
        operator_client.get(url),
        **{
            "role_assignments-TOTAL_FORMS": 1,
            "role_assignments-INITIAL_FORMS": 1,
            "role_assignments-0-id": assignment.pk,
            "role_assignments-0-role": HELPDESK_ADMIN,
            "role_assignments-0-tenant": tenant.pk,
            "role_assignments-0-user": user.pk,
            "role_assignments-0-DELETE": "on",
        },
    )
    assert operator_client.post(url, data).status_code == 302
    assert not RoleAssignment.objects.filter(user=user).exists()
    deleted = AuditEvent.objects.get(action="operator.delete")
    assert deleted.tenant == tenant
    assert deleted.target_id == str(assignment.pk)


def test_operator_cannot_make_a_tenant_user_an_operator(operator_client):
    user = make_user(make_tenant())
    url = f"/operators/accounts/user/{user.pk}/change/"
    data = _user_change_data(operator_client.get(url), is_superuser="on", is_staff="on")
    response = operator_client.post(url, data)
    assert response.status_code == 200
    assert "Operators belong to no organization." in response.content.decode()
    user.refresh_from_db()
    assert not user.is_superuser and not user.is_staff


# --- the audit log is read-only -------------------------------------------------------------


def test_audit_events_have_no_add_change_or_delete(operator_client):
    tenant = make_tenant()
    event = audit_record(action="tenant.create", tenant=tenant, target=tenant)
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/operators/")
    request.user = operator_client.operator
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert model_admin.has_view_permission(request, event)
    assert "delete_selected" not in model_admin.get_actions(request)

    base = "/operators/accounts/auditevent/"
    assert operator_client.get(f"{base}add/").status_code == 403
    assert operator_client.get(f"{base}{event.pk}/delete/").status_code == 403
    page = operator_client.get(f"{base}{event.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    # A forged change is refused too.
    response = operator_client.post(f"{base}{event.pk}/change/", {"action": "forged"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.action == "tenant.create"
    changelist = operator_client.get(base)
    assert "Add audit event" not in changelist.content.decode()


def test_operator_sign_out_from_the_operators_site_is_audited(operator_client):
    response = operator_client.post("/operators/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/signin/"
    assert SESSION_KEY not in operator_client.session
    assert AuditEvent.objects.get(action="signout").actor == operator_client.operator


# --- no bulk delete; an organization is deleted by a typed confirmation ------------------


def _operator_request(operator_client):
    request = RequestFactory().get("/operators/")
    request.user = operator_client.operator
    return request


def test_no_model_of_the_operators_site_offers_a_bulk_delete(operator_client):
    request = _operator_request(operator_client)

    for model, model_admin in admin.site._registry.items():
        assert "delete_selected" not in model_admin.get_actions(request), model


def test_a_forged_bulk_delete_of_organizations_deletes_nothing(operator_client):
    tenant = make_tenant(status=Tenant.Status.SUSPENDED)

    operator_client.post(
        "/operators/accounts/tenant/",
        {"action": "delete_selected", "_selected_action": [tenant.pk], "post": "yes"},
    )

    assert Tenant.objects.filter(pk=tenant.pk).exists()


def _delete_url(tenant):
    return f"/operators/accounts/tenant/{tenant.pk}/delete/"


def test_an_active_organization_cannot_be_deleted_only_suspended(operator_client):
    tenant = make_tenant(name="Fabrikam")

    page = operator_client.get(_delete_url(tenant))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Suspend the organization first" in content
    assert 'name="confirmation"' not in content

    response = operator_client.post(_delete_url(tenant), {"confirmation": "Fabrikam"})

    assert response.status_code == 200
    assert "only a suspended organization can be deleted" in response.content.decode()
    assert Tenant.objects.filter(pk=tenant.pk).exists()
    assert not AuditEvent.objects.filter(action="tenant.delete").exists()


def test_a_wrong_confirmation_deletes_nothing(operator_client):
    tenant = make_tenant(name="Fabrikam", status=Tenant.Status.SUSPENDED)

    for typed in ("", "Fabrikam Inc", "fabrikam.example", "Contoso"):
        response = operator_client.post(_delete_url(tenant), {"confirmation": typed})
        assert response.status_code == 200
        assert Tenant.objects.filter(pk=tenant.pk).exists(), typed
    assert "exactly as shown" in response.content.decode()


def test_the_delete_page_says_what_goes_and_what_to_type(operator_client):
    tenant = make_tenant(name="Fabrikam", domain="fabrikam.example", status="suspended")
    make_user(tenant)

    page = operator_client.get(_delete_url(tenant))

    content = page.content.decode()
    assert 'name="confirmation"' in content
    assert "<strong>Fabrikam</strong> or <strong>fabrikam.example</strong>" in content
    assert "Users: 1" in content and "Domains: 1" in content


@pytest.mark.parametrize("typed", ["Fabrikam", "  fabrikam ", "FABRIKAM.example"])
def test_a_suspended_organization_is_deleted_by_its_name_or_initial_domain(operator_client, typed):
    tenant = make_tenant(name="Fabrikam", domain="fabrikam.example")
    make_user(tenant, "admin", roles=[GLOBAL_ADMIN])
    audit_record(action="tenant.create", tenant=tenant, target=tenant)
    operator_client.post(
        "/operators/accounts/tenant/",
        {"action": "suspend", "_selected_action": [tenant.pk], "index": 0},
    )
    own_events = AuditEvent.objects.filter(tenant_id=tenant.pk).count()
    other = make_tenant()
    other_admin = make_user(other, "admin", roles=[GLOBAL_ADMIN])

    response = operator_client.post(_delete_url(tenant), {"confirmation": typed}, follow=True)

    assert response.redirect_chain[-1][0] == "/operators/accounts/tenant/"
    assert "and all its data were deleted" in response.content.decode()
    assert not Tenant.objects.filter(pk=tenant.pk).exists()
    assert not User.objects.filter(tenant_id=tenant.pk).exists()
    assert not Domain.objects.filter(tenant_id=tenant.pk).exists()
    # The organization's own events stay, and the deletion is a platform event.
    assert AuditEvent.objects.filter(tenant_id=tenant.pk).count() == own_events
    event = AuditEvent.objects.get(action="tenant.delete")
    assert event.tenant_id is None
    assert event.actor == operator_client.operator
    assert (event.target_type, event.target_id) == ("accounts.tenant", str(tenant.pk))
    assert event.target_label == "Fabrikam"
    assert event.old_values["initial_domain"] == "fabrikam.example"
    assert event.new_values["removed"]["accounts.User"] == 1
    # Nothing of another organization went with it.
    assert Tenant.objects.filter(pk=other.pk).exists()
    assert User.objects.filter(pk=other_admin.pk).exists()


def test_a_deleted_organizations_events_still_open_in_the_operators_site(operator_client):
    tenant = make_tenant(name="Fabrikam", status=Tenant.Status.SUSPENDED)
    kept = audit_record(action="tenant.create", tenant=tenant, target=tenant)
    operator_client.post(_delete_url(tenant), {"confirmation": "Fabrikam"})

    assert operator_client.get("/operators/accounts/auditevent/").status_code == 200
    assert (
        operator_client.get(f"/operators/accounts/auditevent/{kept.pk}/change/").status_code == 200
    )
    assert operator_client.get("/audit/").status_code == 302  # and no tenant page, as ever


def test_deleting_the_demo_organization_removes_everything_it_owns(operator_client, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("PORTAL_DEMO_PASSWORD", "Demo-Password-For-Tests-1")

    from admin_portal.operators import _owned_relations, tenant_data_counts

    call_command("seed_demo", users=20, stdout=__import__("io").StringIO())
    demo = Tenant.objects.get(domain__name="contoso.example")
    counts = tenant_data_counts(demo)
    assert len(counts) >= 8, counts  # users, domains, roles, billing, groups, support, ...
    other = make_tenant()
    make_user(other, "admin", roles=[GLOBAL_ADMIN])
    demo.status = Tenant.Status.SUSPENDED
    demo.save()

    response = operator_client.post(_delete_url(demo), {"confirmation": demo.name})

    assert response.status_code == 302
    assert not Tenant.objects.filter(pk=demo.pk).exists()
    for relation in _owned_relations():
        model = relation.related_model
        assert not model._base_manager.filter(**{relation.field.name: demo.pk}).exists(), model
    assert tenant_data_counts(other)


def test_only_an_operator_may_delete_an_organization():
    from django.core.exceptions import PermissionDenied

    from admin_portal.operators import tenant_delete

    tenant = make_tenant(name="Fabrikam", status=Tenant.Status.SUSPENDED)
    admin_of_it = make_user(tenant, "admin", roles=[GLOBAL_ADMIN])

    with pytest.raises(PermissionDenied):
        tenant_delete(tenant=tenant, acting_user=admin_of_it, confirmation="Fabrikam")
    assert Tenant.objects.filter(pk=tenant.pk).exists()


def test_a_tenant_admin_never_reaches_the_delete_page(client):
    tenant = make_tenant(name="Fabrikam", status=Tenant.Status.ACTIVE)
    other = make_tenant()
    sign_in(client, make_user(other, "admin", roles=[GLOBAL_ADMIN]))

    response = client.post(_delete_url(tenant), {"confirmation": "Fabrikam"})

    assert response.status_code in (302, 403)
    assert Tenant.objects.filter(pk=tenant.pk).exists()


# --- outbound messages show no addresses ---------------------------------------------------


def test_outbound_messages_mask_email_addresses_in_the_list_and_the_detail(operator_client):
    from django.utils import timezone

    from core.models import OutboundMessage

    message = OutboundMessage.objects.create(
        channel=OutboundMessage.Channel.EMAIL,
        kind="notice",
        recipients="alice.jansen@contoso.example, bob@fabrikam.example",
        status=OutboundMessage.Status.DEAD,
        last_error="SMTPRecipientsRefused: {'alice.jansen@contoso.example': (550, b'no')} "
        "+31612345678",
        deadline=timezone.now(),
    )

    for url in (
        "/operators/core/outboundmessage/",
        f"/operators/core/outboundmessage/{message.pk}/change/",
    ):
        content = operator_client.get(url).content.decode()
        assert "alice.jansen@" not in content and "bob@" not in content, url
        assert "+31612345678" not in content, url
        assert "a•••@contoso.example" in content and "b•••@fabrikam.example" in content, url


# --- the last Global admin who can sign in stays, whatever an operator does ------------


def _change_form_data(response):
    """Return the POST data of an admin change page as it stands (form and inlines)."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, (list, tuple)):
                data[key] = [str(item) for item in value]
            else:
                data[key] = str(value)
    return data


@pytest.fixture
def lone_admin():
    tenant = make_tenant(domain="lone.example")
    admin_user = make_user(tenant, "boss", roles=[GLOBAL_ADMIN])
    # A second Global admin who cannot sign in does not count.
    make_user(tenant, "blocked", roles=[GLOBAL_ADMIN], is_sign_in_blocked=True)
    return admin_user


def test_operator_cannot_block_the_last_global_admin_who_can_sign_in(operator_client, lone_admin):
    url = f"/operators/accounts/user/{lone_admin.pk}/change/"
    data = _change_form_data(operator_client.get(url))
    data["is_sign_in_blocked"] = "on"

    response = operator_client.post(url, data)

    assert response.status_code == 200
    assert "at least one Global admin who can sign in" in response.content.decode()
    lone_admin.refresh_from_db()
    assert not lone_admin.is_sign_in_blocked


def test_operator_cannot_strip_the_last_global_admins_role_in_the_user_page(
    operator_client, lone_admin
):
    url = f"/operators/accounts/user/{lone_admin.pk}/change/"
    data = _change_form_data(operator_client.get(url))
    data["role_assignments-0-DELETE"] = "on"

    response = operator_client.post(url, data)

    assert response.status_code == 200
    assert "at least one Global admin who can sign in" in response.content.decode()
    assert RoleAssignment.objects.filter(user=lone_admin, role=GLOBAL_ADMIN).exists()


def test_operator_cannot_delete_the_last_global_admin_or_their_role(operator_client, lone_admin):
    assignment = RoleAssignment.objects.get(user=lone_admin, role=GLOBAL_ADMIN)

    for url in (
        f"/operators/accounts/user/{lone_admin.pk}/delete/",
        f"/operators/accounts/roleassignment/{assignment.pk}/delete/",
    ):
        assert operator_client.get(url).status_code == 403
        assert operator_client.post(url, {"post": "yes"}).status_code == 403

    assert User.objects.filter(pk=lone_admin.pk).exists()
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_operator_may_block_a_global_admin_when_another_can_sign_in(operator_client, lone_admin):
    make_user(lone_admin.tenant, "second", roles=[GLOBAL_ADMIN])
    url = f"/operators/accounts/user/{lone_admin.pk}/change/"
    data = _change_form_data(operator_client.get(url))
    data["is_sign_in_blocked"] = "on"

    response = operator_client.post(url, data)

    assert response.status_code == 302
    lone_admin.refresh_from_db()
    assert lone_admin.is_sign_in_blocked
