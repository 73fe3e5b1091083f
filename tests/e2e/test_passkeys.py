"""End to end in Chromium: passkeys made and used by Chromium's virtual authenticator.

The authenticator is real WebAuthn (CTAP2, driven over the DevTools protocol), so
every registration and assertion is signed data that the portal checks itself.
WebAuthn refuses an IP address as relying-party id: the live server is opened at
http://localhost:PORT and PORTAL_BASE_URL (the relying party) is set to that URL.
"""

import re
import time
from urllib.parse import urlsplit

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.models import AuditEvent, Tenant
from accounts.roles import GLOBAL_ADMIN, USER_ADMIN
from security_info import passkeys
from security_info.models import PasskeyDevice
from security_info.passkeys import NOT_CHECKED, NOT_REGISTERED
from tests.factories import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

MEGAN = "Megan Bowen"


@pytest.fixture(autouse=True)
def portal_url(settings, live_server):
    """Make the live server the relying party; the server thread reads settings per request."""
    assert urlsplit(live_server.url).hostname == "localhost", "an IP address can't be an RP id"
    settings.PORTAL_BASE_URL = live_server.url
    return live_server.url


class Authenticator:
    """Chromium's virtual platform authenticator in the test's tab (CDP WebAuthn domain).

    It verifies the user (as a fingerprint would) and says yes at once, so no
    dialog waits for a person. Credential ids and user handles over CDP are
    standard base64, not base64url.
    """

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        options = {
            "protocol": "ctap2",
            "ctap2Version": "ctap2_1",
            "transport": "internal",
            "hasResidentKey": True,
            "hasUserVerification": True,
            "isUserVerified": True,
            "automaticPresenceSimulation": True,
        }
        self.id = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})[
            "authenticatorId"
        ]

    def credentials(self):
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def replace(self, credential):
        """Swap the stored credential for ``credential`` (same id): a clone of the key."""
        self.cdp.send(
            "WebAuthn.removeCredential",
            {"authenticatorId": self.id, "credentialId": credential["credentialId"]},
        )
        self.cdp.send(
            "WebAuthn.addCredential", {"authenticatorId": self.id, "credential": credential}
        )


@pytest.fixture
def authenticator(page):
    return Authenticator(page)


@pytest.fixture
def refusals(monkeypatch):
    """Record why the webauthn library refused an assertion (the person sees one message)."""
    reasons = []
    check = passkeys.verify_authentication_response

    def spy(**kwargs):
        try:
            return check(**kwargs)
        except Exception as error:
            reasons.append(str(error))
            raise

    monkeypatch.setattr(passkeys, "verify_authentication_response", spy)
    return reasons


@pytest.fixture
def megan():
    tenant = make_tenant("Contoso", "contoso.example")
    return make_user(tenant, "megan", roles=[GLOBAL_ADMIN], display_name=MEGAN)


# --- Steps a person takes ------------------------------------------------------------


def sign_in_with_password(page, url, username):
    page.goto(f"{url}/signin/")
    page.get_by_label("Sign-in name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    # exact: "Sign in with a passkey" is a button on this page too.
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page, display_name):
    page.get_by_label(f"Account menu of {display_name}").click()
    # The banner's: the passkey policy page has a Sign out button of its own.
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def confirm_its_you_if_asked(page, code=None):
    """Give the password (and ``code``) if the portal asks to confirm it's you first.

    It asks unless the sign-in or the last confirmation was recent enough.
    """
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile("Confirm it's you|Add a passkey or security key"))
    if heading.inner_text() != "Confirm it's you":
        return
    page.get_by_label("Password").fill(PASSWORD)
    if code is not None:
        page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()


def create_passkey(page, name, shot=None):
    """On the add page, name the passkey and let the authenticator make it."""
    expect(page.get_by_role("heading", name="Add a passkey or security key")).to_be_visible()
    page.get_by_label("Name").fill(name)
    if shot is not None:
        shot("passkey-add")
    page.get_by_test_id("passkey-create").click()


def add_passkey_from_security_info(page, url, name="Work laptop", shot=None):
    page.goto(f"{url}/security-info/")
    page.get_by_test_id("passkey-add-link").click()
    confirm_its_you_if_asked(page)
    create_passkey(page, name, shot)
    expect(page.get_by_text(f"Your passkey {name} was added.")).to_be_visible()
    expect(page.get_by_test_id("method-passkey")).to_contain_text(name)


def register_and_sign_out(page, url, user):
    """Sign in with the password, add a passkey in Security info, sign out."""
    sign_in_with_password(page, url, user.username)
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    add_passkey_from_security_info(page, url)
    sign_out(page, user.display_name)


