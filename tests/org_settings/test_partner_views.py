"""Settings > Partner relationships: a partner asks, the customer decides and ends, the partner
chooses who acts; readers look, other roles are refused, other organizations' ids are missing."""

import pytest

from accounts.models import AuditEvent, PartnerAccess, PartnerRelationship
from accounts.partners import partner_access_set, partner_decide, partner_request
from accounts.roles import (
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
from tests.factories import make_tenant, make_user
from tests.helpers import (
    assert_forbidden,
    assert_not_found,
    assert_redirects_to_signin,
    sidebar,
    sign_in,
)

pytestmark = pytest.mark.django_db

Status = PartnerRelationship.Status

LIST = "/settings/partners/"
REQUEST = "/settings/partners/request/"
ACTIONS = ("approve", "decline", "withdraw", "end", "access")


def detail_url(relationship):
    return f"{LIST}{relationship.pk}/"


def action_url(relationship, action):
    return f"{LIST}{relationship.pk}/{action}/"


@pytest.fixture
def partner():
    return make_tenant(name="Fabrikam Partners", domain="fabrikam.example", is_partner=True)


@pytest.fixture
def customer():
    return make_tenant(name="Contoso", domain="contoso.example")


@pytest.fixture
def partner_admin(partner):
    return make_user(partner, "pat", roles=[GLOBAL_ADMIN], display_name="Pat Partner")


@pytest.fixture
def customer_admin(customer):
    return make_user(customer, "cora", roles=[GLOBAL_ADMIN], display_name="Cora Customer")


@pytest.fixture
def pending(partner_admin, customer):
    return partner_request(
        actor=partner_admin, domain="contoso.example", roles=[USER_ADMIN, HELPDESK_ADMIN], days=30
    )


@pytest.fixture
def active(pending, customer_admin):
    return partner_decide(actor=customer_admin, relationship=pending, approve=True)


def page_of(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def messages_of(client, url=LIST):
    return page_of(client.get(url))


def request_data(**changes):
    data = {"domain": "contoso.example", "roles": [USER_ADMIN], "days": "90"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- the list ------------------------------------------------------------------------


def test_partner_admin_sees_its_requests_and_the_request_button(client, partner_admin, pending):
    sign_in(client, partner_admin)

    response = client.get(LIST)

    page = page_of(response)
    assert "Requests and customers" in page
    assert 'data-testid="outgoing-table"' in page
    assert "Contoso" in page
    assert "User admin, Helpdesk admin" in page
    assert "Waiting for approval" in page
    assert "30 days after approval" in page
    assert 'data-testid="request-access"' in page
    assert 'data-testid="incoming-empty"' in page  # nobody has access to the partner
    assert f'href="{LIST}"' in sidebar(response)


def test_a_partner_without_requests_sees_both_empty_states(client, partner_admin):
    sign_in(client, partner_admin)
    page = page_of(client.get(LIST))
    assert 'data-testid="outgoing-empty"' in page
    assert 'data-testid="incoming-empty"' in page
    assert f'href="{REQUEST}"' in page


def test_customer_admin_sees_the_request_with_approve_and_decline(client, customer_admin, pending):
    sign_in(client, customer_admin)

    page = page_of(client.get(LIST))

    # Not a partner organization: only the partners with access.
    assert "Requests and customers" not in page
    assert 'data-testid="request-access"' not in page
    assert "Partners with access to this organization" in page
    assert "Fabrikam Partners" in page
    assert "User admin, Helpdesk admin" in page
    assert "Pat Partner" in page  # requested by
    assert action_url(pending, "approve") in page
    assert action_url(pending, "decline") in page
    assert action_url(pending, "end") not in page


def test_customer_admin_sees_end_for_an_active_relationship(client, customer_admin, active):
    sign_in(client, customer_admin)
    page = page_of(client.get(LIST))
    assert "Active" in page
    assert action_url(active, "end") in page
    assert action_url(active, "approve") not in page


def test_global_reader_sees_the_list_read_only(client, customer, pending):
    sign_in(client, make_user(customer, roles=[GLOBAL_READER]))

    response = client.get(LIST)

    page = page_of(response)
    assert "Fabrikam Partners" in page
    assert 'data-testid="read-only"' in page
    assert "/approve/" not in page and "/decline/" not in page
    assert f'href="{LIST}"' in sidebar(response)


def test_global_reader_of_a_partner_gets_no_request_button(client, partner, pending):
    sign_in(client, make_user(partner, roles=[GLOBAL_READER]))
    page = page_of(client.get(LIST))
    assert "Contoso" in page
    assert 'data-testid="request-access"' not in page
    assert_forbidden(client.get(REQUEST))


@pytest.mark.parametrize("role", [USER_ADMIN, HELPDESK_ADMIN, GROUPS_ADMIN])
def test_other_roles_are_refused_and_do_not_see_the_nav_entry(client, customer, pending, role):
    sign_in(client, make_user(customer, roles=[role]))

    response = client.get(LIST)

    assert_forbidden(response)
    assert "Partner relationships" not in sidebar(response)
    assert_forbidden(client.get(detail_url(pending)))
    assert_forbidden(client.get(REQUEST))
    for action in ACTIONS:
        assert_forbidden(client.post(action_url(pending, action)))
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


def test_anonymous_visitor_is_sent_to_sign_in(client, pending):
    assert_redirects_to_signin(client.get(LIST), LIST)
    assert_redirects_to_signin(client.get(detail_url(pending)), detail_url(pending))


def test_the_list_stays_within_the_query_budget(
    client, partner, partner_admin, customer_admin, django_assert_max_num_queries
):
    # Relationships both ways, each with people who asked and decided.
    for n in range(6):
        other = make_tenant(domain=f"customer{n}.example")
        decider = make_user(other, roles=[GLOBAL_ADMIN])
        relationship = partner_request(
            actor=partner_admin, domain=f"customer{n}.example", roles=[USER_ADMIN]
        )
        if n % 2:
            partner_decide(actor=decider, relationship=relationship, approve=True)
        other_partner = make_tenant(is_partner=True)
        asker = make_user(other_partner, roles=[GLOBAL_ADMIN])
        partner_request(actor=asker, domain="fabrikam.example", roles=[HELPDESK_ADMIN])
    sign_in(client, partner_admin)

    with django_assert_max_num_queries(12):
        page = page_of(client.get(LIST))

    assert page.count("/settings/partners/") >= 12


def test_a_relationship_page_stays_within_the_query_budget(
    client, partner, partner_admin, active, django_assert_max_num_queries
):
    for n in range(5):
        person = make_user(partner, f"helper{n}", roles=[HELPDESK_ADMIN])
        partner_access_set(
            actor=partner_admin, relationship=active, user=person, roles=[HELPDESK_ADMIN]
        )
    sign_in(client, partner_admin)

    with django_assert_max_num_queries(12):
        page = page_of(client.get(detail_url(active)))

    assert page.count("helper") >= 10  # listed, and offered in the form


# --- asking for access ---------------------------------------------------------------


def test_partner_admin_asks_a_customer_for_access(client, partner_admin, customer):
    sign_in(client, partner_admin)
    page = page_of(client.get(REQUEST))
    assert 'name="domain"' in page
    assert f'value="{GLOBAL_ADMIN}"' not in page  # never offered
    assert f'value="{USER_ADMIN}"' in page

    response = client.post(REQUEST, request_data(roles=[USER_ADMIN, GLOBAL_READER]))

    relationship = PartnerRelationship.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(relationship)
    assert (relationship.partner, relationship.customer) == (partner_admin.tenant, customer)
    assert relationship.roles == [GLOBAL_READER, USER_ADMIN]  # the role table's order
    assert relationship.days == 90
    assert relationship.status == Status.PENDING
    assert AuditEvent.objects.filter(action="partner.request").count() == 2  # both sides
    page = page_of(client.get(response["Location"]))
    assert "Your request was sent to Contoso." in page
    assert action_url(relationship, "withdraw") in page
    assert action_url(relationship, "approve") not in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"domain": "nowhere.example"}, "domain", "No organization in the portal has verified"),
        ({"domain": "fabrikam.example"}, "domain", "This is your own organization&#x27;s domain."),
        ({"domain": ""}, "domain", "Enter one of the customer&#x27;s domains."),
        ({"roles": None}, "roles", "Choose at least one role."),
        ({"roles": [GLOBAL_ADMIN]}, "roles", "A partner never acts as a Global admin."),
        ({"roles": [USER_ADMIN, GLOBAL_ADMIN]}, "roles", "Choose roles from the list."),
        ({"days": "0"}, "days", "Choose between 1 and 730 days."),
        ({"days": "731"}, "days", "Choose between 1 and 730 days."),
        ({"days": "a year"}, "days", "Enter a whole number of days."),
        ({"days": ""}, "days", "Enter a number of days."),
    ],
)
def test_a_bad_request_is_shown_at_its_field_and_asks_nothing(
    client, partner_admin, customer, changes, field, message
):
    sign_in(client, partner_admin)

    response = client.post(REQUEST, request_data(**changes))

    page = page_of(response)
    assert message in page
    assert f'id="id_{field}_error"' in page
    assert "error-summary" in page
    assert not PartnerRelationship.objects.exists()


