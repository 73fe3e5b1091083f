"""The left navigation: declared once, filtered by permission, current item marked."""

import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.utils import translation

from accounts.audit import audit_record
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    REPORTS_READER,
    SERVICE_SUPPORT_ADMIN,
    USER_ADMIN,
)
from admin_portal.navigation import (
    MENU,
    NAV_TEMPLATE,
    SELF_SERVICE_MENU,
    MenuGroup,
    MenuItem,
    _nav_html,
    build_nav,
    clear_caches,
    render_nav,
)
from tests.factories import make_tenant, make_user
from tests.helpers import sidebar, sign_in

_LINK = re.compile(r'<a href="(?P<href>[^"]*)"(?P<attrs>[^>]*)>(?P<body>.*?)</a>', re.S)


def nav_links(response):
    """Return {label: (href, is_current)} of the links in the left navigation."""
    links = {}
    for match in _LINK.finditer(sidebar(response)):
        label = re.sub(r"<[^>]+>", "", match["body"]).strip()
        links[label] = (match["href"], 'aria-current="page"' in match["attrs"])
    return links


# --- rendered, per role --------------------------------------------------------------

# role -> (sees Home, sees Audit log)
ADMIN_ROLES = {
    GLOBAL_ADMIN: (True, True),
    GLOBAL_READER: (True, True),
    USER_ADMIN: (True, False),
    HELPDESK_ADMIN: (True, False),
    GROUPS_ADMIN: (True, False),
    BILLING_ADMIN: (True, False),
    SERVICE_SUPPORT_ADMIN: (True, False),
    REPORTS_READER: (True, False),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "expected"), ADMIN_ROLES.items(), ids=list(ADMIN_ROLES))
def test_nav_on_home_shows_what_the_role_may_open(client, role, expected):
    sees_home, sees_audit = expected
    sign_in(client, make_user(make_tenant(), roles=[role]))
    response = client.get("/")
    assert response.status_code == 200
    links = nav_links(response)
    assert ("Home" in links) is sees_home
    assert ("Audit log" in links) is sees_audit
    assert links["Home"] == ("/", True)
    if sees_audit:
        assert links["Audit log"] == ("/audit/", False)
    # Admins get the admin center's menu, not the self-service one.
    assert "My account" not in links


@pytest.mark.django_db
def test_nav_of_a_user_without_role_is_the_self_service_menu(client):
    sign_in(client, make_user(make_tenant()))
    links = nav_links(client.get("/account/"))
    assert links["My account"] == ("/account/", True)
    assert links["Change password"] == ("/account/password/", False)
    assert "Home" not in links
    assert "Audit log" not in links


@pytest.mark.django_db
def test_nav_marks_the_longest_matching_item_current(client):
    sign_in(client, make_user(make_tenant()))
    links = nav_links(client.get("/account/password/"))
    # /account/ is a prefix of /account/password/ too; the longer one wins.
    assert links["Change password"] == ("/account/password/", True)
    assert links["My account"] == ("/account/", False)


@pytest.mark.django_db
def test_nav_marks_audit_log_current_on_its_pages(client):
    admin = make_user(make_tenant(), roles=[GLOBAL_ADMIN])
    event = audit_record(action="signout", actor=admin, target=admin)
    sign_in(client, admin)
    for url in ("/audit/", f"/audit/{event.pk}/", "/audit/?action=signout"):
        links = nav_links(client.get(url))
        assert links["Audit log"] == ("/audit/", True), url
        assert links["Home"] == ("/", False), url
    current = [label for label, (_href, active) in links.items() if active]
    assert current == ["Audit log"]


@pytest.mark.django_db
def test_nav_on_the_403_page_still_shows_what_the_user_may_open(client):
    sign_in(client, make_user(make_tenant(), roles=[HELPDESK_ADMIN]))
    response = client.get("/audit/")
    assert response.status_code == 403
    links = nav_links(response)
    assert "Home" in links
    assert "Audit log" not in links


