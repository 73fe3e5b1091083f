"""A user's contact information: shown on their page, edited by whoever may edit them,
checked as the CSV import checks it, exported under the import's column names."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AuditEvent, User
from accounts.roles import (
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
from core.exceptions import Forbidden
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sign_in
from users import services
from users.csv_import import CONTACT_KEYS, TEMPLATE_HEADER, clean_contact, parse_users_csv

DOMAIN = "contoso.example"

pytestmark = [pytest.mark.django_db, pytest.mark.tenant(domain=DOMAIN, country="NL")]


@pytest.fixture
def pat(tenant):
    return make_user(tenant, "pat", display_name="Pat Person")


def url(user):
    return f"/users/{user.pk}/contact/"


def contact(**values):
    return {key: values.get(key, "") for key in CONTACT_KEYS}


FULL = contact(
    mobile_phone="06 12345678",
    alternate_email="Pat.Private@Example.org",
    fax="+31 20 765 4321",
    address="Main Street 1\r\n2nd floor",
    city="Amsterdam",
    state_or_province="Noord-Holland",
    postal_code="1011 AB",
)


def test_a_users_page_shows_their_contact_information(client, tenant, admin):
    person = make_user(
        tenant,
        "anna",
        contact_details={
            "mobile_phone": "+31612345678",
            "alternate_email": "anna@example.org",
            "address": "Main Street 1\n2nd floor",
            "city": "Amsterdam",
        },
    )
    sign_in(client, admin)
    page = client.get(f"/users/{person.pk}/").content.decode()
    section = page.split('data-testid="user-contact"')[1].split("</section>")[0]
    assert "Contact information" in section
    assert "+31 6 12345678" in section and "anna@example.org" in section
    assert "Main Street 1<br>2nd floor" in section and "Amsterdam" in section
    assert "ZIP or postal code" in section
    assert url(person) in section


@pytest.mark.parametrize("role", [GLOBAL_READER, HELPDESK_ADMIN, GROUPS_ADMIN])
def test_those_who_may_not_edit_the_user_see_it_without_the_edit_link(client, tenant, pat, role):
    sign_in(client, make_user(tenant, roles=[role]))
    page = client.get(f"/users/{pat.pk}/").content.decode()
    assert 'data-testid="user-contact"' in page and url(pat) not in page


def test_edit_saves_checked_values_and_audits_old_and_new(client, tenant, admin, pat):
    sign_in(client, admin)
    form = client.get(url(pat)).content.decode()
    assert 'type="tel"' in form and 'type="email"' in form
    assert '<label for="id_alternate_email">Alternate email address' in form

    response = client.post(url(pat), FULL)

    assert response.url == f"/users/{pat.pk}/"
    pat.refresh_from_db()
    assert pat.contact_details == {
        "mobile_phone": "+31612345678",  # read in the organization's country, stored E.164
        "alternate_email": "Pat.Private@example.org",
        "fax": "+31 20 765 4321",
        "address": "Main Street 1\r\n2nd floor",
        "city": "Amsterdam",
        "state_or_province": "Noord-Holland",
        "postal_code": "1011 AB",
    }
    event = AuditEvent.objects.get(action="user.change", target_id=str(pat.pk))
    assert event.actor == admin
    assert event.old_values == dict.fromkeys(CONTACT_KEYS, "")
    assert event.new_values == pat.contact_details
    assert "The contact information was saved." in client.get(f"/users/{pat.pk}/").content.decode()
    # The form shows what is stored.
    assert 'value="+31612345678"' in client.get(url(pat)).content.decode()


def test_an_empty_value_removes_it_and_other_details_stay(client, tenant, admin):
    person = make_user(
        tenant, "anna", contact_details={"city": "Amsterdam", "fax": "020 1234567", "x": "kept"}
    )
    sign_in(client, admin)
    client.post(url(person), contact(city="Utrecht"))
    person.refresh_from_db()
    assert person.contact_details == {"city": "Utrecht", "x": "kept"}
    event = AuditEvent.objects.get(action="user.change")
    assert event.old_values == {"city": "Amsterdam", "fax": "020 1234567"}
    assert event.new_values == {"city": "Utrecht", "fax": ""}


def test_saving_unchanged_records_nothing(client, tenant, admin, pat):
    sign_in(client, admin)
    client.post(url(pat), FULL)
    client.post(url(pat), FULL)
    assert AuditEvent.objects.filter(action="user.change").count() == 1
    assert "Nothing changed." in client.get(f"/users/{pat.pk}/").content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mobile_phone", "020 1234567", "This looks like a landline number"),
        ("mobile_phone", "call me", "A phone number can only contain digits"),
        ("alternate_email", "pat@", "This is not a valid email address:"),
        ("alternate_email", "pat@sales.contoso.example", "Use an address outside the organizat"),
        ("alternate_email", "PAT@contoso.example", "This is the user&#x27;s sign-in name;"),
        ("city", "Amster\ndam", "Remove the line break"),
        ("fax", "1" * 201, "Ensure this value has at most 200 characters"),
    ],
)
def test_bad_values_are_refused_at_their_field(client, tenant, admin, pat, field, value, message):
    sign_in(client, admin)
    response = client.post(url(pat), {**FULL, field: value})
    assert response.status_code == 200
    page = response.content.decode()
    error = page.split(f'id="id_{field}_error"')[1].split("</div>")[0]
    assert message in error, error
    assert User.objects.get(pk=pat.pk).contact_details == {}
    assert not AuditEvent.objects.filter(action="user.change").exists()


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, GLOBAL_READER, GROUPS_ADMIN])
def test_roles_that_may_not_edit_users_get_403(client, tenant, pat, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(client.get(url(pat)))
    assert_forbidden(client.post(url(pat), FULL))
    assert User.objects.get(pk=pat.pk).contact_details == {}


def test_a_user_admin_edits_users_but_not_a_global_admin(client, tenant, admin, pat):
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    assert client.post(url(pat), FULL).status_code == 302
    assert_forbidden(client.post(url(admin), FULL))
    assert User.objects.get(pk=admin.pk).contact_details == {}


def test_another_organizations_user_or_a_deleted_one_is_not_found(client, tenant, admin, pat):
    stranger = make_user(make_tenant(), "stranger")
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    sign_in(client, admin)
    assert_not_found(client.get(url(stranger)))
    assert_not_found(client.post(url(stranger), FULL))
    assert_not_found(client.post(url(pat), FULL))
    assert User.objects.get(pk=stranger.pk).contact_details == {}


def test_the_service_refuses_who_may_not_manage_the_user(tenant, admin, pat):
    with pytest.raises(Forbidden):
        services.user_contact_update(tenant=tenant, acting_user=pat, user=admin, city="X")
    with pytest.raises(Forbidden):
        services.user_contact_update(tenant=make_tenant(), acting_user=admin, user=pat, city="X")


# --- The checks, shared with the CSV import ----------------------------------------


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(CONTACT_KEYS),
    value=st.text(st.characters(exclude_categories=["Cs"]), max_size=250),
)
def test_any_text_is_cleaned_or_refused_and_a_cleaned_value_stays_as_it_is(tenant, key, value):
    arguments = {"region": "NL", "tenant_domains": [DOMAIN], "sign_in_name": f"pat@{DOMAIN}"}
    try:
        cleaned = clean_contact(key, value, **arguments)
    except ValidationError as error:
        assert error.messages
        return
    assert isinstance(cleaned, str)
    assert clean_contact(key, cleaned, **arguments) == cleaned


# --- The export, read back by the import -----------------------------------------------


def _export(client, **query):
    # The admin's language is switched on for the request (and its streamed body) only.
    with translation.override("en"):
        response = client.get("/users/export/", query)
        text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_the_export_has_the_contact_columns_under_the_imports_names(client, tenant, admin, pat):
    sign_in(client, admin)
    client.post(url(pat), FULL)
    header, *rows = _export(client, q="Pat Person")
    assert set(TEMPLATE_HEADER) <= set(header)
    [row] = rows
    exported = dict(zip(header, row, strict=True))
    assert exported["Mobile Phone"] == "'+31612345678"  # defused, as any cell starting with +
    assert exported["Alternate email address"] == "Pat.Private@example.org"
    assert exported["Address"] == "Main Street 1\r\n2nd floor"
    assert (exported["City"], exported["State or Province"]) == ("Amsterdam", "Noord-Holland")
    assert (exported["ZIP or Postal Code"], exported["Fax"]) == ("1011 AB", "'+31 20 765 4321")


@pytest.mark.parametrize("language", ["en", "nl"])
def test_an_export_can_be_imported_again(client, tenant, admin, language):
    person = make_user(
        tenant,
        "anna",
        first_name="Anna",
        last_name="de Vries",
        display_name="Anna de Vries",
        job_title="=Buyer",
        department="Sales",
        office="3.14",
        business_phone="+31 20 123 4567",
        usage_location="BE",
        roles=[HELPDESK_ADMIN],
        is_sign_in_blocked=True,
    )
    sign_in(client, admin)
    client.post(url(person), FULL)
    User.objects.filter(pk=admin.pk).update(preferred_language=language)
    text = "\r\n".join(
        ",".join(_quoted(cell) for cell in row) for row in _export(client, q="Anna de Vries")
    )
    other = make_tenant(domain="fabrikam.example", country="NL")

    result = parse_users_csv(text.replace(f"@{DOMAIN}", "@fabrikam.example").encode(), tenant=other)

    assert result.errors == []
    [row] = result.rows
    assert (row.username, row.display_name) == ("anna@fabrikam.example", "Anna de Vries")
    assert (row.first_name, row.last_name, row.job_title) == ("Anna", "de Vries", "=Buyer")
    assert (row.department, row.office, row.business_phone) == ("Sales", "3.14", "+31 20 123 4567")
    assert (row.mobile_phone, row.alternate_email) == ("+31612345678", "Pat.Private@example.org")
    assert row.usage_location == "BE"
    assert row.extra == {
        "fax": "+31 20 765 4321",
        "address": "Main Street 1\r\n2nd floor",
        "city": "Amsterdam",
        "state_or_province": "Noord-Holland",
        "postal_code": "1011 AB",
    }


def _quoted(cell):
    return '"' + cell.replace('"', '""') + '"'