def sign_in_with_passkey(page, url):
    page.goto(f"{url}/signin/")
    page.get_by_test_id("passkey-signin").click()


def expect_signed_out(page, url):
    page.goto(f"{url}/users/")
    expect(page).to_have_url(f"{url}/signin/?next=/users/")


def app_code(device):
    """Return a code of the authenticator app ``device`` that it has not accepted yet."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    now = (int(time.time()) - device.t0) // device.step
    # A step the device allows (tolerance 1) and has not used: codes work once.
    totp.time = device.t0 + max(now, device.last_t + 1) * device.step
    return f"{totp.token():0{device.digits}d}"


def successes(user):
    return AuditEvent.objects.filter(action="signin.success", actor=user).order_by("pk")


# --- Tests ---------------------------------------------------------------------------


def test_admin_adds_renames_and_deletes_a_passkey(page, live_server, authenticator, megan, shot):
    url = live_server.url
    sign_in_with_password(page, url, megan.username)
    expect(page.get_by_role("heading", name="Home")).to_be_visible()

    add_passkey_from_security_info(page, url, "Work laptop", shot)
    expect(page).to_have_url(f"{url}/security-info/")
    row = page.get_by_test_id("method-passkey")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("not used yet")
    shot("security-info-passkey")

    device = PasskeyDevice.objects.get(user=megan)
    (credential,) = authenticator.credentials()
    assert (device.name, device.confirmed) == ("Work laptop", True)
    assert device.sign_count == credential["signCount"]
    assert credential["isResidentCredential"] and device.discoverable
    assert credential["rpId"] == "localhost"

    page.get_by_role("link", name="Rename Work laptop").click()
    expect(page.get_by_role("heading", name="Rename passkey")).to_be_visible()
    page.get_by_label("Name").fill("Home desktop")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The passkey was renamed.")).to_be_visible()
    expect(row).to_contain_text("Home desktop")
    assert PasskeyDevice.objects.get(pk=device.pk).name == "Home desktop"

    page.get_by_role("link", name="Delete Home desktop").click()
    expect(page.get_by_role("heading", name="Delete this passkey?")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("The passkey was removed.")).to_be_visible()
    expect(row).to_have_count(0)
    assert not PasskeyDevice.objects.filter(user=megan).exists()


def test_passkey_finishes_sign_in_after_the_password(page, live_server, authenticator, megan):
    url = live_server.url
    register_and_sign_out(page, url, megan)

    sign_in_with_password(page, url, megan.username)
    expect(page).to_have_url(f"{url}/signin/verify/")
    expect(page.get_by_role("heading", name="Verify your identity")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_count(0)  # a passkey is the only method
    page.get_by_test_id("passkey-verify").click()
    expect(page).to_have_url(f"{url}/")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()

    assert successes(megan).last().new_values == {"second_factor": True}
    device = PasskeyDevice.objects.get(user=megan)
    assert device.last_used_at is not None
    assert device.sign_count == authenticator.credentials()[0]["signCount"]


def test_passkey_alone_signs_in_without_typing(page, live_server, authenticator, megan, shot):
    url = live_server.url
    register_and_sign_out(page, url, megan)

    page.goto(f"{url}/signin/")
    expect(page.get_by_test_id("passkey-signin")).to_be_visible()
    shot("signin-passkey")
    page.get_by_test_id("passkey-signin").click()
    expect(page).to_have_url(f"{url}/")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    expect(page.get_by_label(f"Account menu of {MEGAN}")).to_be_visible()
    assert successes(megan).last().new_values == {"second_factor": True}


def test_passkey_signed_for_another_origin_is_refused(
    page, live_server, authenticator, megan, settings, refusals
):
    url = live_server.url
    register_and_sign_out(page, url, megan)
    stored = PasskeyDevice.objects.get(user=megan).sign_count
    signed_in = successes(megan).count()

    # Same RP id (localhost), another port: the browser signs for an origin we don't expect.
    parts = urlsplit(url)
    settings.PORTAL_BASE_URL = f"{parts.scheme}://localhost:{parts.port + 1}"
    sign_in_with_passkey(page, url)
    expect(page).to_have_url(f"{url}/signin/")
    expect(page.get_by_text(str(NOT_CHECKED))).to_be_visible()

    assert len(refusals) == 1 and "origin" in refusals[0]
    assert successes(megan).count() == signed_in
    assert PasskeyDevice.objects.get(user=megan).sign_count == stored
    expect_signed_out(page, url)


def test_cloned_passkey_with_a_lower_counter_is_refused(
    page, live_server, authenticator, megan, refusals
):
    url = live_server.url
    register_and_sign_out(page, url, megan)
    sign_in_with_passkey(page, url)
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    sign_out(page, MEGAN)
    (credential,) = authenticator.credentials()
    stored = PasskeyDevice.objects.get(user=megan).sign_count
    # The library lets 0 follow 0 (keys that don't count): the test needs a count.
    assert stored > 0
    assert stored == credential["signCount"]
    signed_in = successes(megan).count()

    # A copy of the key whose counter is behind the one the portal saw last.
    authenticator.replace({**credential, "signCount": 0})
    sign_in_with_passkey(page, url)
    expect(page).to_have_url(f"{url}/signin/")
    expect(page.get_by_text(str(NOT_CHECKED))).to_be_visible()

    assert authenticator.credentials()[0]["signCount"] <= stored  # it did sign, behind
    assert len(refusals) == 1 and "sign count" in refusals[0]
    assert PasskeyDevice.objects.get(user=megan).sign_count == stored
    assert successes(megan).count() == signed_in
    expect_signed_out(page, url)


def test_deleted_passkey_no_longer_signs_in(page, live_server, authenticator, megan):
    url = live_server.url
    sign_in_with_password(page, url, megan.username)
    add_passkey_from_security_info(page, url)
    page.get_by_role("link", name="Delete Work laptop").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("The passkey was removed.")).to_be_visible()
    sign_out(page, MEGAN)
    assert len(authenticator.credentials()) == 1  # the device still holds it
    signed_in = successes(megan).count()

    sign_in_with_passkey(page, url)
    expect(page).to_have_url(f"{url}/signin/")
    expect(page.get_by_text(str(NOT_REGISTERED))).to_be_visible()
    assert successes(megan).count() == signed_in
    expect_signed_out(page, url)


def test_phishing_resistant_policy_takes_an_admin_through_adding_a_passkey(
    page, live_server, authenticator, shot
):
    url = live_server.url
    tenant = make_tenant("Contoso", "contoso.example")
    megan = make_user(tenant, "megan", roles=[GLOBAL_ADMIN], display_name=MEGAN)
    adele = make_user(tenant, "adele", roles=[USER_ADMIN], display_name="Adele Vance")
    app = TOTPDevice.objects.create(user=adele, name="Work phone", confirmed=True)

    # A Global admin turns the policy on.
    sign_in_with_password(page, url, megan.username)
    page.locator("summary", has_text="Settings").click()
    page.get_by_role("link", name="Security & privacy").click()
    expect(page).to_have_url(f"{url}/settings/security/")
    page.get_by_label("Require a phishing-resistant method for admins").check()
    page.get_by_role("button", name="Save").click()
    # She has no passkey either: the policy holds her at once.
    expect(page).to_have_url(
        f"{url}/security-info/passkeys/required/?next=%2Fsettings%2Fsecurity%2F"
    )
    expect(page.get_by_text("Your security settings were saved.")).to_be_visible()
    assert Tenant.objects.get(pk=tenant.pk).require_phishing_resistant_for_admins
    sign_out(page, MEGAN)

    # Another admin, with an authenticator app but no passkey, signs in with a code…
    sign_in_with_password(page, url, adele.username)
    expect(page).to_have_url(f"{url}/signin/verify/")
    page.get_by_label("Code").fill(app_code(app))
    page.get_by_role("button", name="Verify").click()
    # …and the admin center sends her to add a passkey.
    page.goto(f"{url}/users/")
    expect(page).to_have_url(f"{url}/security-info/passkeys/required/?next=%2Fusers%2F")
    expect(page.get_by_role("heading", name="Add a passkey to continue")).to_be_visible()
    expect(page.get_by_test_id("passkey-step-up")).to_have_count(0)
    shot("passkey-required")
    page.get_by_role("link", name="Add a passkey").click()
    confirm_its_you_if_asked(page, code=app_code(app))
    expect(page.get_by_test_id("passkey-policy")).to_be_visible()
    create_passkey(page, "Work laptop")
    expect(page).to_have_url(f"{url}/users/")
    expect(page.get_by_role("heading", name="Active users")).to_be_visible()
    assert PasskeyDevice.objects.filter(user=adele).count() == 1
    sign_out(page, "Adele Vance")

    # Next time only the passkey finishes her sign-in: the app's codes are not offered.
    sign_in_with_password(page, url, adele.username)
    expect(page).to_have_url(f"{url}/signin/verify/")
    expect(page.get_by_test_id("passkey-verify")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_count(0)
    expect(page.get_by_role("button", name="Verify", exact=True)).to_have_count(0)
    page.get_by_test_id("passkey-verify").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.goto(f"{url}/users/")
    expect(page).to_have_url(f"{url}/users/")
    expect(page.get_by_role("heading", name="Active users")).to_be_visible()
