"""SCIM /Users: create, read, search, replace, patch and delete, as the pages would."""

import pytest

from accounts.models import AuditEvent, User
from accounts.roles import GLOBAL_ADMIN, USER_ADMIN
from tests.factories import make_user
from tests.helpers import sign_in
from tests.scim.helpers import ENTERPRISE, USER_SCHEMA, body, error, new_user, patch, scim
from tests.scim.helpers import scim_secret as secret_of
from users.models import DeletedUser

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(tenant):
    return secret_of(tenant)


@pytest.fixture
def ann(client, secret, domain):
    return body(scim(client, "post", "/Users", secret, new_user(domain)), 201)


def test_create_keeps_every_mapped_attribute(client, tenant, secret, domain):
    response = scim(
        client,
        "post",
        "/Users",
        secret,
        new_user(
            domain,
            externalId="0a21f0f2-8d2a",
            title="Buyer",
            phoneNumbers=[{"value": "+31 20 555 0100", "type": "work"}],
            **{ENTERPRISE: {"department": "Purchasing"}},
        ),
    )
    created = body(response, 201)
    user = User.objects.get(pk=created["id"])
    assert response["Location"] == f"http://testserver/scim/v2/Users/{user.pk}"
    assert created["meta"]["location"] == response["Location"]
    assert (user.username, user.first_name, user.last_name) == (f"ann@{domain}", "Ann", "Lee")
    assert (user.display_name, user.job_title, user.department) == (
        "Ann Lee",
        "Buyer",
        "Purchasing",
    )
    assert user.business_phone == "+31 20 555 0100"
    assert user.external_id == "0a21f0f2-8d2a"
    assert user.provisioned_by.name == "Entra ID"
    assert created["schemas"] == [USER_SCHEMA, ENTERPRISE]
    assert created[ENTERPRISE] == {"department": "Purchasing"}
    assert created["active"] is True
    event = AuditEvent.objects.get(action="user.create", target_id=str(user.pk))
    assert event.actor_label == "api:Entra ID"


def test_entra_ids_create_request_as_published(client, tenant, secret, domain):
    """Microsoft's example body: unkept attributes (emails, roles, meta) are ignored."""
    created = body(
        scim(
            client,
            "post",
            "/Users",
            secret,
            {
                "schemas": [USER_SCHEMA, ENTERPRISE],
                "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                "userName": f"Test_User_ab6490ee@{domain}",
                "active": True,
                "emails": [{"primary": True, "type": "work", "value": f"t@{domain}"}],
                "meta": {"resourceType": "User"},
                "name": {"formatted": "givenName familyName", "familyName": "F", "givenName": "G"},
                "roles": [],
            },
        ),
        201,
    )
    assert created["userName"] == f"test_user_ab6490ee@{domain}"
    assert created["name"] == {"givenName": "G", "familyName": "F"}
    assert created["displayName"] == "G F"


def test_oktas_create_request_as_published(client, secret, domain):
    created = body(
        scim(
            client,
            "post",
            "/Users",
            secret,
            {
                "schemas": [USER_SCHEMA],
                "userName": f"test.user@{domain}",
                "name": {"givenName": "Test", "familyName": "User"},
                "emails": [{"primary": True, "value": f"test.user@{domain}", "type": "work"}],
                "displayName": "Test User",
                "locale": "en-US",
                "externalId": "00ujl29u0le5T6Aj10h7",
                "groups": [],
                "password": "1mz050nq",
                "active": True,
            },
        ),
        201,
    )
    user = User.objects.get(pk=created["id"])
    assert user.external_id == "00ujl29u0le5T6Aj10h7"
    assert not user.check_password("1mz050nq")  # a pushed password is not kept


def test_attribute_names_match_in_any_case(client, secret, domain):
    created = body(
        scim(
            client,
            "post",
            "/Users",
            secret,
            {"USERNAME": f"cas@{domain}", "Name": {"GIVENNAME": "Cas"}, "ACTIVE": False},
        ),
        201,
    )
    assert created["name"] == {"givenName": "Cas"}
    assert created["active"] is False
    assert User.objects.get(pk=created["id"]).is_sign_in_blocked


@pytest.mark.parametrize(
    "user_name",
    ["nobody@elsewhere.example", "no-domain", "", None, 42, "@{domain}"],
)
def test_a_user_name_outside_the_verified_domains_is_invalid(client, secret, domain, user_name):
    if isinstance(user_name, str):
        user_name = user_name.format(domain=domain)
    data = new_user(domain)
    data["userName"] = user_name
    error(scim(client, "post", "/Users", secret, data), 400, "invalidValue")
    assert not User.objects.filter(provisioned_by__isnull=False).exists()


