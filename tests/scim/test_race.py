"""20 parallel SCIM creations of one sign-in name: exactly one user is made.

An identity provider retries and runs provisioning cycles side by side, so the
same user can be POSTed several times at once; one creation wins, and every
other one is a 409 ``uniqueness`` conflict (RFC 7644, section 3.3), never a 500
or a second user. The sign-in name is compared in any letter case, so
``Ann@...`` and ``ANN@...`` are the same name.

The races need PostgreSQL: SQLite serializes writers, so nothing races there.

A creation that passes the "name available" check before the winner commits
meets the model's unique check (or the database's) instead: a 409 as well
(``test_a_name_taken_after_the_check_is_a_uniqueness_conflict``).
"""

import json

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from tests.factories import make_tenant, make_user
from tests.helpers import run_together
from tests.scim.helpers import BASE, SCIM, error, new_user, scim, scim_secret

PARALLEL = 20

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL's concurrent writers (run with DATABASE_URL=postgres://...)",
)


def _post(secret, body):
    def post():
        response = Client().post(
            f"{BASE}/Users",
            json.dumps(body),
            content_type=SCIM,
            headers={"Authorization": f"Bearer {secret}"},
        )
        return response.status_code, response.content

    return post


def _assert_one_created(results, tenant, username):
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(status for status, _content in results)
    assert statuses.count(201) == 1, results
    [created] = [json.loads(content) for status, content in results if status == 201]
    assert created["userName"] == username
    users = User.objects.filter(tenant=tenant, username=username)
    assert [str(user.pk) for user in users] == [created["id"]]
    assert User.objects.filter(tenant=tenant).count() == 1
    refusals = [json.loads(content) for status, content in results if status != 201]
    for refusal in refusals:
        assert refusal["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert all((r["status"], r.get("scimType")) == ("409", "uniqueness") for r in refusals), (
        refusals
    )
    assert statuses == [201] + [409] * (PARALLEL - 1), results


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_posts_of_one_username_create_one_user():
    tenant = make_tenant()
    domain = tenant.domain_set.get(is_default=True).name
    secret = scim_secret(tenant)
    body = new_user(domain, "ann")
    results = run_together(*[_post(secret, body) for _ in range(PARALLEL)])
    _assert_one_created(results, tenant, f"ann@{domain}")


def _letter_cases(text, count):
    """``count`` different spellings of ``text`` in upper and lower case letters."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    spellings = []
    for n in range(count):
        chars = list(text)
        for bit, i in enumerate(letters):
            if n >> bit & 1:
                chars[i] = chars[i].upper()
        spellings.append("".join(chars))
    assert len(set(spellings)) == count
    return spellings


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_posts_of_one_username_in_other_letter_cases_create_one_user():
    tenant = make_tenant()
    domain = tenant.domain_set.get(is_default=True).name
    secret = scim_secret(tenant)
    spellings = _letter_cases(f"ann@{domain}", PARALLEL)
    assert {f"ann@{domain}", f"Ann@{domain}", f"ANN@{domain}"} <= set(spellings)
    bodies = [new_user(domain, userName=spelling) for spelling in spellings]
    results = run_together(*[_post(secret, body) for body in bodies])
    _assert_one_created(results, tenant, f"ann@{domain}")


@pytest.mark.django_db
def test_a_name_taken_after_the_check_is_a_uniqueness_conflict(client, tenant, domain, monkeypatch):
    # What the losers of the race above see: the availability check ran before
    # the winner committed, so it said "available", and the winner's row is
    # there by the time the new user is validated and saved.
    make_user(tenant, "ann")
    monkeypatch.setattr("users.services.username_available", lambda username: True)
    response = scim(client, "post", "/Users", scim_secret(tenant), new_user(domain, "ANN"))
    error(response, 409, "uniqueness")
