"""Tenant isolation sweep of POST bodies: ids in a form, a bulk selection, a picked row.

tests/security/test_isolation.py sweeps the ids in URLs. This sweep covers the
ids a view reads from a POST body: the selection of a bulk action, the people
of a group, the subscription a license comes from, the payment method that
pays. For every such route it POSTs, as the organization's Global admin and
with everything else valid, the id of another organization's object, and
checks that

- the answer is the one a missing id gets: 404, or for the few cases that say
  why (FORM_ERROR_ROUTES) the same form error or error message, which names
  nothing of the other organization. Another organization's id looks exactly
  like a missing one;
- nothing changed in the other organization (every row that belongs to it or
  to its users, its audit trail included), nor in ours;
- a selection of several ids that mixes one of ours with a foreign one changes
  nothing in either organization (all or nothing), and the same selection
  without the foreign id is taken up, so the case is not refused for its
  other values.

The routes are found by walking the URLconf and reading the forms each view
uses (``form_class``, a wizard's ``form_list``, and the form classes named in
its methods): a form field that carries an id (a model choice field, a list
of ids, an integer named after a model) makes the route one to sweep, and
each such field must get a foreign id in one of the route's cases. When this
test fails for a new route or field, add a case to CASES (a route's further
fields to EXTRA_CASES), or, for a field of rows that no organization owns, a
reason to NOT_TENANT_ROWS. EXTRA_CASES also holds what the finding cannot
see: a domain picked by its name, and an id in the URL sent with a valid body.
"""

import inspect
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.db import models
from django.urls import get_resolver, reverse

from accounts.models import AuditEvent, Domain, Tenant, User
from accounts.partners import partner_decide, partner_request
from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN
from billing import services as billing_services
from billing.forms import IdListField
from billing.models import PaymentMethod
from groups.models import Membership
from resources.models import Resource
from support.models import ServiceRequest
from tests.billing.factories import make_invoice_method, make_subscription
from tests.factories import make_tenant, make_user
from tests.groups.factories import WIZARD_STEP, make_group
from tests.helpers import assert_not_found, make_phone
from tests.security.test_isolation import _make_invoice, _walk

pytestmark = pytest.mark.django_db

# The add-user wizard's management field: which step a POST answers.
USER_ADD_STEP = "users_add-current_step"


# --- Finding the routes -----------------------------------------------------------

PROJECT_ROOT = Path(settings.BASE_DIR).resolve()
MODEL_NAMES = {
    re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower() for model in apps.get_models()
}


def _is_project_code(obj):
    module = sys.modules.get(getattr(obj, "__module__", ""), None)
    path = getattr(module, "__file__", None)
    if not path:
        return False
    path = Path(path).resolve()
    return PROJECT_ROOT in path.parents and ".venv" not in path.parts


def _carries_ids(name, form_field):
    """Return whether a form field's value names rows (by id)."""
    if isinstance(form_field, (forms.ModelChoiceField, IdListField)):
        return True
    if name == "ids" or name.endswith("_id"):
        return True
    # An integer named after a model: a row picked by its id (billing's payment_method).
    return isinstance(form_field, forms.IntegerField) and name in MODEL_NAMES


def _code_names(code):
    yield from code.co_names
    for const in code.co_consts:
        if inspect.iscode(const):
            yield from _code_names(const)


# Methods that build forms only to show them on a GET page (a group's page shows the
# people picker whose POST goes to the members' URLs): a form named there is not parsed
# from this route's POST.
GET_ONLY_METHODS = {"get", "get_context_data"}


def _form_classes(view_class):
    """Return the form classes the view uses: its attributes and those its methods name."""
    found = set()

    def add(candidate):
        if isinstance(candidate, type) and issubclass(candidate, forms.BaseForm):
            found.add(candidate)

    for klass in view_class.__mro__:
        if not _is_project_code(klass):
            continue
        for attr, value in vars(klass).items():
            add(value)
            if attr == "form_list":
                for entry in value.values() if isinstance(value, dict) else value:
                    for part in entry if isinstance(entry, tuple) else (entry,):
                        add(part)
            if attr in GET_ONLY_METHODS:
                continue
            function = getattr(value, "__func__", value)
            if not inspect.isfunction(function):
                continue
            scope = function.__globals__
            for name in set(_code_names(function.__code__)):
                add(scope.get(name))
                for module in [v for v in scope.values() if inspect.ismodule(v)]:
                    add(getattr(module, name, None))
    return found