def test_an_unverified_domain_of_the_organization_is_refused(client, tenant, secret):
    tenant.domain_set.create(name="pending.example", is_verified=False)
    data = new_user("pending.example")
    error(scim(client, "post", "/Users", secret, data), 400, "invalidValue")


def test_a_taken_user_name_is_a_uniqueness_conflict(client, secret, domain, ann, other_tenant):
    error(scim(client, "post", "/Users", secret, new_user(domain)), 409, "uniqueness")
    data = new_user(domain)
    data["userName"] = data["userName"].upper()
    error(scim(client, "post", "/Users", secret, data), 409, "uniqueness")


@pytest.mark.parametrize(
    "fields",
    [
        {"active": "maybe"},
        {"name": "Ann"},
        {"title": 5},
        {"phoneNumbers": "555"},
        {"displayName": "x" * 300},
    ],
)
def test_values_of_the_wrong_type_are_invalid(client, secret, domain, fields):
    error(scim(client, "post", "/Users", secret, new_user(domain, **fields)), 400, "invalidValue")


def test_get_a_user_and_choose_attributes(client, secret, ann):
    path = f"/Users/{ann['id']}"
    assert body(scim(client, "get", path, secret), 200) == ann
    only = body(scim(client, "get", f"{path}?attributes=userName,name.givenName", secret), 200)
    assert only == {
        "schemas": [USER_SCHEMA],
        "id": ann["id"],
        "userName": ann["userName"],
        "name": {"givenName": "Ann"},
    }
    without = body(scim(client, "get", f"{path}?excludedAttributes=name,meta,id", secret), 200)
    assert "name" not in without and "meta" not in without and without["id"] == ann["id"]


def _ids(client, secret, query):
    found = body(scim(client, "get", f"/Users?{query}", secret), 200)
    return sorted(resource["id"] for resource in found["Resources"])


@pytest.fixture
def people(client, secret, domain):
    made = {}
    for local, fields in {
        "anna": {"title": "Chef", "externalId": "A-1", "name": {"givenName": "Anna"}},
        "bob": {"title": "", "externalId": "a-1", "active": False},
        "carla": {
            "phoneNumbers": [{"value": "020 555", "type": "work"}],
            ENTERPRISE: {"department": "Sales"},
        },
    }.items():
        data = new_user(domain, local, **fields)
        data["displayName"] = local.title()
        made[local] = body(scim(client, "post", "/Users", secret, data), 201)["id"]
    return made


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('userName eq "ANNA@{domain}"', ["anna"]),
        ('username EQ "anna@{domain}"', ["anna"]),
        ('userName sw "b"', ["bob"]),
        ('displayName co "ARL"', ["carla"]),
        ('displayName ew "a"', ["anna", "carla"]),
        ("title pr", ["anna"]),
        ("not (title pr)", ["bob", "carla"]),
        ('externalId eq "A-1"', ["anna"]),
        ('externalId eq "a-1"', ["bob"]),
        ('externalId sw "A"', ["anna"]),
        ('externalId co "-"', ["anna", "bob"]),
        ('externalId ew "1"', ["anna", "bob"]),
        ('externalId gt "B"', ["bob"]),
        ('meta.created lt "2000-01-01T00:00:00Z"', []),
        ("active eq false", ["bob"]),
        ("active ne false", ["anna", "carla"]),
        ('name.givenName eq "anna"', ["anna"]),
        (
            'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"',
            ["carla"],
        ),
        ('phoneNumbers[type eq "work" and value co "555"]', ["carla"]),
        ("phoneNumbers.value pr", ["carla"]),
        ('emails[type eq "work"].value eq "anna@{domain}"', []),
        ("emails pr", []),
        ("name.formatted pr", []),
        ('not (name.middleName pr) and displayName eq "bob"', ["bob"]),
        ('not (emails pr) and displayName eq "bob"', ["bob"]),
        ('(userName sw "a" or userName sw "b") and active eq true', ["anna"]),
        ('displayName gt "Bob"', ["carla"]),
        ('displayName le "bob"', ["anna", "bob"]),
        ('meta.created gt "2000-01-01T00:00:00Z"', ["anna", "bob", "carla"]),
        ('id eq "{anna}"', ["anna"]),
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@{domain}"', ["bob"]),
    ],
)
def test_filters(client, secret, domain, people, expression, expected):
    text = expression.format(domain=domain, anna=people["anna"])
    assert _ids(client, secret, f"filter={text}") == sorted(people[name] for name in expected)