def test_a_second_open_request_to_the_same_customer_is_refused(client, partner_admin, pending):
    sign_in(client, partner_admin)
    page = page_of(client.post(REQUEST, request_data()))
    assert "You already have an open request or relationship with Contoso." in page
    assert PartnerRelationship.objects.count() == 1


def test_an_organization_that_is_no_partner_cannot_ask(client, customer_admin, partner):
    sign_in(client, customer_admin)
    assert_forbidden(client.get(REQUEST))
    assert_forbidden(client.post(REQUEST, request_data(domain="fabrikam.example")))
    assert not PartnerRelationship.objects.exists()


# --- one relationship ------------------------------------------------------------------


def test_customer_sees_a_pending_request_with_its_roles_and_the_decision(
    client, customer_admin, pending
):
    sign_in(client, customer_admin)
    page = page_of(client.get(detail_url(pending)))
    assert "Partner: Fabrikam Partners" in page
    assert "Roles asked for" in page
    assert "User admin, Helpdesk admin" in page
    assert "30 days" in page
    assert action_url(pending, "approve") in page
    assert action_url(pending, "decline") in page
    assert action_url(pending, "withdraw") not in page
    assert 'data-testid="partner-access"' not in page


def test_partner_sees_who_acts_and_the_form_to_choose(client, partner, partner_admin, active):
    helpdesk = make_user(partner, "hal", roles=[HELPDESK_ADMIN])
    make_user(partner, "nobody")  # no role: not offered
    partner_access_set(
        actor=partner_admin, relationship=active, user=helpdesk, roles=[HELPDESK_ADMIN]
    )
    sign_in(client, partner_admin)

    page = page_of(client.get(detail_url(active)))

    assert "Customer: Contoso" in page
    assert 'data-testid="access-table"' in page
    assert helpdesk.username in page
    assert 'data-testid="partner-access-form"' in page
    assert f'<option value="{partner_admin.pk}">' in page
    assert "nobody@" not in page
    # Only the granted roles are offered.
    assert f'value="{HELPDESK_ADMIN}"' in page and f'value="{USER_ADMIN}"' in page
    assert f'value="{GLOBAL_READER}"' not in page
    assert action_url(active, "end") in page


