"""The top bar: rendered once per process for each kind of page, with each person's values."""

import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN
from admin_portal.templatetags.portal import TOPBAR_TEMPLATE, _topbar_pieces
from tests.factories import make_tenant, make_user
from tests.helpers import sign_in

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')


def topbar(response):
    content = response.content.decode()
    return re.search(r'<header class="topbar">.*?</header>', content, re.S).group(0)


def direct(user, path, *, search_q="", token=""):
    """The top bar rendered straight from its template with the person's values."""
    tenant = user.tenant
    may_search = user.has_perm("accounts.view_user") or user.has_perm("groups.view_group")
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        return _direct(user, path, tenant, may_search, search_q, token)


def _direct(user, path, tenant, may_search, search_q, token):
    return render_to_string(
        TOPBAR_TEMPLATE,
        {
            "product_name": settings.PORTAL_PRODUCT_NAME,
            "tenant_name": tenant.name if tenant else "",
            "show_search": may_search,
            "signed_in": True,
            "preferred_language": user.preferred_language,
            "csrf_token": token,
            "search_q": search_q,
            "display_name": user.display_name,
            "initials": user.initials,
            "username": user.username,
            "next": path,
        },
    ).removesuffix("\n")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("roles", "language", "path", "search_q"),
    [
        ([GLOBAL_ADMIN], "", "/users/?q=a%3Cb", ""),
        ([GLOBAL_ADMIN], "nl", "/search/?q=%3Cb%3E%22x%22%26", '<b>"x"&'),
        ([HELPDESK_ADMIN], "en", "/", ""),
        ([], "nl", "/account/", ""),
    ],
)
def test_topbar_is_its_template_with_the_persons_values(client, roles, language, path, search_q):
    tenant = make_tenant(name='Fabrikam <"&">')
    user = make_user(
        tenant,
        roles=roles,
        display_name='Ann <b>"Smith"</b> & co',
        first_name="Ann",
        last_name="<Smith>",
        preferred_language=language,
    )
    sign_in(client, user)
    for _ in range(2):  # rendered, then from the cache
        html = topbar(client.get(path))
        token = TOKEN.search(html).group(1)
        assert html == direct(user, path, search_q=search_q, token=token)
    assert "<b>" not in html
    assert ("Mijn account" if language == "nl" else "My account") in html
    assert "Ann &lt;b&gt;&quot;Smith&quot;&lt;/b&gt; &amp; co" in html


@pytest.mark.django_db
def test_people_with_the_same_kind_of_page_each_see_their_own_values(client):
    tenant = make_tenant()
    first = make_user(tenant, roles=[GLOBAL_ADMIN], display_name="First Person")
    second = make_user(tenant, roles=[GLOBAL_ADMIN], display_name="Second Person")
    other = make_user(make_tenant(name="Other Org"), roles=[GLOBAL_ADMIN], display_name="Other")
    _topbar_pieces.cache_clear()
    seen = {}
    for user in (first, second, other):
        client.logout()
        sign_in(client, user)
        seen[user.display_name] = topbar(client.get("/"))
    assert _topbar_pieces.cache_info().misses == 1  # one kind of page: rendered once
    assert "First Person" in seen["First Person"]
    assert "Second Person" not in seen["First Person"]
    assert "Second Person" in seen["Second Person"]
    assert "First Person" not in seen["Second Person"]
    assert "Other Org" in seen["Other"]
    assert first.username in seen["First Person"]
    assert first.username not in seen["Second Person"]


@pytest.mark.django_db
def test_topbar_of_anonymous_visitors_has_no_account_menu(client):
    html = topbar(client.get("/no-such-page/"))
    assert "user-menu" not in html
    assert "topbar-search" not in html
    assert "csrfmiddlewaretoken" not in html