def post_routes_with_ids():
    """Return {url name: sorted "Form.field" names} of the routes that read ids from a POST."""
    routes = {}
    for namespaces, pattern in _walk(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "view_class", None)
        if view_class is None or not hasattr(view_class, "post"):
            continue
        if "post" not in view_class.http_method_names:
            continue
        fields = sorted(
            f"{form.__name__}.{name}"
            for form in _form_classes(view_class)
            for name, form_field in form.base_fields.items()
            if _carries_ids(name, form_field)
        )
        if fields:
            routes[":".join((*namespaces, pattern.name))] = fields
    return routes


# --- The two organizations ----------------------------------------------------------


@dataclass
class World:
    """The organization (signed in as its Global admin) and the other one."""

    tenant: Tenant
    admin: User
    other: Tenant
    other_admin: User
    client: object


@pytest.fixture
def world(tenant, admin, admin_client):
    other = make_tenant()
    return World(tenant, admin, other, make_user(other, roles=[GLOBAL_ADMIN]), admin_client)


def foreign(obj, attr="pk"):
    """The value that names ``obj`` itself."""
    return getattr(obj, attr)


def missing(obj, attr="pk"):
    """A value of the same kind as ``obj``'s that names no row at all."""
    if attr == "username":
        return f"ghost-{obj.pk}@{obj.username.split('@')[1]}"
    if attr == "name":  # a domain's name
        return f"ghost-{obj.pk}.example"
    last = type(obj)._base_manager.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1000


@dataclass
class Post:
    """One POST of a case: where to, and its data with ``ref`` naming the foreign rows.

    ``own`` gives, per multi-valued field, ids of our organization's rows to mix
    in; ``before`` runs before each POST (a wizard's earlier steps).
    """

    url: str | Callable[[Callable], str]
    data: Callable[[Callable], dict]
    own: dict = field(default_factory=dict)
    before: Callable[[], None] | None = None


@dataclass
class Case:
    """How to POST foreign ids to a route, and what it answers.

    ``fields`` are the form fields that get the foreign ids. ``answer`` is
    "404"; "form": the page again, with an error that names nothing foreign;
    or "message": back to the page, with an error message that names nothing
    foreign. ``answered=False``: the route answers no POST at all (404).
    """

    build: Callable[[World], Post]
    fields: list
    answer: str = "404"
    why: str = ""
    answered: bool = True


# --- Builders -------------------------------------------------------------------


def _licensed(tenant, admin, users, subscription):
    billing_services.license_assign(
        tenant=tenant, acting_user=admin, subscription=subscription, users=users
    )


def _bulk(url_name, *, blocked=False, **extra):
    def build(w):
        theirs = make_user(w.other, is_sign_in_blocked=blocked)
        ours = make_user(w.tenant, is_sign_in_blocked=blocked)
        return Post(
            reverse(f"users:{url_name}"),
            lambda ref: {"ids": [ref(theirs)], "confirm": "on", **extra},
            own={"ids": [ours.pk]},
        )

    return build


def _bulk_license(url_name, *, foreign_part):
    def build(w):
        ours, theirs = make_user(w.tenant), make_user(w.other)
        our_sub, their_sub = make_subscription(w.tenant), make_subscription(w.other)
        if url_name.endswith("unassign"):
            _licensed(w.tenant, w.admin, [ours], our_sub)
            _licensed(w.other, w.other_admin, [theirs], their_sub)
        if foreign_part == "ids":
            return Post(
                reverse(f"users:{url_name}"),
                lambda ref: {"ids": [ref(theirs)], "subscription": our_sub.pk, "confirm": "on"},
                own={"ids": [ours.pk]},
            )
        return Post(
            reverse(f"users:{url_name}"),
            lambda ref: {"ids": [ours.pk], "subscription": ref(their_sub), "confirm": "on"},
        )

    return build