def test_an_active_relationship_without_anyone_acting_says_so(client, partner_admin, active):
    sign_in(client, partner_admin)
    page = page_of(client.get(detail_url(active)))
    assert 'data-testid="access-empty"' in page


def test_customer_does_not_see_the_partners_admins(client, customer_admin, partner_admin, active):
    partner_access_set(
        actor=partner_admin, relationship=active, user=partner_admin, roles=[USER_ADMIN]
    )
    sign_in(client, customer_admin)
    page = page_of(client.get(detail_url(active)))
    assert 'data-testid="partner-access"' not in page
    assert action_url(active, "end") in page


def test_global_reader_sees_a_relationship_without_actions(client, customer, pending):
    sign_in(client, make_user(customer, roles=[GLOBAL_READER]))
    page = page_of(client.get(detail_url(pending)))
    assert "Fabrikam Partners" in page
    assert 'data-testid="partner-actions"' not in page


def test_global_reader_can_take_no_action(client, customer, partner, pending, active):
    for reader in (
        make_user(customer, roles=[GLOBAL_READER]),
        make_user(partner, roles=[GLOBAL_READER]),
    ):
        client.logout()
        sign_in(client, reader)
        assert_forbidden(client.get(action_url(active, "end")))
        for action in ACTIONS:
            assert_forbidden(client.post(action_url(active, action)))
    active.refresh_from_db()
    assert active.status == Status.ACTIVE


# --- the actions ------------------------------------------------------------------------