@pytest.mark.django_db
def test_no_nav_for_anonymous_visitors(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert nav_links(response) == {}


# --- build_nav with a fake menu ----------------------------------------------------------


class FakeUser:
    is_authenticated = True

    def __init__(self, *perms):
        self.perms = set(perms)

    def has_perm(self, perm):
        return perm in self.perms


FAKE_MENU = (
    MenuItem("Home", "accounts:home", "home", "p.home"),
    MenuItem("Missing area", "nowhere:index", "x", None),
    MenuGroup(
        "Audit",
        "log",
        (
            MenuItem("Log", "accounts:auditevent_list", "log", "p.audit"),
            MenuItem("Export", "accounts:auditevent_export", "download", "p.audit"),
        ),
    ),
    MenuGroup(
        "Ghost group",
        "ghost",
        (
            MenuItem("Unrouted", "nowhere:list", "x", None),
            MenuItem("Not permitted", "accounts:my_account", "x", "p.never"),
        ),
    ),
    MenuItem("Everyone", "accounts:my_account", "user", None),
)


def _labels(entries):
    return [(e.label, [c.label for c in e.children]) for e in entries]


def test_build_nav_hides_items_whose_url_name_does_not_resolve():
    entries = build_nav(FakeUser("p.home", "p.audit"), "/", FAKE_MENU)
    assert "Missing area" not in [e.label for e in entries]


def test_build_nav_hides_a_group_without_visible_children():
    entries = build_nav(FakeUser("p.home", "p.audit"), "/", FAKE_MENU)
    assert _labels(entries) == [
        ("Home", []),
        ("Audit", ["Log", "Export"]),
        ("Everyone", []),
    ]
    entries = build_nav(FakeUser("p.home"), "/", FAKE_MENU)
    assert _labels(entries) == [("Home", []), ("Everyone", [])]


def test_build_nav_hides_items_without_permission_and_shows_permissionless_ones():
    entries = build_nav(FakeUser(), "/", FAKE_MENU)
    assert _labels(entries) == [("Everyone", [])]


def test_build_nav_marks_the_longest_prefix_current():
    entries = build_nav(FakeUser("p.home", "p.audit"), "/audit/export/", FAKE_MENU)
    home, audit, everyone = entries
    log, export = audit.children
    assert export.active and not log.active
    assert audit.expanded  # the group of the current item is open
    assert not home.active and not everyone.active


def test_build_nav_marks_a_parent_path_for_detail_pages():
    entries = build_nav(FakeUser("p.home", "p.audit"), "/audit/42/", FAKE_MENU)
    [log] = [c for e in entries for c in e.children if c.active]
    assert log.label == "Log"


def test_build_nav_home_is_current_only_on_the_root():
    user = FakeUser("p.home", "p.audit")
    [home, *_rest] = build_nav(user, "/", FAKE_MENU)
    assert home.active
    entries = build_nav(user, "/something-else/", FAKE_MENU)
    assert not any(e.active or any(c.active for c in e.children) for e in entries)


def test_build_nav_without_menu_picks_by_admin_center_permission():
    admin_entries = build_nav(FakeUser("accounts.view_admin_center"), "/")
    assert admin_entries[0].label == MENU[0].label
    self_service = [e.label for e in build_nav(FakeUser(), "/account/")]
    assert self_service[0] == SELF_SERVICE_MENU[0].label
    assert "Change password" in self_service
    assert MENU[0].label not in self_service


def test_build_nav_is_empty_for_anonymous_visitors():
    assert build_nav(AnonymousUser(), "/") == []
    assert build_nav(SimpleNamespace(is_authenticated=False), "/", FAKE_MENU) == []


# --- the rendered navigation, cached per process ---------------------------------------

NAV_PATHS = ["/", "/users/", "/users/deleted/", "/audit/42/", "/account/password/", "/nowhere/"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [None, *ADMIN_ROLES], ids=["no role", *ADMIN_ROLES])
def test_cached_nav_is_the_template_rendered_with_build_nav(role):
    user = make_user(make_tenant(), roles=[role] if role else [])
    for language in ("en", "nl"):
        with translation.override(language):
            for path in NAV_PATHS:
                expected = render_to_string(NAV_TEMPLATE, {"entries": build_nav(user, path)})
                assert render_nav(user, path) == expected, (language, path)
                assert render_nav(user, path) == expected, (language, path)  # from the cache


def _current(html):
    return [
        re.sub(r"<[^>]+>", "", m["body"]).strip()
        for m in _LINK.finditer(html)
        if 'aria-current="page"' in m["attrs"]
    ]


@pytest.mark.django_db
def test_cached_nav_differs_by_role_and_language_and_marks_the_current_item():
    tenant = make_tenant()
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    helpdesk = make_user(tenant, roles=[HELPDESK_ADMIN])
    with translation.override("en"):
        admin_nav, helpdesk_nav = render_nav(admin, "/users/"), render_nav(helpdesk, "/users/")
        assert "Audit log" in admin_nav
        assert "Audit log" not in helpdesk_nav
        assert _current(admin_nav) == ["Active users"]
        assert _current(render_nav(admin, "/users/deleted/")) == ["Deleted users"]
        assert _current(render_nav(admin, "/users/42/")) == ["Active users"]
        assert _current(render_nav(admin, "/nowhere/")) == []
    with translation.override("nl"):
        dutch = render_nav(admin, "/users/")
        assert "Actieve gebruikers" in dutch
        assert "Active users" not in dutch
        assert _current(dutch) == ["Actieve gebruikers"]


@pytest.mark.django_db
def test_cached_nav_follows_a_change_of_roles():
    tenant = make_tenant()
    user = make_user(tenant, roles=[HELPDESK_ADMIN])
    assert "Audit log" not in render_nav(user, "/")
    reader = make_user(tenant, roles=[GLOBAL_READER])
    assert "Audit log" in render_nav(reader, "/")


def test_cached_nav_for_anonymous_visitors_has_no_links():
    html = render_nav(AnonymousUser(), "/")
    assert "<a " not in html
    assert html == render_to_string(NAV_TEMPLATE, {"entries": []})


@pytest.mark.django_db
def test_cached_nav_is_rendered_once_per_key():
    user = make_user(make_tenant(), roles=[GLOBAL_ADMIN])
    clear_caches()
    with translation.override("en"):
        for _ in range(3):
            render_nav(user, "/users/")
            render_nav(user, "/users/42/")  # the same current item
    info = _nav_html.cache_info()
    assert (info.misses, info.hits) == (1, 5)
