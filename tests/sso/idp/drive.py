"""Drive a sign-in at the test identity providers with ``requests``, without a browser.

Integration tests hand these the address the portal redirected to and get back what the
browser would have brought to the portal: for OpenID Connect the redirect URI with
``code`` and ``state``, for SAML the ACS URL and the form fields to POST to it. Only the
IdP's own redirects are followed; the portal's address is returned, never requested.
"""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

TIMEOUT = 30  # seconds; generous for a loaded machine


class DriveError(Exception):
    """The IdP did not answer as a sign-in expects; the message holds what it showed."""


class _Forms(HTMLParser):
    """Collect each form's action, method and fields, and the alerts on the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.alerts = []
        self._alert = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": attrs.get("action", ""),
                    "method": attrs.get("method", "get").lower(),
                    "fields": {},
                    "ids": set(),
                }
            )
        elif tag == "input" and self.forms:
            form = self.forms[-1]
            if attrs.get("id"):
                form["ids"].add(attrs["id"])
            kind = attrs.get("type", "text").lower()
            if attrs.get("name") and kind not in ("checkbox", "radio", "submit", "button"):
                form["fields"][attrs["name"]] = attrs.get("value", "")
        elif attrs.get("role") == "alert":
            self._alert = []

    def handle_data(self, data):
        if self._alert is not None:
            self._alert.append(data)

    def handle_endtag(self, tag):
        if self._alert is not None and tag in ("p", "div"):
            self.alerts.append("".join(self._alert).strip())
            self._alert = None


def _parse(response: requests.Response) -> _Forms:
    parser = _Forms()
    parser.feed(response.text)
    return parser


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _follow(
    session: requests.Session, response: requests.Response, origin
) -> requests.Response | str:
    """Follow the IdP's redirects; return the first address outside it, or the last page."""
    while response.is_redirect:
        location = urljoin(response.url, response.headers["Location"])
        if _origin(location) != origin:
            return location
        response = session.get(location, allow_redirects=False, timeout=TIMEOUT)
    return response


def _page_text(response: requests.Response) -> str:
    forms = _parse(response)
    detail = "; ".join(forms.alerts) or response.text[:2000]
    return f"{response.status_code} at {response.url}: {detail}"


def _login_form(response: requests.Response) -> dict:
    forms = _parse(response)
    if forms.alerts:
        raise DriveError(f"the IdP refused the sign-in: {'; '.join(forms.alerts)}")
    for form in forms.forms:
        if "login" in form["ids"]:
            return form
    raise DriveError(f"no sign-in form: {_page_text(response)}")


def _submit_login(
    session: requests.Session, page: requests.Response, *, login: str, mfa: bool
) -> requests.Response:
    form = _login_form(page)
    data = {**form["fields"], "login": login, "password": "not checked"}
    if mfa:
        data["mfa"] = "1"
    action = urljoin(page.url, form["action"] or page.url)
    return session.post(action, data=data, allow_redirects=False, timeout=TIMEOUT)


def drive_oidc_login(
    authorize_url: str, *, login: str, mfa: bool = False, session: requests.Session | None = None
) -> str:
    """Sign in at the OpenID Connect provider; return the redirect URI it sends back to.

    The returned URL carries ``code`` and ``state`` (or ``error``). An unknown sign-in
    name raises DriveError with the page's message. Pass ``session`` to keep the
    provider's cookies, as a browser would, for a later logout.
    """
    session = session or requests.Session()
    origin = _origin(authorize_url)
    answer = _follow(
        session, session.get(authorize_url, allow_redirects=False, timeout=TIMEOUT), origin
    )
    if isinstance(answer, str):  # already signed in at the provider
        return answer
    answer = _follow(session, _submit_login(session, answer, login=login, mfa=mfa), origin)
    if isinstance(answer, str):
        return answer
    _login_form(answer)  # raises with the page's alert when the name was refused
    raise DriveError(f"the sign-in did not end at the client: {_page_text(answer)}")


def drive_oidc_logout(end_session_url: str, *, session: requests.Session) -> str:
    """Sign out at the OpenID Connect provider; return where it sends the browser.

    That is the post-logout redirect URI (with ``state``) when the portal gave one, or
    else the provider's own "Signed out" page. ``session`` must be the one that signed in.
    """
    origin = _origin(end_session_url)
    answer = _follow(
        session, session.get(end_session_url, allow_redirects=False, timeout=TIMEOUT), origin
    )
    if isinstance(answer, str):
        return answer
    forms = _parse(answer).forms
    if answer.status_code != 200 or len(forms) != 1 or forms[0]["method"] != "post":
        raise DriveError(f"no sign-out form: {_page_text(answer)}")
    action = urljoin(answer.url, forms[0]["action"])
    posted = session.post(action, data=forms[0]["fields"], allow_redirects=False, timeout=TIMEOUT)
    answer = _follow(session, posted, origin)
    if isinstance(answer, str):
        return answer
    if answer.status_code != 200:
        raise DriveError(f"the sign-out failed: {_page_text(answer)}")
    return answer.url


def drive_saml_login(
    redirect_url: str, *, login: str, mfa: bool = False, session: requests.Session | None = None
) -> tuple[str, dict]:
    """Sign in at the SAML IdP; return the ACS URL and the fields the browser would POST there.

    ``redirect_url`` is the IdP address the portal redirected to (SAMLRequest,
    RelayState, SigAlg, Signature). The fields are ``SAMLResponse`` and, when the
    request had one, ``RelayState``. An unknown sign-in name, or a request the IdP
    refused, raises DriveError with the page's message.
    """
    session = session or requests.Session()
    origin = _origin(redirect_url)
    page = _follow(
        session, session.get(redirect_url, allow_redirects=False, timeout=TIMEOUT), origin
    )
    if isinstance(page, str):
        raise DriveError(f"the IdP sent the browser away at once, to {page}")
    if page.status_code != 200:
        raise DriveError(f"the IdP refused the request: {_page_text(page)}")
    answer = _submit_login(session, page, login=login, mfa=mfa)
    forms = _parse(answer)
    posts = [form for form in forms.forms if "SAMLResponse" in form["fields"]]
    if answer.status_code != 200 or not posts:
        _login_form(answer)  # raises with the page's alert when the name was refused
        raise DriveError(f"no SAMLResponse form: {_page_text(answer)}")
    return urljoin(answer.url, posts[0]["action"]), posts[0]["fields"]


def drive_saml_logout(redirect_url: str, *, session: requests.Session | None = None) -> str:
    """Send the portal's LogoutRequest to the SAML IdP; return the SP URL it answers to.

    That URL is the SP's SingleLogoutService with a signed ``SAMLResponse``.
    """
    session = session or requests.Session()
    answer = _follow(
        session,
        session.get(redirect_url, allow_redirects=False, timeout=TIMEOUT),
        _origin(redirect_url),
    )
    if isinstance(answer, str):
        return answer
    raise DriveError(f"the IdP did not answer with a LogoutResponse: {_page_text(answer)}")
