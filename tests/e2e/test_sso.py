"""End to end in Chromium: single sign-on at an organization's own identity provider.

The providers are real and run beside the live server (tests/sso/conftest.py): Node's
oidc-provider and pysaml2's IdP, each with its own sign-in page, which Chromium fills
in as a person would. The SAML IdP fetches the portal's metadata from the live server
itself, so PORTAL_BASE_URL is the live server's URL.

Each story runs in English and in Dutch. The portal's texts are looked up in its own
catalog for the test's language (``Texts``), so a story finds the same labels a person
reads, whether or not a string has been translated yet. The providers' pages are
English only.
"""

import re
import secrets

import pytest
from django.utils import translation
from playwright.sync_api import expect

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN, USER_ADMIN
from sso import oidc, urls_for
from sso.models import FederatedDomain, IdentityProvider
from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import ARTIFACTS, PATIENCE_MS
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import make_app, totp_code
from tests.sso.conftest import oidc_idp, saml_idp  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

SCREENSHOTS = ARTIFACTS.parent / "sso"
DOMAIN = "contoso.example"
LANGUAGES = ["en", "nl"]


class Texts:
    """The portal's texts in one language, as its catalog has them now."""

    def __init__(self, language):
        self.language = language

    def __call__(self, message, **params):
        with translation.override(self.language):
            text = translation.gettext(message)
        return text % params if params else text


@pytest.fixture(autouse=True)
def portal_url(settings, live_server):
    """Give the providers the live server's addresses; they speak plain HTTP on this machine."""
    settings.PORTAL_BASE_URL = live_server.url
    settings.PORTAL_SSO_ALLOW_HTTP = True
    return live_server.url


def watch_policy(context, blocked):
    """Note what the browser blocks under the portal's Content-Security-Policy, in every tab."""

    def note(message):
        if "Content Security Policy" in message.text:
            blocked.append(message.text)

    context.on("console", note)


@pytest.fixture(autouse=True)
def policy_blocks_nothing(context):
    """Fail a story in which the portal's own policy stopped the browser (a form, a script).

    A blocked step shows up in the story as a page that never comes; this says why.
    """
    blocked = []
    watch_policy(context, blocked)
    yield blocked
    assert not blocked, "the browser blocked, under the Content-Security-Policy:\n" + "\n".join(
        blocked
    )


@pytest.fixture
def contoso():
    return make_tenant("Contoso", DOMAIN)


