"""Accessibility checks with axe-core in the real browser, and a crawler over the portal.

``axe_violations(page)`` runs the standard axe rule set on the page as it is and
returns the violations of impact serious or critical, as readable lines.
``crawl(page, start_url)`` follows every same-site link from a page, once per
route, and checks each page it lands on.
"""

from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from django.urls import Resolver404, resolve

BLOCKING_IMPACTS = {"serious", "critical"}

# Routes that are not pages a person reads: files, fragments for live checks,
# probes. The crawler does not open them; the coverage check does not ask for them.
NOT_PAGES = {
    "healthz": "a probe for load balancers, plain text",
    "api_docs": "Swagger UI's page of the REST API, from django-ninja's static files",
    "readyz": "a probe for load balancers, plain text",
    "users:user_export": "a CSV file (a large selection's page is opened by the walk)",
    "users:export_download": "a CSV file",
    "users:import_template": "a CSV file",
    "users:import_errors": "a CSV file",
    "users:import_results": "a CSV file",
    "users:username_check": "an htmx fragment inside the add-user and rename forms",
    "users:people_search": "the people picker's matches (JSON); the walk opens the picker",
    "groups:address_check": "an htmx fragment inside the add-group form",
    "groups:group_export": "a CSV file",
    "groups:group_bulk_delete": "needs the list's selection: the walk opens it with one",
    "groups:group_general": "a form action on a group's page",
    "groups:group_settings": "a form action on a group's page",
    "groups:group_rule_save": "a form action on a group's page",
    "groups:group_rule_remove": "a form action on a group's page",
    "groups:group_owners_add": "a form action on a group's page",
    "groups:group_owners_remove": "a form action on a group's page",
    "groups:group_members_add": "a form action on a group's page",
    "groups:group_members_remove": "a form action on a group's page",
    "billing:invoice_export": "a CSV file",
    "billing:invoice_pdf": "a PDF file",
    "billing:subscription_quantity": "a form action (POST only); the walk checks its answer",
    "billing:subscription_quantity_confirm": "a form action (POST only)",
    "billing:subscription_buy_confirm": "a form action (POST only)",
    "billing:subscription_payment_method": "a form action (POST only)",
    "billing:subscription_cancel": "a form action (POST only)",
    "billing:subscription_reactivate": "a form action (POST only)",
    "billing:license_assign": "a form action (POST only)",
    "billing:license_unassign": "a form action (POST only)",
    "billing:paymentmethod_add_invoice": "a form action (POST only)",
    "billing:paymentmethod_default": "a form action (POST only)",
    "billing:paymentmethod_remove": "a form action (POST only)",
    "billing:invoice_pay": "a form action (POST only)",
    "accounts:auditevent_export": "a CSV file",
    "accounts:signin_send_code": "a button of the second sign-in step (POST only)",
    "org_settings:domain_verify": "a form action on a domain's page (POST only)",
    "org_settings:domain_set_default": "a form action on a domain's page (POST only)",
    "org_settings:domain_remove": "a form action on a domain's page (POST only)",
    "support:request_reply": "a form action on a service request's page (POST only)",
    "support:request_close": "a form action on a service request's page (POST only)",
    "accounts:signout": "a form action (POST only)",
    "accounts:language": "a form action (POST only)",
    "security_info:default_method": "a form action (POST only)",
    "users:user_bulk_block": "a form action (POST only)",
    "users:user_bulk_unblock": "a form action (POST only)",
    "users:user_bulk_password_reset": "a form action (POST only)",
    "users:user_bulk_delete": "a form action (POST only)",
    "users:user_bulk_license_assign": "a form action (POST only)",
    "users:user_bulk_license_unassign": "a form action (POST only)",
    "users:user_bulk_export": "a form action (POST only)",
    "users:user_import_confirm": "the checked file's confirm button (POST only)",
    "health:messages_mark_read": "a form action on the message center (POST only)",
    "security_info:phone_resend": "a form action on the code page (POST only)",
    "security_info:email_resend": "a form action on the code page (POST only)",
    "security_info:passkey_options": "JSON for passkeys.js (POST only)",
    "security_info:reauth_passkey": "a form action (POST only)",
    "passkeys:options": "JSON for passkeys.js (POST only)",
    "passkeys:signin": "a form action (POST only)",
    "passkeys:second_step": "a form action (POST only)",
    "accounts:act_in": "the customer switcher's form action (POST only)",
    "accounts:act_stop": "a form action of the acting banner (POST only)",
    "org_settings:partner_approve": "a form action (POST only)",
    "org_settings:partner_decline": "a form action (POST only)",
    "org_settings:partner_withdraw": "a form action (POST only)",
    "org_settings:partner_access": "a form action on a relationship's page (POST only)",
    "sso:provider_test": "a form action on a provider's page (POST only); starts a test sign-in",
    "sso:provider_on": "a form action on a provider's page (POST only)",
    "sso:provider_off": "a form action on a provider's page (POST only)",
    "sso:saml_metadata": "the service provider's metadata, an XML file",
    "sso:saml_acs": "the identity provider's answer (POST only), sent on to saml_finish",
    "sso:oidc_callback": (
        "where an identity provider sends the person back: its pages (refused, test failed) "
        "need a provider's answer and are checked in tests/e2e/test_sso.py"
    ),
    "sso:saml_finish": (
        "where a SAML answer lands: its pages (refused, test failed) need a provider's "
        "answer and are checked in tests/e2e/test_sso.py"
    ),
    "sso:saml_sls": "the identity provider's answer to a sign-out: a redirect to sign-in",
}

_axe = Axe()


def axe_violations(page):
    """Return the page's serious and critical axe violations, one line per element."""
    # Colours are measured as drawn: let entrance animations (toasts) finish first.
    page.evaluate("() => Promise.all(document.getAnimations().map(a => a.finished))")
    results = _axe.run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        for node in violation["nodes"]:
            lines.append(
                f"{page.url} [{violation['impact']}] {violation['id']}: {violation['help']}"
                f" at {node['target']} :: {node.get('failureSummary', '').strip()}"
            )
    return lines


def route_name(url):
    """Return the URL's route name (``area:name``), or None for a URL outside the portal."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.view_name


def crawl(page, start_url, *, skip=(), check=True):
    """Open every route reachable by links from ``start_url``, once each, checking it.

    Returns (violations, visited route names). Links leave the portal's host,
    the operators' site, files and POST-only routes alone.
    """
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(start_url))
    queue = [start_url]
    seen_routes = set()
    violations = []
    while queue:
        url = queue.pop(0)
        name = route_name(url)
        if name is None or name in seen_routes or name in NOT_PAGES or name in skip:
            continue
        if name.startswith("admin:"):
            continue
        seen_routes.add(name)
        response = page.goto(url)
        assert response is not None and response.ok, (
            f"{url} answered {response and response.status}"
        )
        violations += axe_violations(page)
        for href in page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map(link => link.href)"
        ):
            href = href.split("#", 1)[0]
            if href.startswith(origin) and route_name(href) not in seen_routes:
                queue.append(href)
    return violations, seen_routes
