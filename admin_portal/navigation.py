"""The left navigation, declared once as data.

An item is shown when its area exists (its URL name resolves) and the user has
its permission; a group is shown when any of its children is. Areas add their
items here, nowhere else.
"""

import functools
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
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


def _visible(user, menu):
    entries = []
    for node in menu:
        if isinstance(node, MenuGroup):
            children = _visible(user, node.items)
            if children:
                entries.append(NavEntry(node.label, node.icon, children=children))
            continue
        url = _url(node.url_name)
        if url is not None and (node.permission is None or user.has_perm(node.permission)):
            entries.append(NavEntry(node.label, node.icon, url))
    return entries


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
    entries = _visible(user, menu)
    leaves = [leaf for entry in entries for leaf in (entry.children or [entry])]
    matching = [leaf for leaf in leaves if _matches(leaf.url, path)]
    if matching:
        max(matching, key=lambda leaf: len(leaf.url)).active = True
    return entries
