"""Take the README's screenshots: Chromium over a fresh demo tenant.

    make screenshots            # or: .venv/bin/python docs/screenshots.py [--out DIR]

Builds the demo tenant in a throwaway SQLite database, gives its Global admin a
verified phone, alternate email and authenticator app, serves the portal on a
free loopback port, signs in with a code from the app, and saves PNGs of the
pages the README shows. Nothing outside the output folder is changed.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "Contoso-Demo-2026"  # noqa: S105 - the demo's printed password (DEBUG only)
ADMIN = "admin@contoso.example"
PAGES = [
    ("home.png", "/", None),
    ("active-users.png", "/users/", None),
    ("user-page.png", None, "user"),
    ("security-info.png", "/security-info/", None),
    ("bills-and-payments.png", "/billing/bills/", None),
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(env):
    """Migrate, seed the demo and give its admin security info (in a child process)."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    subprocess.run([*manage, "seed_demo", "--users", "250"], env=env, check=True)
    script = f"""
import base64
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.models import User
from security_info.models import AltEmailDevice, PhoneDevice
admin = User.objects.get(username={ADMIN!r})
now = timezone.now()
PhoneDevice.objects.get_or_create(user=admin, defaults=dict(
    name="Mobile phone", number="+31612345678", confirmed=True, verified_at=now))
AltEmailDevice.all_objects.get_or_create(user=admin, defaults=dict(
    name="Alternate email", email="morgan.lee@example.org", confirmed=True, verified_at=now))
device, _ = TOTPDevice.objects.get_or_create(
    user=admin, name="Work phone", defaults=dict(confirmed=True))
print(base64.b32encode(device.bin_key).decode())
"""
    result = subprocess.run(
        [*manage, "shell", "-c", script], env=env, check=True, capture_output=True, text=True
    )
    return result.stdout.strip().splitlines()[-1]


def wait_for(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the portal did not answer at {url}")


def shoot(base_url, secret, out):
    import base64

    from django_otp.oath import totp
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1360, "height": 860}, locale="en-GB")
        page.goto(f"{base_url}/signin/")
        page.locator("#id_username").fill(ADMIN)
        page.locator("#id_password").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url("**/signin/verify/**")
        device = page.locator("#id_otp_device")
        if device.count() and device.is_visible():
            device.select_option(label="Work phone")
        page.locator("#id_otp_token").fill(f"{totp(base64.b32decode(secret)):06d}")
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_selector("nav.sidebar")
        for name, path, special in PAGES:
            if special == "user":
                page.goto(f"{base_url}/users/?q=user%40contoso.example")
                page.locator("table tbody a").first.click()
            else:
                page.goto(base_url + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / name))
            print(f"saved {out / name}")
        browser.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "admin_portal.settings",
            "DATABASE_URL": f"sqlite:///{tmp}/screenshots.sqlite3",
            "DEBUG": "true",
            "PORTAL_DEMO_PASSWORD": DEMO_PASSWORD,
            "SMS_BACKEND": "file",
            "SMS_FILE_PATH": f"{tmp}/sms",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": f"{tmp}/mail",
        }
        env.pop("REDIS_URL", None)
        secret = prepare(env)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "runserver",
                "--noreload",
                f"127.0.0.1:{port}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_for(f"{base_url}/healthz")
            sys.path.insert(0, str(ROOT))
            shoot(base_url, secret, out)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