def snap(page, name):
    """Save a full-page screenshot of ``page`` (any tab) under test-artifacts/sso/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # From the top: a page scrolled to a field would draw its sticky top bar halfway down.
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def speak(page, language):
    """Ask for ``language`` in every tab of the page's browser, as a visitor's browser does."""
    page.context.set_extra_http_headers({"Accept-Language": language})


def field(page, label):
    """The form field labelled ``label`` exactly (a required field's label ends with " *")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def sign_in_with_password(page, url, t, username, *, path="/signin/"):
    page.goto(f"{url}{path}")
    page.get_by_label(t("Sign-in name")).fill(username)
    field(page, t("Password")).fill(PASSWORD)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()


def sign_in_with_name_only(page, url, t, username):
    """Type only the sign-in name on the portal's sign-in page, as a federated person does."""
    page.goto(f"{url}/signin/")
    page.get_by_label(t("Sign-in name")).fill(username)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()


def sign_in_at_provider(page, login, *, mfa=False):
    """Fill in the test provider's own sign-in page (either protocol's)."""
    expect(page.get_by_role("heading", name=re.compile(r"^Sign in to the test"))).to_be_visible()
    page.get_by_label("Sign-in name").fill(login)
    page.get_by_label("Password").fill("any password")
    if mfa:
        page.get_by_label("I used a second factor").check()
    page.get_by_role("button", name="Sign in").click()


def open_single_sign_on(page, t):
    page.locator("summary", has_text=t("Settings")).click()
    page.get_by_role("link", name=t("Single sign-on"), exact=True).click()
    expect(page.get_by_role("heading", name=t("Single sign-on"), level=1)).to_be_visible()


def verify_with_app(page, t, device):
    expect(page.get_by_role("heading", name=t("Verify your identity"))).to_be_visible()
    page.get_by_label(t("Code"), exact=True).fill(totp_code(device))
    page.get_by_role("button", name=t("Verify")).click()


def sign_out(page, t, display_name):
    page.get_by_label(t("Account menu of %(name)s", name=display_name)).click()
    page.get_by_role("banner").get_by_role("button", name=t("Sign out")).click()


def expect_status(page, t, status):
    expect(page.get_by_test_id("sso-properties").locator(".state")).to_have_text(t(status))


def oidc_provider(idp, tenant, *, jit_create=False):
    """An OpenID Connect provider that is on for the organization's domain, known to ``idp``."""
    client_id = f"portal-{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(24)
    provider = IdentityProvider.objects.create(
        tenant=tenant,
        name="Contoso Entra ID",
        protocol=IdentityProvider.Protocol.OIDC,
        issuer=idp.issuer,
        client_id=client_id,
        client_secret_sealed=oidc.seal_client_secret(secret),
        jit_create=jit_create,
        is_enabled=True,
    )
    FederatedDomain.objects.create(provider=provider, domain=tenant.domain_set.get())
    idp.add_client(
        client_id,
        secret,
        [urls_for.oidc_redirect_uri(provider)],
        [urls_for.after_signout_url()],
    )
    return provider


def global_admin(tenant, language):
    return make_user(
        tenant,
        "megan",
        roles=[GLOBAL_ADMIN],
        display_name="Megan Bowen",
        preferred_language=language,
    )


def claims(username, name):
    given, family = name.split(" ", 1)
    return {
        "email": username,
        "email_verified": True,
        "name": name,
        "given_name": given,
        "family_name": family,
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_global_admin_adds_tests_and_switches_on_an_oidc_provider(
    page,
    live_server,
    contoso,
    oidc_idp,  # noqa: F811
    language,
):
    t, url = Texts(language), live_server.url
    megan = global_admin(contoso, language)
    speak(page, language)
    sign_in_with_password(page, url, t, megan.username)
    open_single_sign_on(page, t)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_test_id("empty")).to_be_visible()
    expect(page.get_by_test_id("break-glass-url")).to_have_text(f"{url}/signin/break-glass/")
    snap(page, f"sso-list-empty-{language}")

    add = page.get_by_test_id("sso-add")
    add.get_by_role("link", name=t("Add OpenID Connect provider")).click()
    client_id, secret = f"portal-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    field(page, t("Name")).fill("Contoso Entra ID")
    # The discovery document's address, as an admin copies it from their provider.
    field(page, t("Issuer or discovery URL")).fill(oidc_idp.discovery_url)
    field(page, t("Client id")).fill(client_id)
    field(page, t("Client secret")).fill(secret)
    page.get_by_label(DOMAIN).check()
    snap(page, f"sso-add-oidc-{language}")
    page.get_by_role("button", name=t("Add provider")).click()

    expect(page.get_by_role("heading", name="Contoso Entra ID", level=1)).to_be_visible()
    provider = IdentityProvider.objects.get(tenant=contoso)
    detail = f"{url}/settings/sso/{provider.pk}/"
    expect(page).to_have_url(detail)
    redirect_uri = f"{url}/sso/{provider.public_id}/oidc/callback/"
    expect(page.get_by_test_id("redirect-uri")).to_have_text(redirect_uri)
    expect(page.get_by_test_id("never-tested")).to_be_visible()
    expect_status(page, t, "Off, not tested")
    snap(page, f"sso-provider-oidc-new-{language}")

    # The admin registers the portal at the provider, with the address the page shows.
    oidc_idp.add_client(client_id, secret, [redirect_uri], [f"{url}/signin/"])
    oidc_idp.add_account(megan.username, claims(megan.username, "Megan Bowen"))
    with page.context.expect_page() as opened:
        page.get_by_role("button", name=t("Test sign-in")).click()
    tab = opened.value
    sign_in_at_provider(tab, megan.username)
    expect(tab).to_have_url(detail)
    worked = t("The test sign-in worked. Check the claims that came back.")
    expect(tab.get_by_text(worked)).to_be_visible()
    expect(tab.get_by_test_id("test-sign-in-name")).to_have_text(megan.username)
    table = tab.get_by_test_id("claims-table")
    expect(table.get_by_role("row", name=re.compile(r"^email\b"))).to_contain_text(megan.username)
    expect(table.get_by_role("row", name=re.compile(r"^iss\b"))).to_contain_text(oidc_idp.issuer)
    expect_status(tab, t, "Off, tested")
    snap(tab, f"sso-provider-oidc-claims-{language}")

    tab.get_by_role("button", name=t("Switch on")).click()
    expect(
        tab.get_by_text(
            t("%(name)s is on: people of its domains sign in there now.", name="Contoso Entra ID")
        )
    ).to_be_visible()
    expect_status(tab, t, "On")
    snap(tab, f"sso-provider-oidc-on-{language}")
    # A test signs nobody in: the admin is still herself.
    expect(tab.get_by_label(t("Account menu of %(name)s", name="Megan Bowen"))).to_be_visible()
    tab.close()

    page.get_by_role("link", name=t("Back to single sign-on")).click()
    row = page.get_by_test_id("sso-table").get_by_role("row", name=re.compile("Contoso Entra ID"))
    expect(row).to_contain_text(DOMAIN)
    expect(row.locator(".state")).to_have_text(t("On"))
    snap(page, f"sso-list-{language}")
    assert AuditEvent.objects.filter(action="sso.provider_on", actor=megan).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_person_of_the_domain_signs_in_and_out_at_the_oidc_provider(
    page,
    live_server,
    contoso,
    oidc_idp,  # noqa: F811
    language,
):
    t, url = Texts(language), live_server.url
    oidc_provider(oidc_idp, contoso)
    adele = make_user(
        contoso,
        "adele",
        roles=[USER_ADMIN],
        display_name="Adele Vance",
        preferred_language=language,
    )
    oidc_idp.add_account(adele.username, claims(adele.username, "Adele Vance"))
    speak(page, language)

    sign_in_with_name_only(page, url, t, adele.username)
    expect(page).to_have_url(re.compile(rf"^{re.escape(oidc_idp.issuer)}/"))
    sign_in_at_provider(page, adele.username)
    expect(page).to_have_url(f"{url}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_test_id("org-name")).to_have_text("Contoso")
    expect(page.get_by_label(t("Account menu of %(name)s", name="Adele Vance"))).to_be_visible()
    snap(page, f"sso-oidc-home-{language}")
    event = AuditEvent.objects.filter(action="signin.success", actor=adele).get()
    assert event.new_values["provider"] == "Contoso Entra ID"

    # Signing out here signs her out at the provider too, and back to the sign-in page.
    sign_out(page, t, "Adele Vance")
    expect(page).to_have_url(re.compile(rf"^{re.escape(url)}/signin/(\?.*)?$"))
    expect(page.get_by_text(t("You have signed out."))).to_be_visible()
    page.goto(f"{url}/users/")
    expect(page).to_have_url(f"{url}/signin/?next=/users/")
    # The provider asks for her name again: its session ended as well.
    sign_in_with_name_only(page, url, t, adele.username)
    expect(page.get_by_label("I used a second factor")).to_be_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_saml_provider_is_added_and_a_person_with_an_app_still_confirms_it_here(
    page,
    policy_blocks_nothing,
    live_server,
    contoso,
    saml_idp,  # noqa: F811
    language,
):
    t, url = Texts(language), live_server.url
    megan = global_admin(contoso, language)
    diego = make_user(contoso, "diego", display_name="Diego Siciliani", preferred_language=language)
    app = make_app(diego)
    saml_idp.add_account(megan.username, claims(megan.username, "Megan Bowen"))
    saml_idp.add_account(diego.username, claims(diego.username, "Diego Siciliani"))
    speak(page, language)

    # The Global admin adds the provider from its metadata address.
    sign_in_with_password(page, url, t, megan.username)
    open_single_sign_on(page, t)
    page.get_by_test_id("sso-add").get_by_role("link", name=t("Add SAML provider")).click()
    field(page, t("Name")).fill("Contoso ADFS")
    field(page, t("Metadata URL")).fill(saml_idp.metadata_url)
    page.get_by_label(DOMAIN).check()
    snap(page, f"sso-add-saml-{language}")
    page.get_by_role("button", name=t("Add provider")).click()
    expect(page.get_by_role("heading", name="Contoso ADFS", level=1)).to_be_visible()
    provider = IdentityProvider.objects.get(tenant=contoso)
    expect(page.get_by_test_id("sp-metadata-url")).to_have_text(
        f"{url}/sso/{provider.public_id}/saml/metadata/"
    )
    expect(page.get_by_test_id("sso-properties")).to_contain_text(saml_idp.entity_id)

    # The test: the IdP reads the portal's metadata from the live server, by itself.
    with page.context.expect_page() as opened:
        page.get_by_role("button", name=t("Test sign-in")).click()
    tab = opened.value
    sign_in_at_provider(tab, megan.username, mfa=True)
    expect(tab).to_have_url(f"{url}/settings/sso/{provider.pk}/")
    expect(tab.get_by_test_id("test-sign-in-name")).to_have_text(megan.username)
    table = tab.get_by_test_id("claims-table")
    expect(table.get_by_role("row", name=re.compile(r"^NameID\b"))).to_contain_text(megan.username)
    expect(table.get_by_role("row", name=re.compile(r"^givenName\b"))).to_contain_text("Megan")
    snap(tab, f"sso-provider-saml-claims-{language}")
    tab.get_by_role("button", name=t("Switch on")).click()
    expect_status(tab, t, "On")
    tab.close()

    # A person with an authenticator app: the provider's second factor is not trusted,
    # so the portal asks for its own after the provider, then she is in.
    person = page.context.browser.new_context().new_page()
    watch_policy(person.context, policy_blocks_nothing)
    person.context.set_default_timeout(PATIENCE_MS)
    person.context.set_default_navigation_timeout(PATIENCE_MS)
    speak(person, language)
    sign_in_with_name_only(person, url, t, diego.username)
    expect(person).to_have_url(re.compile(rf"^{re.escape(saml_idp.base_url)}/"))
    sign_in_at_provider(person, diego.username, mfa=True)
    expect(person).to_have_url(f"{url}/signin/verify/")
    expect(person.locator("html")).to_have_attribute("lang", language)
    expect(person.get_by_role("main")).to_contain_text(diego.username)
    snap(person, f"sso-saml-second-step-{language}")
    verify_with_app(person, t, app)
    # Without an admin role her start page is her account.
    expect(person).to_have_url(f"{url}/account/")
    expect(person.get_by_test_id("org-name")).to_have_text("Contoso")
    event = AuditEvent.objects.filter(action="signin.success", actor=diego).get()
    assert event.new_values["provider"] == "Contoso ADFS"
    assert event.new_values["provider_mfa"] is False

    # Signing out goes through the IdP's single logout and back to the sign-in page.
    sign_out(person, t, "Diego Siciliani")
    expect(person).to_have_url(re.compile(rf"^{re.escape(url)}/signin/(\?.*)?$"))
    person.goto(f"{url}/account/")
    expect(person).to_have_url(f"{url}/signin/?next=/account/")
    person.context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_name_the_provider_vouches_for_without_an_account_here_is_refused(
    page,
    live_server,
    contoso,
    oidc_idp,  # noqa: F811
    language,
):
    t, url = Texts(language), live_server.url
    oidc_provider(oidc_idp, contoso, jit_create=False)
    newcomer = f"newcomer@{DOMAIN}"
    oidc_idp.add_account(newcomer, claims(newcomer, "Nestor Wilke"))
    speak(page, language)

    sign_in_with_name_only(page, url, t, newcomer)
    sign_in_at_provider(page, newcomer)
    expect(page.get_by_role("heading", name=t("You can't sign in"))).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_test_id("sso-refused")).to_have_text(
        t(
            "Your identity provider signed you in as %(name)s, but %(organization)s has no "
            "account with that name here. Ask your administrator to add you.",
            name=newcomer,
            organization="Contoso",
        )
    )
    snap(page, f"sso-refused-{language}")
    violations = axe_violations(page)
    assert not violations, "\n".join(violations)
    page.get_by_role("link", name=t("Back to sign-in")).click()
    expect(page).to_have_url(f"{url}/signin/")
    assert AuditEvent.objects.filter(action="sso.refused", target_label=newcomer).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_failed_test_sign_in_says_why_and_keeps_the_provider_off(
    page,
    live_server,
    contoso,
    oidc_idp,  # noqa: F811
    language,
):
    t, url = Texts(language), live_server.url
    megan = global_admin(contoso, language)
    provider = oidc_provider(oidc_idp, contoso)
    IdentityProvider.objects.filter(pk=provider.pk).update(is_enabled=False)
    # The provider knows the client with another secret than the admin typed here.
    oidc_idp.add_client(
        provider.client_id, "another secret", [urls_for.oidc_redirect_uri(provider)]
    )
    oidc_idp.add_account(megan.username, claims(megan.username, "Megan Bowen"))
    speak(page, language)

    sign_in_with_password(page, url, t, megan.username)
    page.goto(f"{url}/settings/sso/{provider.pk}/")
    with page.context.expect_page() as opened:
        page.get_by_role("button", name=t("Test sign-in")).click()
    tab = opened.value
    sign_in_at_provider(tab, megan.username)
    expect(tab.get_by_role("heading", name=t("The test sign-in failed"))).to_be_visible()
    expect(tab.get_by_test_id("sso-test-failed")).to_contain_text("Contoso Entra ID")
    snap(tab, f"sso-test-failed-{language}")
    violations = axe_violations(tab)
    assert not violations, "\n".join(violations)
    tab.get_by_role("link", name=t("Back to the provider")).click()
    expect(tab.get_by_test_id("never-tested")).to_be_visible()
    tab.get_by_role("button", name=t("Switch on")).click()
    expect(
        tab.get_by_text(t("Run a test sign-in that succeeds before switching the provider on."))
    ).to_be_visible()
    expect_status(tab, t, "Off, not tested")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_global_admin_signs_in_around_single_sign_on_with_a_second_factor(
    page,
    live_server,
    outboxes,
    contoso,
    oidc_idp,  # noqa: F811
    language,
):
    t, url = Texts(language), live_server.url
    oidc_provider(oidc_idp, contoso)
    megan = global_admin(contoso, language)
    make_user(contoso, "alex", roles=[GLOBAL_ADMIN], display_name="Alex Wilber")
    app = make_app(megan)
    speak(page, language)

    page.goto(f"{url}/signin/break-glass/")
    expect(page.get_by_role("heading", name=t("Sign in without single sign-on"))).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    snap(page, f"sso-break-glass-{language}")
    sign_in_with_password(page, url, t, megan.username, path="/signin/break-glass/")
    expect(page).to_have_url(f"{url}/signin/verify/")
    verify_with_app(page, t, app)
    expect(page).to_have_url(f"{url}/")
    expect(page.get_by_test_id("org-name")).to_have_text("Contoso")
    expect(page.get_by_label(t("Account menu of %(name)s", name="Megan Bowen"))).to_be_visible()
    assert AuditEvent.objects.filter(action="sso.break_glass", actor=megan).exists()
    # The other Global admin is told.
    mail = "".join(f.read_text() for f in (outboxes / "mail").iterdir())
    assert f"alex@{DOMAIN}" in mail
    assert megan.username in mail


@pytest.mark.parametrize("language", LANGUAGES)
def test_self_service_reset_of_a_federated_name_sends_the_person_to_their_provider(
    page,
    live_server,
    contoso,
    oidc_idp,  # noqa: F811
    language,
):
    t, url = Texts(language), live_server.url
    oidc_provider(oidc_idp, contoso)
    adele = make_user(contoso, "adele", display_name="Adele Vance")
    speak(page, language)

    page.goto(f"{url}/password/reset/")
    page.get_by_label(t("Sign-in name")).fill(adele.username)
    page.get_by_role("button", name=t("Next")).click()
    expect(page.locator(".field-error")).to_have_text(
        t(
            "Your organization signs you in at %(provider)s, which keeps your password. "
            "Reset it there, or ask your administrator.",
            provider="Contoso Entra ID",
        )
    )
    expect(page).to_have_url(f"{url}/password/reset/")
    snap(page, f"sso-reset-federated-{language}")