def _role_remove(w):
    theirs = make_user(w.other, roles=[HELPDESK_ADMIN])
    return Post(
        reverse("users:role_remove"), lambda ref: {"role": HELPDESK_ADMIN, "user": ref(theirs)}
    )


def _role_assign(w):
    theirs = make_user(w.other)
    return Post(
        reverse("users:role_assign"), lambda ref: {"role": HELPDESK_ADMIN, "user": ref(theirs)}
    )


def _user_licenses(w):
    ours = make_user(w.tenant)
    our_sub, their_sub = make_subscription(w.tenant), make_subscription(w.other)
    return Post(
        reverse("users:user_licenses", args=[ours.pk]),
        lambda ref: {"subscriptions": [ref(their_sub)]},
        own={"subscriptions": [our_sub.pk]},
    )


def _user_groups(url_name, *, member):
    def build(w):
        ours = make_user(w.tenant)
        our_group = make_group(w.tenant, w.admin, "security", name="Ours")
        their_group = make_group(w.other, w.other_admin, "security", name="Theirs")
        if member:
            Membership.objects.create(
                tenant=w.tenant, group=our_group, user=ours, role=Membership.Role.MEMBER
            )
        return Post(
            reverse(f"users:{url_name}", args=[ours.pk]),
            lambda ref: {"groups": [ref(their_group)], "role": "member"},
            own={"groups": [our_group.pk]},
        )

    return build


def _user_method_remove(w):
    theirs = make_user(w.other)
    make_phone(theirs)
    # The URL names the user; the body is a valid choice of method.
    return Post(
        lambda ref: reverse("users:user_method_remove", args=[ref(theirs)]),
        lambda ref: {"method": "phone"},
    )


def _their_domain(w):
    return Domain.objects.get(tenant=w.other, is_default=True)


def _resource(tenant, name):
    domain = tenant.domain_set.get(is_default=True).name
    return Resource.objects.create(
        tenant=tenant, kind="room", name=name, email=f"{name.lower()}@{domain}"
    )


def _resource_edit_theirs(w):
    theirs = _resource(w.other, "Theirs")
    return Post(
        lambda ref: reverse("resources:resource_edit", args=[ref(theirs)]),
        lambda ref: {
            "kind": "room",
            "name": "Taken over",
            "local_part": "taken",
            "domain": w.tenant.domain_set.get(is_default=True).name,
        },
    )


def _resource_edit_their_domain(w):
    ours = _resource(w.tenant, "Ours")
    their_domain = _their_domain(w)
    return Post(
        reverse("resources:resource_edit", args=[ours.pk]),
        lambda ref: {
            "kind": "room",
            "name": "Ours",
            "local_part": "ours",
            "domain": ref(their_domain, "name"),
        },
    )


def _user_rename_their_domain(w):
    ours = make_user(w.tenant)
    their_domain = _their_domain(w)
    return Post(
        reverse("users:user_rename", args=[ours.pk]),
        lambda ref: {"local_part": "moved", "domain": ref(their_domain, "name")},
    )


def _request_reply_theirs(w):
    theirs = ServiceRequest.objects.create(
        tenant=w.other, title="T", description="D", severity="low", contact_email="a@b.example"
    )
    return Post(
        lambda ref: reverse("support:request_reply", args=[ref(theirs)]),
        lambda ref: {"body": "We read your request."},
    )


def _user_add_license(w):
    make_subscription(w.tenant)
    their_sub = make_subscription(w.other)
    domain = w.tenant.domain_set.get(is_default=True).name

    def basics():
        w.client.get("/users/add/")
        w.client.post(
            "/users/add/",
            {
                USER_ADD_STEP: "basics",
                "first_name": "Adele",
                "last_name": "Vance",
                "local_part": "adele",
                "domain": domain,
                "mode": "generate",
                "require_change": "on",
            },
        )

    return Post(
        "/users/add/",
        lambda ref: {
            USER_ADD_STEP: "details",
            "licenses": [ref(their_sub)],
            "usage_location": "NL",
        },
        before=basics,
    )


