"""Production settings: hashing, the deploy checks, required env vars, response headers."""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

import admin_portal.settings as project_settings

BASE_DIR = Path(__file__).resolve().parents[2]


def _manage(*args, **env_overrides):
    # A clean environment, as on a server: nothing of the test run (such as
    # conftest's DJANGO_ALLOW_ASYNC_UNSAFE or a SECRET_KEY) leaks in.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(env_overrides)
    return subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _secret_key():
    alphabet = string.ascii_letters + string.digits + "!#%&()*+,-./:;<=>?@[]^_{|}~"
    return "".join(secrets.choice(alphabet) for _ in range(50))


def test_argon2_is_the_first_password_hasher():
    # conftest swaps in a fast hasher on django.conf.settings only; this is the real list.
    assert project_settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )


def test_argon2_is_installed():
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("a password", hasher.salt())
    assert encoded.startswith("argon2$")
    assert hasher.verify("a password", encoded)


def test_deploy_check_passes_with_production_env():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=_secret_key(),
        ALLOWED_HOSTS="portal.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_settings_refuse_to_load_without_secret_key_when_debug_is_off():
    result = _manage("check", DEBUG="false", ALLOWED_HOSTS="portal.example")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_settings_refuse_a_bad_boolean():
    result = _manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'maybe'" in result.stderr


@pytest.fixture
def production(settings):
    """The security settings that DEBUG=false turns on (pytest-django runs with DEBUG off)."""
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    return settings


def _directives(policy):
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.django_db
def test_production_response_headers(client, production):
    response = client.get("/signin/", secure=True)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = _directives(policy)
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    csrf_cookie = response.cookies["portal_csrftoken"]
    assert csrf_cookie["secure"]


@pytest.mark.django_db
def test_production_redirects_plain_http_to_https(client, production):
    response = client.get("/signin/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/signin/"


@pytest.mark.django_db
def test_session_cookie_is_secure_and_http_only_in_production(client, production):
    from tests.factories import PASSWORD, make_tenant, make_user

    user = make_user(make_tenant())
    response = client.post(
        "/signin/", {"username": user.username, "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    cookie = response.cookies["portal_session"]
    assert cookie["secure"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_pages_have_no_inline_script():
    # The CSP forbids inline script; no template may carry one.
    templates = BASE_DIR / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text()
        for tag in text.split("<script")[1:]:
            assert "src=" in tag.split(">", 1)[0], f"inline <script> in {path}"
        assert " onclick=" not in text and " onload=" not in text, path
