from pathlib import Path

import pytest
from playwright.sync_api import expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# A busy machine is slow, not wrong: an assertion waits up to a minute for the page to
# get there (Playwright's default is 5 s), and so do clicks, fills and navigations. A
# passing test waits no longer than before; only a failing one takes longer to say so.
PATIENCE_MS = 60_000
expect.set_options(timeout=PATIENCE_MS)


@pytest.fixture
def context(context):
    context.set_default_timeout(PATIENCE_MS)
    context.set_default_navigation_timeout(PATIENCE_MS)
    return context


@pytest.fixture
def shot(page):
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def sign_in(page, live_server):
    def do(username, password):
        page.goto(f"{live_server.url}/signin/")
        page.get_by_label("Sign-in name").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()

    return do


@pytest.fixture
def outboxes(settings, tmp_path):
    """Send SMS and email to files under tmp_path (sms/ and mail/), as a person reads them."""
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path