def _partner_access(w):
    # The organization is a partner with an active relationship; the admin it names is
    # the other organization's.
    for tenant in {w.tenant, w.admin.tenant}:
        tenant.is_partner = True
    w.tenant.save(update_fields=["is_partner"])
    customer = make_tenant()
    relationship = partner_decide(
        actor=make_user(customer, roles=[GLOBAL_ADMIN]),
        relationship=partner_request(
            actor=w.admin,
            domain=customer.domain_set.get().name,
            roles=[HELPDESK_ADMIN],
            days=30,
        ),
        approve=True,
    )
    theirs = make_user(w.other, roles=[HELPDESK_ADMIN])
    return Post(
        reverse("org_settings:partner_access", args=[relationship.pk]),
        lambda ref: {"user": ref(theirs), "roles": [HELPDESK_ADMIN]},
    )


def _releases(part):
    def build(w):
        ours = make_user(w.tenant, early_release=part == "remove")
        theirs = make_user(w.other, early_release=part == "remove")
        return Post(
            reverse("org_settings:releases"),
            lambda ref: {"release_track": "early_selected", part: [ref(theirs)]},
            own={part: [ours.pk]},
        )

    return build


def _buy(url_name):
    def build(w):
        their_card = _card(w.other)
        make_invoice_method(w.tenant)
        product = make_subscription(w.tenant).product
        return Post(
            reverse(f"billing:{url_name}"),
            lambda ref: {
                "product": product.pk,
                "quantity": 2,
                "frequency": "monthly",
                "payment_method": ref(their_card),
            },
        )

    return build


def _card(tenant):
    return PaymentMethod.objects.create(
        tenant=tenant,
        kind=PaymentMethod.Kind.CARD,
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=date.today().year + 2,
        holder_name="Card Holder",
    )


def _subscription_payment_method(w):
    ours = make_subscription(w.tenant)
    their_card = _card(w.other)
    return Post(
        reverse("billing:subscription_payment_method", args=[ours.pk]),
        lambda ref: {"payment_method": ref(their_card)},
    )


def _invoice_pay(w):
    invoice = _make_invoice(w.tenant, w.admin)
    their_card = _card(w.other)
    return Post(
        reverse("billing:invoice_pay", args=[invoice.pk]),
        lambda ref: {"payment_method": ref(their_card)},
    )


def _license(url_name):
    def build(w):
        ours, theirs = make_user(w.tenant), make_user(w.other)
        our_sub = make_subscription(w.tenant)
        if url_name.endswith("unassign"):
            their_sub = make_subscription(w.other)
            _licensed(w.tenant, w.admin, [ours], our_sub)
            _licensed(w.other, w.other_admin, [theirs], their_sub)
        return Post(
            reverse(f"billing:{url_name}", args=[our_sub.pk]),
            lambda ref: {"users": [ref(theirs)]},
            own={"users": [ours.pk]},
        )

    return build


def _group_bulk_delete(w):
    ours = make_group(w.tenant, w.admin, "security", name="Ours")
    theirs = make_group(w.other, w.other_admin, "security", name="Theirs")
    return Post(
        reverse("groups:group_bulk_delete"),
        lambda ref: {"ids": [ref(theirs)]},
        own={"ids": [ours.pk]},
    )


def _group_people(url_name, role):
    def build(w):
        group = make_group(w.tenant, w.admin, "team", name="Ours")
        ours, theirs = make_user(w.tenant), make_user(w.other)
        their_group = make_group(w.other, w.other_admin, "team", name="Theirs")
        Membership.objects.create(tenant=w.other, group=their_group, user=theirs, role=role)
        if url_name.endswith("remove"):
            Membership.objects.create(tenant=w.tenant, group=group, user=ours, role=role)
        return Post(
            reverse(f"groups:{url_name}", args=[group.pk]),
            lambda ref: {"users": [ref(theirs)]},
            own={"users": [ours.pk]},
        )

    return build


def _start_group_wizard(w):
    client = w.client
    client.get("/groups/add/?start=1")
    client.post("/groups/add/type/", {WIZARD_STEP: "type", "kind": "team"})
    client.post("/groups/add/basics/", {WIZARD_STEP: "basics", "name": "New", "description": ""})


def _group_add_step(url):
    def build(w):
        ours, theirs = make_user(w.tenant), make_user(w.other)
        return Post(
            url,
            lambda ref: {WIZARD_STEP: "owners", "owners": [ref(theirs)]},
            own={"owners": [ours.pk]},
            before=lambda: _start_group_wizard(w),
        )

    return build