def test_customer_approves_a_request(client, customer_admin, pending):
    sign_in(client, customer_admin)

    response = client.post(action_url(pending, "approve"))

    assert response["Location"] == detail_url(pending)
    pending.refresh_from_db()
    assert pending.status == Status.ACTIVE
    assert pending.decided_by == customer_admin
    assert pending.expires_at is not None
    page = messages_of(client, detail_url(pending))
    assert "You approved the request of Fabrikam Partners." in page


def test_customer_declines_a_request(client, customer_admin, pending):
    sign_in(client, customer_admin)

    response = client.post(action_url(pending, "decline"))

    assert response["Location"] == detail_url(pending)
    pending.refresh_from_db()
    assert pending.status == Status.DECLINED
    assert "You declined the request of Fabrikam Partners." in messages_of(client)


def test_a_partner_cannot_approve_its_own_request(client, partner_admin, pending):
    sign_in(client, partner_admin)
    assert_forbidden(client.post(action_url(pending, "approve")))
    assert_forbidden(client.post(action_url(pending, "decline")))
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


def test_a_customer_cannot_withdraw_the_partners_request(client, customer_admin, pending):
    sign_in(client, customer_admin)
    assert_forbidden(client.post(action_url(pending, "withdraw")))
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


def test_a_decision_on_a_request_no_longer_waiting_is_a_message(client, customer_admin, active):
    sign_in(client, customer_admin)
    response = client.post(action_url(active, "decline"))
    assert response["Location"] == detail_url(active)
    assert "This request is no longer waiting." in messages_of(client, detail_url(active))
    active.refresh_from_db()
    assert active.status == Status.ACTIVE


def test_partner_withdraws_a_request(client, partner_admin, pending):
    sign_in(client, partner_admin)

    response = client.post(action_url(pending, "withdraw"))

    assert response["Location"] == detail_url(pending)
    pending.refresh_from_db()
    assert pending.status == Status.WITHDRAWN
    assert "Your request to Contoso was withdrawn." in messages_of(client)


def test_customer_ends_a_relationship_after_confirming(client, customer_admin, active):
    sign_in(client, customer_admin)

    confirm = page_of(client.get(action_url(active, "end")))
    assert "End the relationship with Fabrikam Partners?" in confirm
    assert "Its admins lose access at their next request." in confirm
    assert 'method="post"' in confirm
    active.refresh_from_db()
    assert active.status == Status.ACTIVE  # asking changes nothing

    response = client.post(action_url(active, "end"))

    assert response["Location"] == LIST
    active.refresh_from_db()
    assert active.status == Status.ENDED
    assert active.ended_by == customer_admin
    page = messages_of(client)
    assert "The relationship between Fabrikam Partners and Contoso ended." in page


def test_partner_ends_a_relationship_too(client, partner_admin, active):
    sign_in(client, partner_admin)
    assert "Your admins lose access to Contoso" in page_of(client.get(action_url(active, "end")))
    client.post(action_url(active, "end"))
    active.refresh_from_db()
    assert active.status == Status.ENDED


def test_ending_a_relationship_not_active_is_refused_on_the_page(client, customer_admin, pending):
    sign_in(client, customer_admin)
    assert "nothing to end" in page_of(client.get(action_url(pending, "end")))
    page = page_of(client.post(action_url(pending, "end")))
    assert "This relationship is not active." in page
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


def test_partner_admin_chooses_who_acts_with_which_roles(client, partner, partner_admin, active):
    helpdesk = make_user(partner, "hal", roles=[HELPDESK_ADMIN])
    sign_in(client, partner_admin)
    url = action_url(active, "access")

    response = client.post(url, {"user": helpdesk.pk, "roles": [HELPDESK_ADMIN]})

    assert response["Location"] == detail_url(active)
    access = PartnerAccess.objects.get(relationship=active, user=helpdesk)
    assert access.roles == [HELPDESK_ADMIN]
    page = messages_of(client, detail_url(active))
    assert f"{helpdesk.username} acts for Contoso as Helpdesk admin." in page

    client.post(url, {"user": helpdesk.pk, "roles": [USER_ADMIN, HELPDESK_ADMIN]})
    access.refresh_from_db()
    assert access.roles == [USER_ADMIN, HELPDESK_ADMIN]

    # No roles: the admin no longer acts for the customer.
    client.post(url, {"user": helpdesk.pk})
    assert not PartnerAccess.objects.filter(user=helpdesk).exists()
    assert f"{helpdesk.username} no longer acts for Contoso." in messages_of(client)
    assert AuditEvent.objects.filter(action="partner.access").count() == 6  # 3 changes, 2 sides


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([GLOBAL_READER], "Choose roles the customer granted."),
        ([GLOBAL_ADMIN], "Choose roles the customer granted."),
    ],
)
def test_roles_the_customer_did_not_grant_are_refused(
    client, partner_admin, active, roles, message
):
    sign_in(client, partner_admin)
    response = client.post(action_url(active, "access"), {"user": partner_admin.pk, "roles": roles})
    assert response["Location"] == detail_url(active)
    assert message in messages_of(client, detail_url(active))
    assert not PartnerAccess.objects.exists()


