"""Shared test helpers: signing in, and the answers every portal view must give."""

import time
from urllib.parse import parse_qs, urlsplit

from accounts.middleware import LAST_SEEN, SIGNED_IN_AT

FORBIDDEN_TEXT = "You don&#x27;t have access"


def sign_in(client, user):
    """Sign ``user`` in on ``client`` without the sign-in form.

    Also starts the portal's session clock, which the sign-in view normally
    starts; without it the tenant middleware ends the session at once.
    """
    client.force_login(user)
    session = client.session
    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now
    session.save()
    return client


def signin_redirect_next(response):
    """Return the ``next`` of a redirect to the sign-in page, or fail."""
    assert response.status_code == 302, response.status_code
    parts = urlsplit(response["Location"])
    assert parts.path == "/signin/", response["Location"]
    return parse_qs(parts.query).get("next", [""])[0]


def assert_redirects_to_signin(response, path):
    """Assert that ``response`` sends an anonymous visitor to sign in, then to ``path``."""
    assert signin_redirect_next(response) == path


def assert_forbidden(response):
    """Assert the portal's own 403 page (not a bare Django one)."""
    assert response.status_code == 403, response.status_code
    content = response.content.decode()
    assert FORBIDDEN_TEXT in content or "You don't have access" in content, content[:500]


def assert_not_found(response):
    """Assert the portal's own 404 page."""
    assert response.status_code == 404, response.status_code
    assert "Page not found" in response.content.decode()


def sidebar(response):
    """Return the HTML of the left navigation of a rendered portal page."""
    content = response.content.decode()
    start = content.index('<nav class="sidebar"')
    return content[start : content.index("</nav>", start)]