CASES = {
    # Users: the bulk actions of the list.
    "users:user_bulk_block": Case(_bulk("user_bulk_block"), ["ids"]),
    "users:user_bulk_unblock": Case(_bulk("user_bulk_unblock", blocked=True), ["ids"]),
    "users:user_bulk_password_reset": Case(
        _bulk("user_bulk_password_reset", require_change="on"), ["ids"]
    ),
    "users:user_bulk_delete": Case(_bulk("user_bulk_delete"), ["ids"]),
    "users:user_bulk_export": Case(_bulk("user_bulk_export"), ["ids"]),
    "users:user_bulk_license_assign": Case(
        _bulk_license("user_bulk_license_assign", foreign_part="ids"), ["ids"]
    ),
    "users:user_bulk_license_unassign": Case(
        _bulk_license("user_bulk_license_unassign", foreign_part="ids"), ["ids"]
    ),
    # Users: one user's roles, licenses and groups.
    "users:role_remove": Case(_role_remove, ["user"]),
    "users:role_assign": Case(_role_assign, ["user"]),
    "users:user_licenses": Case(_user_licenses, ["subscriptions"]),
    "users:user_groups_join": Case(_user_groups("user_groups_join", member=False), ["groups"]),
    "users:user_groups_leave": Case(_user_groups("user_groups_leave", member=True), ["groups"]),
    # Settings: the users who get early releases.
    "org_settings:releases": Case(_releases("add"), ["add"]),
    "org_settings:partner_access": Case(_partner_access, ["user"]),
    # Billing: the payment method that pays, the users who get a license.
    "billing:subscription_buy": Case(
        _buy("subscription_buy"),
        ["payment_method"],
        answer="form",
        why="the payment method is a select of the page; a stale pick is told there",
    ),
    "billing:subscription_buy_confirm": Case(
        _buy("subscription_buy_confirm"),
        ["payment_method"],
        answer="form",
        why="the confirmation posts the buy form again; a stale pick is told on the buy page",
    ),
    "billing:subscription_payment_method": Case(_subscription_payment_method, ["payment_method"]),
    "billing:invoice_pay": Case(_invoice_pay, ["payment_method"]),
    "billing:license_assign": Case(_license("license_assign"), ["users"]),
    "billing:license_unassign": Case(_license("license_unassign"), ["users"]),
    # Groups: the list's selection, the people of a group, the owners of a new group.
    "groups:group_bulk_delete": Case(_group_bulk_delete, ["ids"]),
    "groups:group_owners_add": Case(
        _group_people("group_owners_add", Membership.Role.OWNER), ["users"]
    ),
    "groups:group_owners_remove": Case(
        _group_people("group_owners_remove", Membership.Role.OWNER), ["users"]
    ),
    "groups:group_members_add": Case(
        _group_people("group_members_add", Membership.Role.MEMBER), ["users"]
    ),
    "groups:group_members_remove": Case(
        _group_people("group_members_remove", Membership.Role.MEMBER), ["users"]
    ),
    "groups:group_add": Case(_group_add_step("/groups/add/owners/"), ["owners"]),
    "groups:group_add_start": Case(
        _group_add_step("/groups/add/"),
        ["owners"],
        answered=False,
        why="the wizard's first URL only sends to a step: every POST to it is 404",
    ),
}

