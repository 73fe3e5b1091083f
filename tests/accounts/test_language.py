"""The portal's language: the user's choice, else the organization's, else the browser's."""

import pytest

from accounts.models import AuditEvent, User
from accounts.roles import GLOBAL_ADMIN
from tests.factories import make_tenant, make_user
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def lang(response):
    return response["Content-Language"]


def test_visitors_get_their_browsers_language(client):
    assert lang(client.get("/signin/", headers={"accept-language": "nl"})) == "nl"
    assert lang(client.get("/signin/", headers={"accept-language": "en"})) == "en"


def test_organization_language_beats_the_browser(client):
    sign_in(client, make_user(make_tenant(preferred_language="nl"), roles=[GLOBAL_ADMIN]))
    assert lang(client.get("/", headers={"accept-language": "en"})) == "nl"


def test_users_choice_beats_the_organization_and_is_remembered(client):
    user = make_user(make_tenant(preferred_language="nl"), roles=[GLOBAL_ADMIN])
    sign_in(client, user)
    response = client.post("/account/language/", {"language": "en", "next": "/users/"})
    assert response.url == "/users/"
    assert User.objects.get(pk=user.pk).preferred_language == "en"
    assert lang(client.get("/")) == "en"
    assert AuditEvent.objects.filter(action="user.language").exists()
    client.post("/account/language/", {"language": ""})
    assert lang(client.get("/")) == "nl"


def test_unknown_language_and_foreign_next_are_refused(client):
    user = make_user(make_tenant(), roles=[GLOBAL_ADMIN])
    sign_in(client, user)
    response = client.post(
        "/account/language/", {"language": "xx", "next": "https://evil.example/"}
    )
    assert response.url == "/account/"
    assert User.objects.get(pk=user.pk).preferred_language == ""


def test_anonymous_cannot_set_a_language(client):
    assert client.post("/account/language/", {"language": "nl"}).status_code == 302


def test_a_malformed_language_is_refused_and_changes_nothing(client):
    user = make_user(make_tenant(), roles=[GLOBAL_ADMIN], preferred_language="nl")
    sign_in(client, user)
    response = client.post("/account/language/", {"language": "e\x00n", "next": "/users/"})
    assert response.url == "/users/"
    assert User.objects.get(pk=user.pk).preferred_language == "nl"
    assert not AuditEvent.objects.filter(action="user.language").exists()


def test_a_malformed_next_goes_to_my_account(client):
    user = make_user(make_tenant(), roles=[GLOBAL_ADMIN])
    sign_in(client, user)
    response = client.post("/account/language/", {"language": "en", "next": "/users/\x00"})
    assert response.url == "/account/"
    assert User.objects.get(pk=user.pk).preferred_language == "en"
