"""The Global reader "sees everything a Global admin sees, and changes nothing".

The sweep walks the whole URLconf, so a new area's pages are covered the moment
they are routed: every page a Global admin opens with a GET, the Global reader
opens too (the same answer), except the pages that are writes by nature, which
refuse the reader. And no POST of the reader records a change anywhere but on
their own account: every change writes an audit event, and the only events a
reader's POST may write record a read or a refusal.

While it opens every page, the sweep also checks that no radio button offers
Django's blank choice ("---------"): a radio list has no use for it.
"""

import re

import pytest
from django.urls import get_resolver, reverse
from django.urls.converters import IntConverter
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER
from groups.views import STEP_NAMES
from health.models import Announcement, Incident, Service
from reports.views import REPORTS
from security_info.models import PasskeyDevice
from tests.factories import make_tenant, make_user
from tests.helpers import sign_in
from tests.security.test_isolation import FACTORIES, _walk
from users.models import ExportJob, ImportJob

pytestmark = pytest.mark.django_db

# Not pages of the admin center: the operators' site (no organization), the flows
# of someone not signed in yet or signing out, the load balancer's health checks, and
# SCIM, which identity providers call with an API client's secret (tests/scim).
SKIPPED_NAMESPACES = {"admin", "password_reset", "passkeys", "scim"}
SKIPPED_ROUTES = {"accounts:signin", "accounts:signin_verify", "accounts:signout"}
SKIPPED_ROUTES |= {"healthz", "readyz"}
# Single sign-on's sign-in pages and the addresses an identity provider calls (tests/sso).
SKIPPED_ROUTES |= {
    "sso:break_glass",
    "sso:oidc_callback",
    "sso:saml_metadata",
    "sso:saml_acs",
    "sso:saml_finish",
    "sso:saml_sls",
}

# Pages whose only purpose is a change: the Global reader gets 403 on them.
WRITES_BY_NATURE = {
    "users:user_add": "adds a user (every step of the wizard)",
    "users:user_import": "adds users from a CSV file",
    "users:user_import_confirm": "adds the users of a checked CSV file",
    "users:import_template": "the file to fill in for an import",
    "users:import_errors": "the rows an import refused",
    "users:import_detail": "an import's progress, for whoever imports",
    "users:import_results": "an import's one-time passwords",
    "users:user_edit": "edits a user",
    "users:user_contact": "edits a user's contact information",
    "users:user_rename": "changes a sign-in name",
    "users:user_roles": "gives and takes away roles",
    "users:user_licenses": "assigns licenses",
    "users:user_groups": "adds to and removes from groups",
    "users:user_password_reset": "resets a password",
    "users:username_check": "checks a new sign-in name while adding or renaming a user",
    "users:user_restore": "restores a deleted user",
    "users:user_signout_all": "signs a user out of every session",
    "users:user_reregister": "makes a user register their methods again",
    "users:user_method_remove": "removes a user's sign-in method",
    "users:user_temporary_pass": "issues a temporary access pass",
    "users:user_block": "blocks a user's sign-in",
    "users:user_groups_join": "adds a user to groups",
    "users:user_groups_leave": "takes a user out of groups",
    "users:role_assign": "gives a role",
    "users:role_remove": "takes a role away",
    "users:user_bulk_block": "blocks the selected users' sign-in",
    "users:user_bulk_unblock": "allows the selected users to sign in again",
    "users:user_bulk_delete": "deletes the selected users",
    "users:user_bulk_license_assign": "assigns licenses to the selected users",
    "users:user_bulk_license_unassign": "takes licenses away from the selected users",
    "billing:subscription_buy": "buys a subscription",
    "billing:card_add": "adds a card",
    "billing:subscription_quantity": "changes the number of licenses (POST only)",
    "billing:subscription_buy_confirm": "confirms a purchase at its cost (POST only)",
    "billing:subscription_quantity_confirm": "confirms a new number of licenses (POST only)",
    "billing:subscription_payment_method": "changes how a subscription is paid (POST only)",
    "billing:subscription_cancel": "cancels a subscription (POST only)",
    "billing:subscription_reactivate": "reactivates a subscription (POST only)",
    "billing:license_assign": "assigns licenses (POST only)",
    "billing:license_unassign": "unassigns licenses (POST only)",
    "billing:paymentmethod_add_invoice": "adds paying by invoice (POST only)",
    "billing:paymentmethod_default": "makes a payment method the default (POST only)",
    "billing:paymentmethod_remove": "removes a payment method (POST only)",
    "billing:invoice_pay": "pays an invoice (POST only)",
    "groups:group_restore": "restores a deleted group",
    "groups:group_add_start": "starts adding a group",
    "groups:group_add": "a step of adding a group",
    "groups:address_check": "checks a new group's address while adding it",
    "support:request_open": "opens a service request",
    "support:request_reply": "writes to support on a request (POST only)",
    "support:request_close": "closes a service request (POST only)",
    "org_settings:domain_verify": "verifies a domain (POST only)",
    "org_settings:domain_set_default": "makes a domain the default (POST only)",
    "org_settings:domain_remove": "removes a domain (POST only)",
    "resources:resource_add": "adds a room or equipment",
    "api:apiclient_add": "adds an API client and shows its secret",
    "api:apiclient_rotate": "gives an API client a new secret",
    "api:apiclient_revoke": "revokes an API client",
    "org_settings:partner_request": "asks a customer for partner access",
    "org_settings:partner_approve": "approves a partner's request (POST only)",
    "org_settings:partner_decline": "declines a partner's request (POST only)",
    "org_settings:partner_withdraw": "withdraws a request to a customer (POST only)",
    "org_settings:partner_end": "ends a partner relationship",
    "org_settings:partner_access": "chooses which partner admins act for a customer (POST only)",
    "sso:provider_add": "adds an identity provider",
    "sso:provider_change": "changes an identity provider",
    "sso:provider_test": "starts a test sign-in at an identity provider (POST only)",
    "sso:provider_on": "switches single sign-on on (POST only)",
    "sso:provider_off": "switches single sign-on off (POST only)",
    "sso:provider_remove": "removes an identity provider",
}