@pytest.mark.parametrize(
    "expression",
    [
        'nope eq "x"',
        "userName eq",
        'userName xx "a"',
        "active eq 5",
        "active gt true",
        'meta.created gt "yesterday"',
        'members[value eq "1"]',
        'urn:nope:User:userName eq "x"',
    ],
)
def test_a_bad_filter_is_invalid_filter(client, secret, expression):
    response = scim(client, "get", f"/Users?filter={expression}", secret)
    error(response, 400, "invalidFilter")


def test_paging(client, secret, people):
    ids = sorted(people.values(), key=int)
    page = body(scim(client, "get", "/Users?startIndex=2&count=1", secret), 200)
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 2, 1)
    assert [r["id"] for r in page["Resources"]] == [ids[1]]
    counted = body(scim(client, "get", "/Users?count=0", secret), 200)
    assert (counted["totalResults"], counted["Resources"]) == (3, [])
    below = body(scim(client, "get", "/Users?startIndex=-4&count=-1", secret), 200)
    assert (below["startIndex"], below["itemsPerPage"]) == (1, 0)
    error(scim(client, "get", "/Users?count=many", secret), 400, "invalidValue")


def test_search_with_post(client, secret, domain, people):
    found = body(
        scim(
            client,
            "post",
            "/Users/.search",
            secret,
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "filter": 'userName sw "c"',
                "attributes": ["userName"],
                "startIndex": 1,
                "count": 10,
            },
        ),
        200,
    )
    assert found["Resources"] == [
        {"schemas": [USER_SCHEMA], "id": people["carla"], "userName": f"carla@{domain}"}
    ]
    error(scim(client, "post", "/Users/.search", secret, {"count": [1]}), 400, "invalidValue")


def test_a_lookup_by_name_reads_the_client_and_the_user_only(
    client, secret, domain, people, django_assert_num_queries
):
    scim(client, "get", "/Users", secret)  # the client's last use is written once a minute
    with django_assert_num_queries(2):
        found = body(scim(client, "get", f'/Users?filter=userName eq "bob@{domain}"', secret), 200)
    assert found["totalResults"] == 1
    with django_assert_num_queries(3):  # a full page needs its count
        body(scim(client, "get", "/Users?count=2", secret), 200)


def test_put_replaces_the_user(client, secret, domain, ann):
    replaced = body(
        scim(
            client,
            "put",
            f"/Users/{ann['id']}",
            secret,
            {"schemas": [USER_SCHEMA], "userName": f"ann.lee@{domain}", "displayName": "A. Lee"},
        ),
        200,
    )
    user = User.objects.get(pk=ann["id"])
    assert (user.username, user.display_name, user.first_name) == (
        f"ann.lee@{domain}",
        "A. Lee",
        "",
    )
    assert "name" not in replaced and replaced["active"] is True
    error(scim(client, "put", f"/Users/{ann['id']}", secret, {"displayName": "x"}), 400)


