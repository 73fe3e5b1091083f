"""Partner relationships: asking, approving, granting admins, acting in a customer, ending."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import AuditEvent, PartnerAccess, PartnerRelationship
from accounts.partners import (
    ACTING_SESSION_KEY,
    PartnerActor,
    acting_access,
    partner_access_set,
    partner_decide,
    partner_end,
    partner_relationships_expire,
    partner_request,
    partner_withdraw,
    relationship_for,
)
from accounts.roles import (
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    USER_ADMIN,
    can_reset_password,
)
from core.exceptions import Forbidden
from tests.factories import make_tenant, make_user
from tests.helpers import make_app, sign_in

pytestmark = pytest.mark.django_db

Status = PartnerRelationship.Status
GENERATE = {"mode": "generate", "require_change": "on"}


@pytest.fixture
def partner():
    return make_tenant("Fabrikam Partners", domain="fabrikam.example", is_partner=True)


@pytest.fixture
def partner_admin(partner):
    return make_user(partner, "pat", roles=[GLOBAL_ADMIN], display_name="Pat Partner")


@pytest.fixture
def helper(partner):
    """One of the partner's own admins, who will act for customers."""
    return make_user(partner, "hal", roles=[HELPDESK_ADMIN], display_name="Hal Helper")


@pytest.fixture
def customer():
    return make_tenant("Contoso", domain="contoso.example")


@pytest.fixture
def customer_admin(customer):
    return make_user(customer, "cora", roles=[GLOBAL_ADMIN], display_name="Cora Customer")


def asked(partner_admin, roles=(HELPDESK_ADMIN, GROUPS_ADMIN), days=30):
    return partner_request(actor=partner_admin, domain="contoso.example", roles=roles, days=days)


@pytest.fixture
def relationship(partner_admin, customer_admin):
    relationship = asked(partner_admin)
    return partner_decide(actor=customer_admin, relationship=relationship, approve=True)


@pytest.fixture
def access(relationship, partner_admin, helper):
    return partner_access_set(
        actor=partner_admin, relationship=relationship, user=helper, roles=[HELPDESK_ADMIN]
    )


# --- asking ---------------------------------------------------------------------------