# Cases beyond the automatic finding: a value that names another organization's
# row without being a model choice (a sign-in name), the other id of a form with
# two, and an id in the URL with a valid body.
EXTRA_CASES = {
    "users:user_bulk_license_assign (subscription)": Case(
        _bulk_license("user_bulk_license_assign", foreign_part="subscription"), ["subscription"]
    ),
    "users:user_bulk_license_unassign (subscription)": Case(
        _bulk_license("user_bulk_license_unassign", foreign_part="subscription"), ["subscription"]
    ),
    "org_settings:releases (remove)": Case(_releases("remove"), ["remove"]),
    "users:user_method_remove (a valid method)": Case(_user_method_remove, []),
    # The add-user wizard offers the organization's subscriptions as plain choices.
    "users:user_add (a license of the other organization)": Case(
        _user_add_license,
        ["licenses"],
        answer="form",
        why="the licenses are checkboxes of the step; a stale one is told there",
    ),
    "support:request_reply (a valid reply)": Case(_request_reply_theirs, []),
    "resources:resource_edit (a valid form)": Case(_resource_edit_theirs, []),
    # A domain is picked by its name from the organization's own: a choice, not a row.
    "resources:resource_edit (the other organization's domain)": Case(
        _resource_edit_their_domain,
        ["domain"],
        answer="form",
        why="the domain is a select of the page's address; a stale pick is told there",
    ),
    "users:user_rename (the other organization's domain)": Case(
        _user_rename_their_domain,
        ["domain"],
        answer="form",
        why="the domain is a select of the page's address; a stale pick is told there",
    ),
}

# Fields that carry an id of a row that no organization owns.
NOT_TENANT_ROWS = {
    "BuyForm.product": "products are the platform's catalogue, the same for every organization",
}

ALL_CASES = {**CASES, **EXTRA_CASES}

# The routes whose answer to a foreign id is a form error, not 404, and why.
FORM_ERROR_ROUTES = {name: case.why for name, case in ALL_CASES.items() if case.answer != "404"}

ROUTES = post_routes_with_ids()


def test_the_sweep_finds_the_routes_with_ids_in_a_post():
    assert "users:user_bulk_block" in ROUTES, ROUTES
    assert "groups:group_members_add" in ROUTES, ROUTES
    assert "billing:invoice_pay" in ROUTES, ROUTES


def test_every_route_with_an_id_in_a_post_has_a_case():
    uncovered = {name: fields for name, fields in ROUTES.items() if name not in CASES}
    assert not uncovered, (
        "These routes read an object id from a POST body: add a case for each to CASES "
        f"in {__name__}: {uncovered}"
    )
    stale = sorted(set(CASES) - set(ROUTES))
    assert not stale, f"CASES names routes that read no id from a POST body: {stale}"
    for name, reason in FORM_ERROR_ROUTES.items():
        assert reason.strip(), f"{name} answers a form error: say why in its case"


def test_every_id_field_of_a_route_gets_a_foreign_id_in_a_case():
    covered = {}
    for name, case in ALL_CASES.items():
        covered.setdefault(name.split(" ")[0], set()).update(case.fields)
    uncovered = sorted(
        f"{route}: {form_field}"
        for route, form_fields in ROUTES.items()
        for form_field in form_fields
        if form_field not in NOT_TENANT_ROWS
        and form_field.split(".")[1] not in covered.get(route, ())
    )
    assert not uncovered, (
        "These id fields get no foreign id in any case: add a case (EXTRA_CASES for a "
        f"route's second field) or, for rows of no organization, NOT_TENANT_ROWS: {uncovered}"
    )


# --- The snapshot of an organization ---------------------------------------------


def _scoped_rows(model, tenant):
    """Return the rows of ``model`` that belong to ``tenant`` or name one of its users.

    None for a model of no tenant. A row of another organization that names one
    of this organization's users (a license given to a foreign user) counts.
    """
    if model is Tenant:
        return model._base_manager.filter(pk=tenant.pk)
    scope = models.Q()
    for model_field in model._meta.concrete_fields:
        if not isinstance(model_field, models.ForeignKey):
            continue
        if model_field.related_model is Tenant:
            scope |= models.Q(**{model_field.name: tenant})
        elif issubclass(User, model_field.related_model):
            scope |= models.Q(**{f"{model_field.name}__tenant": tenant})
    return model._base_manager.filter(scope) if scope else None


def snapshot(tenant):
    """Return every row of ``tenant`` (its users, their devices, its audit trail, ...)."""
    rows = {}
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        queryset = _scoped_rows(model, tenant)
        if queryset is not None:
            rows[model._meta.label] = sorted(repr(row) for row in queryset.values_list())
    rows["audit events"] = AuditEvent.objects.filter(tenant=tenant).count()
    return rows


def assert_unchanged(before, after, who):
    changed = {
        label for label in before.keys() | after.keys() if before.get(label) != after.get(label)
    }
    assert not changed, f"{who}'s rows changed: {sorted(changed)}"