# Pages where anyone signed in may POST: their own account, security info and
# which announcements they have read.
OWN_ACCOUNT_NAMESPACES = {"security_info"}
OWN_ACCOUNT_ROUTES = {
    "accounts:my_account",
    "accounts:password_change",
    "accounts:language",
    "health:message_center",
    "health:messages_mark_read",
    "health:message_detail",
}

# Audit events that record no change.
READ_OR_REFUSAL_EVENTS = {
    "users.export": "an export of users, which the reader may read",
    "password.reset_denied": "a password reset refused",
}

# Objects a person owns: each viewer opens their own, never the other's.
OWNED_BY_THE_VIEWER = {ExportJob, ImportJob, PasskeyDevice, TOTPDevice}
# Values of routes' other parameters.
SLUGS = {
    "groups:group_add": {"step": STEP_NAMES},
    "reports:report": {"slug": list(REPORTS)},
    "sso:provider_add": {"protocol": ["oidc", "saml"]},
}


def _incident(tenant, admin):
    service = Service.objects.get_or_create(name="Mail")[0]
    return Incident.objects.create(service=service, title="Mail is slow")


def _announcement(tenant, admin):
    return Announcement.objects.create(category="inform", title="New", body="News")


HEALTH = {"incident_id": _incident, "message_id": _announcement}


def routes():
    """Yield (url name, pattern) for every route of the admin center."""
    for namespaces, pattern in _walk(get_resolver().url_patterns):
        if namespaces and namespaces[0] in SKIPPED_NAMESPACES:
            continue
        name = ":".join((*namespaces, pattern.name))
        if name not in SKIPPED_ROUTES:
            yield name, pattern


ROUTES = dict(routes())


def urls(name, people, viewer):
    """Return the URLs of route ``name`` for ``viewer``: one per value of its parameters."""
    pattern = ROUTES[name]
    converters = getattr(pattern.pattern, "converters", {})
    kwargs = [{}]
    for param, converter in converters.items():
        if isinstance(converter, IntConverter):
            values = [people.object(pattern, param, viewer).pk]
        else:
            values = SLUGS[name][param]
        kwargs = [{**done, param: value} for done in kwargs for value in values]
    return [reverse(name, kwargs=each) for each in kwargs]


class People:
    """An organization with a Global admin and a Global reader, and its objects made once."""

    def __init__(self):
        self.tenant = make_tenant()
        self.admin = make_user(self.tenant, "admin", roles=[GLOBAL_ADMIN])
        self.reader = make_user(self.tenant, "reader", roles=[GLOBAL_READER])
        self._objects = {}

    def object(self, pattern, param, viewer):
        if param in HEALTH:
            key, make = param, HEALTH[param]
        else:
            model = pattern.callback.view_class.model
            owner = viewer if model in OWNED_BY_THE_VIEWER else self.admin
            key, make = (model, owner.pk), lambda tenant, _admin: FACTORIES[model](tenant, owner)
        if key not in self._objects:
            self._objects[key] = make(self.tenant, self.admin)
        return self._objects[key]


@pytest.fixture
def people():
    return People()


def test_the_sweep_finds_the_admin_centers_pages():
    assert {"resources:resource_list", "support:request_detail", "users:user_list"} <= set(ROUTES)
    assert set(WRITES_BY_NATURE) <= set(ROUTES), set(WRITES_BY_NATURE) - set(ROUTES)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_the_global_reader_opens_every_page_a_global_admin_opens(client, people, name):
    admin_urls, reader_urls = urls(name, people, people.admin), urls(name, people, people.reader)
    for admin_url, reader_url in zip(admin_urls, reader_urls, strict=True):
        sign_in(client, people.admin)
        as_admin = client.get(admin_url)
        assert not _offers_a_blank_radio(as_admin), f"{admin_url}: a radio button with no value"
        sign_in(client, people.reader)
        if name in WRITES_BY_NATURE:
            # Straight away, or after a wizard sends them to its first step.
            as_reader = client.get(reader_url, follow=True)
            assert as_reader.status_code == 403, f"{reader_url}: {WRITES_BY_NATURE[name]}"
            continue
        as_reader = client.get(reader_url)
        assert as_reader.status_code == as_admin.status_code, (
            f"GET {reader_url}: the Global admin gets {as_admin.status_code}, "
            f"the Global reader {as_reader.status_code}"
        )


def _offers_a_blank_radio(response):
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    return re.search(r'<input type="radio"[^>]* value=""', response.content.decode()) is not None


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_no_post_of_the_global_reader_records_a_change(client, people, name):
    if name.split(":")[0] in OWN_ACCOUNT_NAMESPACES or name in OWN_ACCOUNT_ROUTES:
        pytest.skip("the reader's own account")
    sign_in(client, people.reader)
    for url in urls(name, people, people.reader):
        last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for body in ({}, {"action": "delete"}, {"action": "close"}):
            response = client.post(url, body)
            assert response.status_code < 500, f"POST {url} {body}: {response.status_code}"
        recorded = set(AuditEvent.objects.filter(pk__gt=last).values_list("action", flat=True))
        assert recorded <= set(READ_OR_REFUSAL_EVENTS), f"POST {url} recorded {recorded}"