def test_a_partners_global_admin_asks_by_domain_and_the_customer_is_told(
    partner_admin, customer, customer_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        relationship = asked(partner_admin, days=90)
    assert relationship.customer == customer
    assert relationship.status == Status.PENDING
    assert relationship.roles == [HELPDESK_ADMIN, GROUPS_ADMIN]
    assert relationship.expires_at is None
    [notice] = mail.outbox
    assert notice.to == [customer_admin.username]
    assert "Fabrikam Partners" in notice.subject
    assert "Helpdesk admin, Groups admin" in notice.body and "90 days" in notice.body
    for tenant in (relationship.partner, customer):
        event = AuditEvent.objects.get(tenant=tenant, action="partner.request")
        assert event.actor == partner_admin


@pytest.mark.parametrize(
    ("domain", "roles", "days", "field"),
    [
        ("nowhere.example", [HELPDESK_ADMIN], 30, "domain"),
        ("fabrikam.example", [HELPDESK_ADMIN], 30, "domain"),  # its own
        ("not a domain", [HELPDESK_ADMIN], 30, "domain"),
        ("contoso.example", [], 30, "roles"),
        ("contoso.example", [GLOBAL_ADMIN], 30, "roles"),
        ("contoso.example", ["king"], 30, "roles"),
        ("contoso.example", [HELPDESK_ADMIN], 0, "days"),
        ("contoso.example", [HELPDESK_ADMIN], 731, "days"),
    ],
)
def test_a_bad_request_is_refused_with_the_field_named(
    partner_admin, customer, domain, roles, days, field
):
    with pytest.raises(ValidationError) as refused:
        partner_request(actor=partner_admin, domain=domain, roles=roles, days=days)
    assert field in refused.value.message_dict
    assert not PartnerRelationship.objects.exists()


def test_an_unverified_domain_finds_nobody(partner_admin, customer):
    customer.domain_set.create(name="pending.example", is_verified=False)
    with pytest.raises(ValidationError) as refused:
        partner_request(actor=partner_admin, domain="pending.example", roles=[HELPDESK_ADMIN])
    assert "domain" in refused.value.message_dict


def test_only_a_partner_organizations_global_admin_asks(partner, customer):
    other = make_tenant("Not a partner")
    for actor in (
        make_user(partner, roles=[GLOBAL_READER]),
        make_user(partner, roles=[USER_ADMIN]),
        make_user(other, roles=[GLOBAL_ADMIN]),
    ):
        with pytest.raises(Forbidden):
            partner_request(actor=actor, domain="contoso.example", roles=[HELPDESK_ADMIN])
    assert not PartnerRelationship.objects.exists()


def test_one_open_request_per_customer(partner_admin, customer):
    asked(partner_admin)
    with pytest.raises(ValidationError) as refused:
        asked(partner_admin)
    assert refused.value.message_dict["domain"]
    assert PartnerRelationship.objects.count() == 1


# --- approving, declining, withdrawing ------------------------------------------------


def test_the_customer_approves_for_the_days_asked(
    partner_admin, customer_admin, django_capture_on_commit_callbacks
):
    relationship = asked(partner_admin, days=30)
    with django_capture_on_commit_callbacks(execute=True):
        relationship = partner_decide(actor=customer_admin, relationship=relationship, approve=True)
    assert relationship.status == Status.ACTIVE
    assert relationship.decided_by == customer_admin
    days = (relationship.expires_at - relationship.decided_at).days
    assert days == 30
    [notice] = mail.outbox
    assert notice.to == [partner_admin.username]
    assert "approved" in notice.subject


def test_the_customer_declines(partner_admin, customer_admin):
    relationship = asked(partner_admin)
    relationship = partner_decide(actor=customer_admin, relationship=relationship, approve=False)
    assert relationship.status == Status.DECLINED
    assert relationship.expires_at is None
    # A declined request no longer blocks a new one.
    assert asked(partner_admin).status == Status.PENDING


def test_nobody_but_the_customers_global_admin_decides(partner_admin, customer):
    relationship = asked(partner_admin)
    for actor in (partner_admin, make_user(customer, roles=[GLOBAL_READER])):
        with pytest.raises(Forbidden):
            partner_decide(actor=actor, relationship=relationship, approve=True)
    relationship.refresh_from_db()
    assert relationship.status == Status.PENDING


def test_a_decision_is_taken_once(partner_admin, customer_admin):
    relationship = asked(partner_admin)
    partner_decide(actor=customer_admin, relationship=relationship, approve=False)
    with pytest.raises(ValidationError):
        partner_decide(actor=customer_admin, relationship=relationship, approve=True)


def test_the_partner_withdraws_a_waiting_request(partner_admin, customer_admin):
    relationship = partner_withdraw(actor=partner_admin, relationship=asked(partner_admin))
    assert relationship.status == Status.WITHDRAWN
    with pytest.raises(ValidationError):
        partner_decide(actor=customer_admin, relationship=relationship, approve=True)


# --- who of the partner acts ----------------------------------------------------------


def test_the_partner_grants_its_admin_some_of_the_granted_roles(relationship, access, helper):
    assert access.user == helper and access.roles == [HELPDESK_ADMIN]
    assert AuditEvent.objects.filter(tenant=relationship.customer, action="partner.access").exists()


def test_roles_not_granted_cannot_be_given(relationship, partner_admin, helper):
    for roles in ([USER_ADMIN], [GLOBAL_ADMIN]):
        with pytest.raises(ValidationError):
            partner_access_set(
                actor=partner_admin, relationship=relationship, user=helper, roles=roles
            )
    assert not PartnerAccess.objects.exists()


def test_only_the_partners_own_admins_are_granted(relationship, partner, partner_admin, customer):
    for user in (make_user(partner), make_user(customer, roles=[HELPDESK_ADMIN])):
        with pytest.raises(Http404):
            partner_access_set(
                actor=partner_admin, relationship=relationship, user=user, roles=[HELPDESK_ADMIN]
            )


def test_the_customer_does_not_choose_the_partners_admins(relationship, customer_admin, helper):
    with pytest.raises(Forbidden):
        partner_access_set(
            actor=customer_admin, relationship=relationship, user=helper, roles=[HELPDESK_ADMIN]
        )


def test_no_roles_takes_the_access_away(relationship, access, partner_admin, helper):
    partner_access_set(actor=partner_admin, relationship=relationship, user=helper, roles=[])
    assert not PartnerAccess.objects.exists()
    assert acting_access(helper, relationship.pk) is None


# --- acting ---------------------------------------------------------------------------


def act(client, relationship):
    return client.post("/partners/act/", {"relationship": relationship.pk})


def test_an_admin_with_access_acts_in_the_customer_with_exactly_the_granted_roles(
    client, relationship, access, helper, customer
):
    make_user(customer, "ann", display_name="Ann Customer-User")
    sign_in(client, helper)
    home = client.get("/")
    assert b'data-testid="customer-switcher"' in home.content
    assert b"Contoso" in home.content
    response = act(client, relationship)
    assert response.status_code == 302
    assert client.session[ACTING_SESSION_KEY] == relationship.pk
    page = client.get("/users/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "Acting in Contoso as Helpdesk admin through Fabrikam Partners" in content
    assert "Ann Customer-User" in content
    assert "Hal Helper" not in content.split('class="shell"')[1].split("acting-banner")[0]
    # A Helpdesk admin does not open billing, even though the relationship grants Groups admin.
    assert client.get("/billing/products/").status_code == 403
    assert client.get("/groups/new/").status_code in (403, 404)
    event = AuditEvent.objects.get(tenant=customer, action="partner.act")
    assert event.actor is None
    assert event.actor_label == "hal@fabrikam.example (Fabrikam Partners)"


def test_changes_made_while_acting_are_audited_in_the_customer_naming_partner_and_person(
    client, relationship, access, helper, customer, customer_admin
):
    ann = make_user(customer, "ann")
    sign_in(client, helper)
    act(client, relationship)
    response = client.post(f"/users/{ann.pk}/reset-password/", GENERATE)
    assert response.status_code == 200, response.status_code
    event = AuditEvent.objects.get(tenant=customer, action="password.reset_by_admin")
    assert event.actor is None
    assert event.actor_label == "hal@fabrikam.example (Fabrikam Partners)"
    assert event.target_id == str(ann.pk)
    # The customer's Global admin is refused, as the role table says.
    refused = client.post(f"/users/{customer_admin.pk}/reset-password/", GENERATE)
    assert refused.status_code in (403, 404)


def test_a_partner_admin_never_resets_a_customers_global_admin(
    relationship, access, helper, customer_admin, customer
):
    actor = PartnerActor(helper, access)
    plain = make_user(customer)
    assert can_reset_password(actor, plain)
    assert not can_reset_password(actor, customer_admin)


def test_someone_without_access_cannot_act(client, relationship, partner_admin, partner):
    other = make_user(partner, roles=[HELPDESK_ADMIN])
    sign_in(client, other)
    response = act(client, relationship)
    assert response.status_code == 302
    assert ACTING_SESSION_KEY not in client.session
    assert "Acting in" not in client.get("/").content.decode()


def test_an_ended_relationship_sends_the_acting_admin_home_on_the_next_request(
    client, relationship, access, helper, customer_admin, django_capture_on_commit_callbacks
):
    sign_in(client, helper)
    act(client, relationship)
    assert "Acting in Contoso" in client.get("/users/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        partner_end(actor=customer_admin, relationship=relationship)
    page = client.get("/users/")
    content = page.content.decode()
    assert "Acting in Contoso" not in content
    assert "Your access to that organization has ended" in content
    assert ACTING_SESSION_KEY not in client.session
    [notice] = mail.outbox
    assert notice.to == ["pat@fabrikam.example"]


def test_expiry_ends_acting_by_itself(client, relationship, access, helper):
    sign_in(client, helper)
    act(client, relationship)
    PartnerRelationship.objects.filter(pk=relationship.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert "Acting in Contoso" not in client.get("/users/").content.decode()


def test_personal_pages_stay_the_partner_admins_own(client, relationship, access, helper):
    sign_in(client, helper)
    act(client, relationship)
    page = client.get("/account/")
    assert page.status_code == 200
    assert "Fabrikam Partners" in page.content.decode()


def test_the_customers_second_factor_policy_holds_for_partner_admins(
    client, relationship, access, helper, customer
):
    customer.require_mfa_for_admins = True
    customer.save()
    sign_in(client, helper)  # not verified with a second factor
    act(client, relationship)
    response = client.get("/users/")
    assert response.status_code == 302
    assert ACTING_SESSION_KEY not in client.session
    assert "Acting in" not in client.get("/").content.decode()


def test_another_customers_relationship_is_not_found(relationship, partner):
    elsewhere = make_tenant("Elsewhere")
    with pytest.raises(Http404):
        relationship_for(elsewhere, relationship.pk)
    assert relationship_for(partner, relationship.pk) == relationship


def test_stop_acting_returns_home(client, relationship, access, helper):
    sign_in(client, helper)
    act(client, relationship)
    client.post("/partners/act/stop/")
    assert ACTING_SESSION_KEY not in client.session
    assert "Acting in" not in client.get("/users/").content.decode()


# --- expiry ---------------------------------------------------------------------------


def test_the_nightly_job_ends_the_expired_and_tells_both_sides_a_week_before(
    relationship, customer_admin, partner_admin, django_capture_on_commit_callbacks
):
    now = timezone.now()
    PartnerRelationship.objects.filter(pk=relationship.pk).update(
        expires_at=now + timedelta(days=6)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert partner_relationships_expire(now) == (0, 1)
        assert partner_relationships_expire(now) == (0, 0)  # told once
    assert sorted(m.to[0] for m in mail.outbox) == [customer_admin.username, partner_admin.username]
    assert partner_relationships_expire(now + timedelta(days=7)) == (1, 0)
    relationship.refresh_from_db()
    assert relationship.status == Status.ENDED
    assert AuditEvent.objects.filter(action="partner.expire").count() == 2


def _verified_with(client, device):
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def test_a_second_factor_verified_session_acts_where_the_customer_requires_one(
    client, relationship, access, helper, customer
):
    customer.require_mfa_for_admins = True
    customer.save()
    sign_in(client, helper)
    _verified_with(client, make_app(helper))
    act(client, relationship)
    assert "Acting in Contoso" in client.get("/users/").content.decode()


def test_codes_do_not_act_where_the_customer_requires_a_phishing_resistant_method(
    client, relationship, access, helper, customer
):
    customer.require_mfa_for_admins = True
    customer.require_phishing_resistant_for_admins = True
    customer.save()
    sign_in(client, helper)
    _verified_with(client, make_app(helper))
    act(client, relationship)
    response = client.get("/users/")
    assert response.status_code == 302
    assert ACTING_SESSION_KEY not in client.session
    home = client.get("/", follow=True).content.decode()
    assert "Acting in" not in home
