"""The left navigation, declared once as data.

An item is shown when its area exists (its URL name resolves) and the user has
its permission; a group is shown when any of its children is. Areas add their
items here, nowhere else.
"""

import functools
from dataclasses import dataclass, field

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts import roles


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    icon: str
    permission: str | None = roles.ADMIN_CENTER  # None: every signed-in user


@dataclass(frozen=True)
class MenuGroup:
    label: str
    icon: str
    items: tuple = field(default_factory=tuple)


MENU = (
    MenuItem(_("Home"), "accounts:home", "home"),
    MenuGroup(
        _("Users"),
        "users",
        (
            MenuItem(_("Active users"), "users:user_list", "users", roles.VIEW_USERS),
            MenuItem(_("Deleted users"), "users:user_deleted_list", "trash", roles.VIEW_USERS),
            MenuItem(_("Roles"), "users:role_list", "shield", roles.VIEW_ROLES),
        ),
    ),
    MenuGroup(
        _("Groups"),
        "groups",
        (
            MenuItem(_("Active groups"), "groups:group_list", "groups", roles.VIEW_GROUPS),
            MenuItem(_("Deleted groups"), "groups:group_deleted_list", "trash", roles.VIEW_GROUPS),
        ),
    ),
    MenuGroup(
        _("Billing"),
        "billing",
        (
            MenuItem(
                _("Your products"), "billing:subscription_list", "box", "billing.view_subscription"
            ),
            MenuItem(_("Licenses"), "billing:license_list", "key", "billing.view_license"),
            MenuItem(
                _("Bills & payments"), "billing:invoice_list", "receipt", "billing.view_invoice"
            ),
            MenuItem(
                _("Payment methods"),
                "billing:paymentmethod_list",
                "card",
                "billing.view_paymentmethod",
            ),
            MenuItem(
                _("Billing accounts"),
                "billing:billingaccount_list",
                "building",
                "billing.view_billingaccount",
            ),
        ),
    ),
    MenuGroup(
        _("Settings"),
        "settings",
        (
            MenuItem(_("Org profile"), "org_settings:profile", "building", roles.VIEW_TENANT),
            MenuItem(_("Domains"), "org_settings:domain_list", "grid", roles.VIEW_DOMAINS),
            MenuItem(_("Security & privacy"), "org_settings:security", "shield", roles.VIEW_TENANT),
            MenuItem(
                _("Release preferences"), "org_settings:releases", "settings", roles.VIEW_TENANT
            ),
            MenuItem(_("API access"), "api:apiclient_list", "key", roles.VIEW_API_CLIENTS),
            MenuItem(_("Single sign-on"), "sso:provider_list", "shield", roles.VIEW_SSO),
            MenuItem(
                _("Partner relationships"),
                "org_settings:partner_list",
                "building",
                roles.VIEW_PARTNERS,
            ),
        ),
    ),
    MenuGroup(
        _("Setup"),
        "check",
        (
            MenuItem(_("Guided setup"), "setup:index", "check"),
            MenuItem(
                _("Recommended actions"), "setup:recommended_actions", "shield", roles.VIEW_SETUP
            ),
            MenuItem(_("Admin access"), "setup:admin_access", "users", roles.VIEW_SETUP),
        ),
    ),
    MenuItem(_("Resources"), "resources:resource_list", "building", roles.VIEW_RESOURCES),
    MenuItem(_("Reports"), "reports:index", "chart", roles.VIEW_REPORTS),
    MenuItem(_("Support"), "support:request_list", "help", roles.VIEW_SUPPORT_REQUESTS),
    MenuGroup(
        _("Health"),
        "health",
        (
            MenuItem(_("Service health"), "health:service_health", "health"),
            MenuItem(_("Message center"), "health:message_center", "mail"),
        ),
    ),
    MenuItem(_("Audit log"), "accounts:auditevent_list", "log", roles.VIEW_AUDIT),
    MenuItem(_("Admin centers"), "security_center:index", "grid"),
)


# What people without an admin role see: their own account, never the admin center.
SELF_SERVICE_MENU = (
    MenuItem(_("My account"), "accounts:my_account", "user", permission=None),
    MenuItem(_("Security info"), "security_info:index", "shield", permission=None),
    MenuItem(_("Change password"), "accounts:password_change", "key", permission=None),
)


@dataclass
class NavEntry:
    label: str
    icon: str
    url: str = ""
    active: bool = False
    children: list = field(default_factory=list)

    @property
    def expanded(self):
        return self.active or any(child.active for child in self.children)


@functools.cache
def _url(url_name):
    """Return the URL of ``url_name``, or None when its area is not installed.

    URL patterns are fixed for the life of the process, so each name is resolved once.
    """
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def _matches(url, path):
    return path == "/" if url == "/" else path.startswith(url)