def test_choosing_no_admin_is_a_message(client, partner_admin, active):
    sign_in(client, partner_admin)
    client.post(action_url(active, "access"), {"roles": [USER_ADMIN]})
    assert "Choose an admin." in messages_of(client, detail_url(active))


def test_another_organizations_person_cannot_be_chosen(
    client, partner_admin, customer_admin, active
):
    sign_in(client, partner_admin)
    response = client.post(
        action_url(active, "access"), {"user": customer_admin.pk, "roles": [USER_ADMIN]}
    )
    assert_not_found(response)
    assert not PartnerAccess.objects.exists()


def test_a_customer_cannot_set_the_partners_admins(
    client, customer, customer_admin, partner_admin, active
):
    sign_in(client, customer_admin)
    url = action_url(active, "access")
    # Its own admin: refused for who the customer is.
    assert_forbidden(client.post(url, {"user": customer_admin.pk, "roles": [USER_ADMIN]}))
    # The partner's admin: not one the customer can name.
    assert_not_found(client.post(url, {"user": partner_admin.pk, "roles": [USER_ADMIN]}))
    assert not PartnerAccess.objects.exists()


def test_who_acts_cannot_be_chosen_before_approval(client, partner_admin, pending):
    sign_in(client, partner_admin)
    response = client.post(
        action_url(pending, "access"), {"user": partner_admin.pk, "roles": [USER_ADMIN]}
    )
    assert response["Location"] == detail_url(pending)
    assert "This relationship is not active." in messages_of(client, detail_url(pending))
    assert not PartnerAccess.objects.exists()


# --- another organization's relationship -----------------------------------------------


def test_another_organizations_relationship_is_not_found_on_every_url(client, active):
    outsider = make_user(make_tenant(is_partner=True), roles=[GLOBAL_ADMIN])
    sign_in(client, outsider)
    missing = PartnerRelationship(pk=active.pk + 1000)

    for relationship in (active, missing):
        assert_not_found(client.get(detail_url(relationship)))
        assert_not_found(client.get(action_url(relationship, "end")))
        for action in ACTIONS:
            assert_not_found(client.post(action_url(relationship, action)))
        assert_not_found(
            client.post(
                action_url(relationship, "access"), {"user": outsider.pk, "roles": [USER_ADMIN]}
            )
        )
    active.refresh_from_db()
    assert active.status == Status.ACTIVE
    assert not PartnerAccess.objects.exists()


def test_an_action_url_answers_post_only(client, customer_admin, pending):
    sign_in(client, customer_admin)
    for action in ("approve", "decline", "withdraw", "access"):
        assert client.get(action_url(pending, action)).status_code == 405


# --- the operators' site --------------------------------------------------------------------


@pytest.fixture
def operator_client(client):
    from tests.accounts.test_admin import verified_operator_client

    return verified_operator_client(client)


def test_operators_see_partner_relationships_read_only(operator_client, active):
    page = page_of(operator_client.get("/operators/accounts/partnerrelationship/"))
    assert "Fabrikam Partners" in page and "Contoso" in page
    detail = page_of(
        operator_client.get(f"/operators/accounts/partnerrelationship/{active.pk}/change/")
    )
    assert "Fabrikam Partners" in detail
    assert 'name="status"' not in detail  # read only
    assert operator_client.get("/operators/accounts/partnerrelationship/add/").status_code == 403


def test_operators_mark_an_organization_as_a_partner(operator_client, customer):
    page = page_of(operator_client.get(f"/operators/accounts/tenant/{customer.pk}/change/"))
    assert 'name="is_partner"' in page
