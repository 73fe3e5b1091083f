"""People without an organization (platform operators) never reach a tenant page.

The walk covers every route of the URLconf outside the operators' site and the few
pages every account has (signing in and out, one's own password), so a new area is
covered the moment it is routed. An operator gets a redirect to the operators' site
(or a 403/404), never the page and never a 500, whether signed in with a password
only or verified with a second factor.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.middleware import OPERATOR_NAMESPACES, OPERATOR_PAGES
from accounts.roles import GLOBAL_ADMIN
from tests.accounts.test_admin import verified_operator_client
from tests.factories import make_operator, make_tenant, make_user
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def _routes(patterns=None, prefix="", namespace=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, namespace, prefix + str(pattern.pattern)


def _path(route, object_id):
    """Return ``route`` with every converter filled in: an id of a real object, or a word."""
    import re

    def fill(match):
        converter = match.group(1) or "str"
        return str(object_id) if converter == "int" else "x"

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", fill, route)


TENANT_ROUTES = sorted(
    {
        (name, route)
        for name, namespace, route in _routes()
        if (namespace or "").split(":")[0] not in OPERATOR_NAMESPACES and name not in OPERATOR_PAGES
    }
)


def test_the_walk_covers_the_tenant_areas():
    names = {name for name, _route in TENANT_ROUTES}
    for expected in (
        "accounts:home",
        "accounts:my_account",
        "accounts:auditevent_list",
        "billing:billingaccount_list",
        "org_settings:security",
        "org_settings:releases",
        "org_settings:domain_list",
        "api:apiclient_list",
        "api:apiclient_detail",
        "users:user_list",
        "users:user_detail",
        "groups:group_list",
        "security_info:index",
        "search",
    ):
        assert expected in names
    assert not any(name.startswith("admin:") for name in names)


@pytest.fixture
def tenant_objects():
    tenant = make_tenant()
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN])
    return tenant, admin


def _assert_kept_out(response, path, method):
    assert response.status_code in (302, 403, 404), (method, path, response.status_code)
    if response.status_code == 302:
        assert response["Location"].startswith("/operators/"), (method, path, response)


@pytest.mark.parametrize("verified", [False, True], ids=["password-only", "verified"])
def test_an_operator_never_opens_a_tenant_page(client, tenant_objects, verified):
    _tenant, admin = tenant_objects
    if verified:
        verified_operator_client(client)
    else:
        sign_in(client, make_operator())
    client.raise_request_exception = False

    for _name, route in TENANT_ROUTES:
        path = _path(route, admin.pk)
        _assert_kept_out(client.get(path), path, "GET")
        _assert_kept_out(client.post(path, {"name": "x", "q": "x"}), path, "POST")
        _assert_kept_out(client.get(path, headers={"HX-Request": "true"}), path, "GET (htmx)")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/billing/accounts/"),
        ("get", "/settings/security/"),
        ("get", "/settings/releases/"),
        ("post", "/settings/domains/"),
    ],
)
def test_the_pages_that_answered_500_send_an_operator_to_the_operators_site(client, method, path):
    sign_in(client, make_operator())
    client.raise_request_exception = False

    response = getattr(client, method)(path, {"name": "new.example"} if method == "post" else {})

    assert response.status_code == 302
    assert response["Location"] == "/operators/"


def test_an_operator_still_signs_out_and_changes_their_own_password(client):
    sign_in(client, make_operator())

    assert client.get("/account/password/").status_code == 200
    assert client.post("/signout/").status_code == 302


def test_a_tenant_user_still_opens_the_tenant_pages(client, tenant_objects):
    _tenant, admin = tenant_objects
    sign_in(client, admin)

    for path in ("/billing/accounts/", "/settings/security/", "/settings/releases/", "/users/"):
        assert client.get(path).status_code == 200, path


def test_the_tenant_view_mixin_refuses_people_without_an_organization():
    """The mixin holds on its own too (a view routed past the middleware's rule)."""
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory
    from django.views.generic import TemplateView

    from accounts.mixins import TenantScopedMixin

    class Page(TenantScopedMixin, TemplateView):
        permission_required = "accounts.view_user"
        template_name = "403.html"

    request = RequestFactory().get("/anything/")
    request.user = make_operator()
    request.tenant = None

    with pytest.raises(PermissionDenied):
        Page.as_view()(request)