# --- The sweep ------------------------------------------------------------------


def _page(response):
    """Return the response's page without what differs on every answer."""
    content = response.content.decode()
    content = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", content)
    return re.sub(r'name="next" value="[^"]*"', "", content)


def _send(world, post, ref, data=None):
    if post.before:
        post.before()
    url = post.url(ref) if callable(post.url) else post.url
    return world.client.post(url, post.data(ref) if data is None else data)


def _assert_answer(case, response, missing_response, scrub=()):
    if case.answer == "404":
        assert_not_found(response)
        assert_not_found(missing_response)
    elif case.answer == "form":
        assert response.status_code == 200, response.status_code
        assert missing_response.status_code == 200, missing_response.status_code
        assert 'class="errorlist' in response.content.decode() or "alert" in _page(response)
    else:  # "message": back where the action started (followed), with an error message
        assert response.status_code == 200, response.status_code
        assert missing_response.status_code == 200, missing_response.status_code
        assert "message-error" in response.content.decode()
    foreign_page, missing_page = _page(response), _page(missing_response)
    # A typed value (a sign-in name) is shown back as typed, and a plain choice's
    # error repeats the value sent; neither names anything the value does not.
    for old, new in scrub:
        if isinstance(old, str):
            foreign_page = foreign_page.replace(old, "TYPED")
            missing_page = missing_page.replace(new, "TYPED")
        else:
            foreign_page = foreign_page.replace(f" {old} is not one of", " ID is not one of")
            missing_page = missing_page.replace(f" {new} is not one of", " ID is not one of")
    # Another organization's id looks exactly like one that does not exist.
    assert foreign_page == missing_page


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_another_organizations_id_in_a_post_is_not_found_and_changes_nothing(world, name):
    case = ALL_CASES[name]
    post = case.build(world)
    refs = []

    def record(ref):
        def named(obj, attr="pk"):
            value = ref(obj, attr)
            refs.append((obj, attr, value))
            return value

        return named

    theirs_before, ours_before = snapshot(world.other), snapshot(world.tenant)
    response = _send(world, post, record(foreign))
    # What changed (a leak's harm) is told before how the answer differs.
    assert_unchanged(theirs_before, snapshot(world.other), "the other organization")
    assert_unchanged(ours_before, snapshot(world.tenant), "the organization")
    if case.answer == "message":
        assert response.status_code == 302, response.status_code
        response = world.client.get(response.url)
    missing_response = _send(world, post, record(missing))
    if case.answer == "message":
        assert missing_response.status_code == 302, missing_response.status_code
        missing_response = world.client.get(missing_response.url)
    half = len(refs) // 2
    scrub = [(a[2], b[2]) for a, b in zip(refs[:half], refs[half:], strict=True)]
    _assert_answer(case, response, missing_response, scrub)
    assert_unchanged(theirs_before, snapshot(world.other), "the other organization")
    assert_unchanged(ours_before, snapshot(world.tenant), "the organization")


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_a_selection_mixing_our_id_with_a_foreign_one_changes_nothing(world, name):
    case = ALL_CASES[name]
    post = case.build(world)
    if not post.own:
        pytest.skip("one id, no selection to mix")
    mixed = post.data(foreign)
    for key, ids in post.own.items():
        mixed[key] = [*ids, *mixed[key]]

    theirs_before, ours_before = snapshot(world.other), snapshot(world.tenant)
    response = _send(world, post, foreign, mixed)
    assert_unchanged(theirs_before, snapshot(world.other), "the other organization")
    assert_unchanged(ours_before, snapshot(world.tenant), "the organization")
    if case.answer == "404":
        assert_not_found(response)
    else:
        assert response.status_code in (200, 302), response.status_code

    own_only = {**post.data(foreign), **post.own}
    taken = _send(world, post, foreign, own_only)
    if not case.answered:
        assert_not_found(taken)
        return
    # Without the foreign id, the same selection is taken up: the case is valid.
    assert taken.status_code in (200, 302), taken.status_code
    if taken.status_code == 302:
        assert not taken.url.startswith(reverse("accounts:signin")), taken.url
