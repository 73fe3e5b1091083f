import functools
import re
from decimal import Decimal, InvalidOperation

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from accounts.audit import action_label
from admin_portal.navigation import render_nav
from core import l10n

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_nav(context):
    """Render the left navigation for the signed-in user (inc/nav.html, cached)."""
    request = context["request"]
    return render_nav(request.user, request.path)


# --- the top bar ----------------------------------------------------------------------
#
# Rendered once per process for each combination of what decides its markup (the
# language, the product name, whether there is an organization, a search box and a
# signed-in person, and that person's language preference), with a placeholder for
# each value of the person or the request; each request then only joins the pieces
# with its own values, escaped as the template would have escaped them.

TOPBAR_TEMPLATE = "inc/topbar.html"
_SLOT = re.compile("\ue000(\\w+)\ue001")
_PER_REQUEST = (
    "tenant_name",
    "search_q",
    "display_name",
    "initials",
    "username",
    "next",
    "switcher",
)
SWITCHER_TEMPLATE = "inc/partner_switcher.html"


def _slot(name):
    return f"\ue000{name}\ue001"


@functools.lru_cache(maxsize=256)
def _topbar_pieces(language, product_name, has_tenant, show_search, signed_in, preferred):
    """Return the top bar as literal markup and slot names, alternating (a tuple).

    ``language`` is the active one (a key only).
    """
    context = {
        "product_name": product_name,
        "show_search": show_search,
        "signed_in": signed_in,
        "preferred_language": preferred,
        "csrf_token": _slot("csrf_token"),
        **{name: _slot(name) for name in _PER_REQUEST},
    }
    if not has_tenant:
        context["tenant_name"] = ""
    html = render_to_string(TOPBAR_TEMPLATE, context).removesuffix("\n")
    return tuple(_SLOT.split(html))


def topbar_values(context):
    """Return the per-request values of the top bar, escaped, by slot name."""
    request = context["request"]
    user = context.get("user", request.user)
    tenant = context.get("tenant")
    match = getattr(request, "resolver_match", None)
    values = {
        "tenant_name": tenant.name if tenant else "",
        "search_q": request.GET.get("q", "") if match and match.url_name == "search" else "",
        "next": request.get_full_path(),
        "switcher": "",
    }
    accesses = getattr(request, "partner_accesses", ())
    if accesses:
        # A partner's admin: the customers they act in (accounts.middleware.PartnerMiddleware).
        acting = getattr(request, "acting", None)
        values["switcher"] = render_to_string(
            SWITCHER_TEMPLATE,
            {
                "accesses": accesses,
                "acting_id": acting.relationship_id if acting else None,
                "csrf_token": context.get("csrf_token"),
            },
        )
    if user.is_authenticated:
        token = context.get("csrf_token")
        values.update(
            display_name=user.display_name,
            initials=user.initials,
            username=user.username,
            csrf_token="" if token is None else str(token),
        )
    return {name: conditional_escape(value) for name, value in values.items()}


@register.simple_tag(takes_context=True)
def portal_topbar(context):
    """Render the top bar (inc/topbar.html) of the portal shell."""
    request = context["request"]
    user = context.get("user", request.user)
    signed_in = user.is_authenticated
    pieces = _topbar_pieces(
        get_language(),
        str(context.get("product_name", "")),
        bool(context.get("tenant")),
        user.has_perm("accounts.view_user") or user.has_perm("groups.view_group"),
        signed_in,
        user.preferred_language if signed_in else "",
    )
    values = topbar_values(context)
    parts = list(pieces)
    for index in range(1, len(parts), 2):
        parts[index] = values[parts[index]]
    return mark_safe("".join(parts))  # noqa: S308 - markup from the template, values escaped


@register.simple_tag
def icon(name):
    """Return a decorative icon from the sprite in static/img/icons.svg."""
    return _icon(str(name))


@functools.lru_cache(maxsize=256)
def _icon(name):
    return format_html(
        '<svg class="icon" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        static("img/icons.svg"),
        name,
    )


@receiver(setting_changed)
def _static_changed(setting, **kwargs):
    if setting in {"STATIC_URL", "STORAGES"}:
        _icon.cache_clear()
    if setting in {"STATIC_URL", "STORAGES", "TEMPLATES", "ROOT_URLCONF", "LANGUAGES"}:
        _topbar_pieces.cache_clear()


@register.filter
def audit_action(code):
    """Return the human name of an audit action code."""
    return action_label(code)


@register.filter
def event_time(value, precision=""):
    """Return ``value`` in the organization's time zone as the language's date and time, zone named.

    ``{{ event.created_at|event_time }}``: "3 Dec 2026, 17:22 CET" in English,
    "3 dec 2026, 17:22 CET" in Dutch; ``|event_time:"seconds"`` adds the seconds
    (the audit log). Cheaper than the |date filter, which matters in tables of
    hundreds of rows.
    """
    return l10n.format_datetime(value, seconds=precision == "seconds")


@register.filter
def money(amount, currency):
    """Return ``amount`` in ``currency`` as the active language writes money.

    ``{{ invoice.total|money:invoice.currency }}``: "€ 1.234,56" in Dutch,
    "€1,234.56" in English. A value that is no amount is shown as it is, like Django's
    own filters do.
    """
    try:
        return l10n.format_money(amount, currency)
    except (InvalidOperation, TypeError, ValueError):
        return amount


@register.filter
def country_name(country):
    """Return the name of a country (a code or a CountryField value) in the active language."""
    return l10n.country_name(country)


@register.filter
def localized(value):
    """Return a number with the active language's grouping ("12.345"); anything else as is.

    For table cells that hold numbers or text: dates and text are left to the
    template engine, which writes dates in the language's format.
    """
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return l10n.format_number(value)
    return value