def _permissions(menu):
    """Return the distinct permissions that the items of ``menu`` ask for, in order."""
    seen = {}
    for node in menu:
        for item in node.items if isinstance(node, MenuGroup) else (node,):
            if item.permission is not None:
                seen.setdefault(item.permission, None)
    return tuple(seen)


def _grants(user, permissions):
    """Return which of ``permissions`` the user has, as a tuple of booleans.

    An organization's user holds what their roles grant (accounts.backends):
    their permissions are read once, not asked one by one through every backend.
    """
    if getattr(user, "tenant_id", None) is not None:
        held = user.get_all_permissions() if user.is_active else set()
        return tuple(permission in held for permission in permissions)
    return tuple(user.has_perm(permission) for permission in permissions)


def _visible(menu, granted):
    """Return fresh entries of ``menu`` for a user with the ``granted`` permissions."""
    entries = []
    for node in menu:
        if isinstance(node, MenuGroup):
            children = _visible(node.items, granted)
            if children:
                entries.append(NavEntry(node.label, node.icon, children=children))
            continue
        url = _url(node.url_name)
        if url is not None and (node.permission is None or node.permission in granted):
            entries.append(NavEntry(node.label, node.icon, url))
    return entries


def _leaves(entries):
    return [leaf for entry in entries for leaf in (entry.children or [entry])]


def _current_url(urls, path):
    """Return the longest of ``urls`` that ``path`` is under, or None."""
    matching = [url for url in urls if _matches(url, path)]
    return max(matching, key=len) if matching else None


def _mark_current(entries, url):
    for leaf in _leaves(entries):
        if leaf.url == url:
            leaf.active = True
            return


def _granted(permissions, grants):
    return frozenset(p for p, has in zip(permissions, grants, strict=True) if has)


def build_nav(user, path, menu=None):
    """Return the entries of ``menu`` that ``user`` may open, marking the current one.

    Without ``menu``: the admin center's menu for admins, else the self-service one.
    Anonymous visitors get no navigation.

    The current entry is the one whose URL is the longest prefix of ``path``, so
    /users/deleted/ marks "Deleted users", not "Active users".
    """
    if not user.is_authenticated:
        return []  # e.g. the 404 page seen before signing in
    if menu is None:
        menu = MENU if user.has_perm(roles.ADMIN_CENTER) else SELF_SERVICE_MENU
    permissions = _permissions(menu)
    entries = _visible(menu, _granted(permissions, _grants(user, permissions)))
    _mark_current(entries, _current_url([leaf.url for leaf in _leaves(entries)], path))
    return entries


# --- the rendered navigation, cached -------------------------------------------------
#
# The navigation is a function of the code (the menus, the URL patterns, the
# template), of the permissions the menu asks about, of the active language and of
# the current item: nothing else. Each process renders each combination once.

_MENUS = {"admin": MENU, "self-service": SELF_SERVICE_MENU}
_MENU_PERMISSIONS = {name: _permissions(menu) for name, menu in _MENUS.items()}
NAV_TEMPLATE = "inc/nav.html"


@functools.lru_cache(maxsize=32)
def _leaf_urls(menu_name, grants):
    granted = _granted(_MENU_PERMISSIONS[menu_name], grants)
    return tuple(leaf.url for leaf in _leaves(_visible(_MENUS[menu_name], granted)))


@functools.lru_cache(maxsize=1024)
def _nav_html(menu_name, grants, language, current):
    """Return the navigation's HTML; ``language`` is the active one (a key only)."""
    if menu_name is None:
        entries = []
    else:
        granted = _granted(_MENU_PERMISSIONS[menu_name], grants)
        entries = _visible(_MENUS[menu_name], granted)
        _mark_current(entries, current)
    return render_to_string(NAV_TEMPLATE, {"entries": entries})


def render_nav(user, path):
    """Return the HTML of the left navigation of ``user`` on the page at ``path``.

    The same markup as rendering NAV_TEMPLATE with ``build_nav(user, path)``, from a
    per-process cache keyed by (menu, the user's answers to the menu's permissions,
    language, current item).
    """
    if not user.is_authenticated:
        return _nav_html(None, (), get_language(), None)
    menu_name = "admin" if user.has_perm(roles.ADMIN_CENTER) else "self-service"
    grants = _grants(user, _MENU_PERMISSIONS[menu_name])
    current = _current_url(_leaf_urls(menu_name, grants), path)
    return _nav_html(menu_name, grants, get_language(), current)


def clear_caches():
    """Forget what was derived from settings (a test that changes them calls this)."""
    _url.cache_clear()
    _leaf_urls.cache_clear()
    _nav_html.cache_clear()


@receiver(setting_changed)
def _setting_changed(setting, **kwargs):
    if setting in {"ROOT_URLCONF", "TEMPLATES", "LANGUAGES", "STATIC_URL", "STORAGES"}:
        clear_caches()