def test_entra_ids_patch_requests(client, secret, domain, ann):
    path = f"/Users/{ann['id']}"
    updated = body(
        scim(
            client,
            "patch",
            path,
            secret,
            patch(
                {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "x@y.example"},
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
                {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "+1 555"},
                {"op": "Add", "path": "manager", "value": [{"$ref": None, "value": "12"}]},
                {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Tax"},
            ),
        ),
        200,
    )
    assert updated["name"] == {"givenName": "Ann", "familyName": "updatedFamilyName"}
    assert updated["phoneNumbers"] == [{"value": "+1 555", "type": "work"}]
    assert updated[ENTERPRISE] == {"department": "Tax"}
    disabled = body(
        scim(
            client,
            "patch",
            path,
            secret,
            patch({"op": "Replace", "path": "active", "value": "False"}),
        ),
        200,
    )
    assert disabled["active"] is False
    assert User.objects.get(pk=ann["id"]).is_sign_in_blocked
    renamed = body(
        scim(
            client,
            "patch",
            path,
            secret,
            patch({"op": "Replace", "path": "userName", "value": f"Ann.Renamed@{domain}"}),
        ),
        200,
    )
    assert renamed["userName"] == f"ann.renamed@{domain}"


def test_oktas_patch_without_a_path(client, secret, ann):
    path = f"/Users/{ann['id']}"
    body(
        scim(client, "patch", path, secret, patch({"op": "replace", "value": {"active": False}})),
        200,
    )
    assert User.objects.get(pk=ann["id"]).is_sign_in_blocked
    again = body(
        scim(
            client,
            "patch",
            path,
            secret,
            patch({"op": "add", "value": {"name.givenName": "Annie", "active": True, "id": "999"}}),
        ),
        200,
    )
    assert again["name"]["givenName"] == "Annie" and again["active"] is True


def test_patch_remove(client, secret, domain):
    data = new_user(domain, title="Chef", phoneNumbers=[{"value": "1", "type": "work"}])
    made = body(scim(client, "post", "/Users", secret, data), 201)
    path = f"/Users/{made['id']}"
    gone = body(
        scim(
            client,
            "patch",
            path,
            secret,
            patch(
                {"op": "remove", "path": "title"},
                {"op": "remove", "path": 'phoneNumbers[type eq "work"]'},
                {"op": "remove", "path": "name.givenName"},
            ),
        ),
        200,
    )
    assert "title" not in gone and "phoneNumbers" not in gone
    assert gone["name"] == {"familyName": "Lee"}
    error(
        scim(client, "patch", path, secret, patch({"op": "remove", "path": "userName"})),
        400,
        "mutability",
    )
    error(scim(client, "patch", path, secret, patch({"op": "remove"})), 400, "noTarget")


@pytest.mark.parametrize(
    ("operations", "scim_type"),
    [
        ([{"op": "move", "path": "title", "value": "x"}], "invalidSyntax"),
        ([{"op": "replace", "path": "title"}], "invalidSyntax"),
        ([{"op": "replace", "path": "nope", "value": "x"}], "invalidPath"),
        ([{"op": "replace", "path": "id", "value": "7"}], "mutability"),
        ([{"op": "replace", "path": "title[", "value": "x"}], "invalidPath"),
        ([{"op": "replace", "path": 'phoneNumbers[value co "9"].value', "value": "x"}], "noTarget"),
        ([{"op": "replace", "value": "not an object"}], "invalidSyntax"),
        ([], "invalidSyntax"),
        ("replace", "invalidSyntax"),
    ],
)
def test_bad_patches_change_nothing(client, secret, ann, operations, scim_type):
    response = scim(client, "patch", f"/Users/{ann['id']}", secret, {"Operations": operations})
    error(response, 400, scim_type)
    assert body(scim(client, "get", f"/Users/{ann['id']}", secret), 200) == ann


def test_a_patch_that_fails_part_way_changes_nothing(client, secret, ann):
    response = scim(
        client,
        "patch",
        f"/Users/{ann['id']}",
        secret,
        patch(
            {"op": "replace", "path": "title", "value": "Chef"},
            {"op": "replace", "path": "userName", "value": "ann@elsewhere.example"},
        ),
    )
    error(response, 400, "invalidValue")
    assert User.objects.get(pk=ann["id"]).job_title == ""


def test_delete_goes_to_deleted_users(client, secret, ann):
    response = scim(client, "delete", f"/Users/{ann['id']}", secret)
    assert response.status_code == 204
    assert DeletedUser.objects.filter(pk=ann["id"]).exists()
    error(scim(client, "get", f"/Users/{ann['id']}", secret), 404)
    error(scim(client, "delete", f"/Users/{ann['id']}", secret), 404)
    assert (
        body(scim(client, "get", f'/Users?filter=id eq "{ann["id"]}"', secret), 200)["totalResults"]
        == 0
    )


def test_the_portals_rules_hold(client, tenant, secret):
    """A User admin client can't change a Global admin, as a User admin person can't."""
    boss = make_user(tenant, "boss", roles=[GLOBAL_ADMIN])
    error(
        scim(
            client,
            "patch",
            f"/Users/{boss.pk}",
            secret,
            patch({"op": "replace", "path": "title", "value": "x"}),
        ),
        403,
    )
    error(scim(client, "delete", f"/Users/{boss.pk}", secret), 403)
    assert User.objects.get(pk=boss.pk).job_title == ""


def test_the_users_page_says_who_provisioned_them(client, tenant, ann):
    manager = make_user(tenant, "manager", roles=[USER_ADMIN])
    page = sign_in(client, manager).get(f"/users/{ann['id']}/")
    assert page.status_code == 200
    assert "Provisioned by Entra ID" in page.content.decode()
