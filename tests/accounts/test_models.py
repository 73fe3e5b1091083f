"""The shared model: domains, sign-in names, the append-only audit log, tenant scoping."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.audit import audit_record
from accounts.models import AuditEvent, Domain, RoleAssignment, User, normalize_domain
from accounts.roles import GLOBAL_ADMIN
from tests.factories import make_operator, make_tenant, make_user

pytestmark = pytest.mark.django_db


# --- sign-in names ---------------------------------------------------------


def test_username_domain_must_be_one_of_the_tenants_domains():
    tenant = make_tenant(domain="contoso.example")
    make_tenant(domain="fabrikam.example")
    user = User(tenant=tenant, username="anna@fabrikam.example")
    with pytest.raises(ValidationError) as caught:
        user.full_clean()
    [error] = caught.value.error_dict["username"]
    assert error.code == "foreign_domain"
    assert error.params == {"domain": "fabrikam.example"}
    assert "fabrikam.example is not one of" in caught.value.message_dict["username"][0]


def test_username_on_any_domain_of_the_tenant_is_accepted():
    tenant = make_tenant(domain="contoso.example")
    Domain.objects.create(tenant=tenant, name="contoso-sales.example")
    user = User(tenant=tenant, username="anna@contoso-sales.example")
    user.set_unusable_password()
    user.full_clean()


@pytest.mark.parametrize("username", ["anna", "@contoso.example", "anna@"])
def test_username_without_local_part_or_domain_is_refused(username):
    tenant = make_tenant(domain="contoso.example")
    with pytest.raises(ValidationError) as caught:
        User(tenant=tenant, username=username).full_clean()
    assert "username" in caught.value.message_dict


def test_username_is_normalized_to_lower_case_by_full_clean():
    tenant = make_tenant(domain="contoso.example")
    user = User(tenant=tenant, username="  Anna.Smith@CONTOSO.Example ")
    user.set_unusable_password()
    user.full_clean()
    assert user.username == "anna.smith@contoso.example"


def test_username_is_normalized_by_create_user():
    tenant = make_tenant(domain="contoso.example")
    user = User.objects.create_user("Ben@Contoso.EXAMPLE", "x", tenant=tenant)
    assert user.username == "ben@contoso.example"


def test_username_with_international_domain_is_stored_in_ascii_form():
    tenant = make_tenant(domain="xn--bcher-kva.example")
    user = User(tenant=tenant, username="Anna@Bücher.example")
    user.set_unusable_password()
    user.full_clean()
    assert user.username == "anna@xn--bcher-kva.example"
    assert User.objects.normalize_username("anna@BÜCHER.example") == user.username


def test_usernames_differing_only_in_case_collide():
    tenant = make_tenant(domain="contoso.example")
    make_user(tenant, "anna")
    with pytest.raises(ValidationError) as caught:
        User(tenant=tenant, username="ANNA@contoso.example").full_clean()
    assert "username" in caught.value.message_dict


def test_display_name_is_derived_when_left_empty():
    tenant = make_tenant(domain="contoso.example")
    named = User(tenant=tenant, username="a@contoso.example", first_name="Anna", last_name="Li")
    named.set_unusable_password()
    named.full_clean()
    assert named.display_name == "Anna Li"
    bare = User(tenant=tenant, username="ben@contoso.example")
    bare.set_unusable_password()
    bare.full_clean()
    assert bare.display_name == "ben"


def test_operator_has_no_tenant_and_needs_no_domain():
    operator = make_operator("Op@Platform.example")
    assert operator.tenant_id is None
    assert operator.username == "op@platform.example"
    assert operator.is_staff and operator.is_superuser


# --- domains ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Contoso.EXAMPLE", "contoso.example"),
        ("  contoso.example.  ", "contoso.example"),
        ("Bücher.example", "xn--bcher-kva.example"),
        ("sub.domain.example", "sub.domain.example"),
    ],
)
def test_normalize_domain_lower_cases_and_idna_encodes(raw, expected):
    assert normalize_domain(raw) == expected


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   ",
        None,
        "localhost",
        "not a domain",
        "ex ample.com",
        "a..b",
        "-bad.example",
        "bad-.example",
        "under_score.example",
        "anna@contoso.example",
        "http://contoso.example",
        "1.2.3.4",
        "x" * 64 + ".example",
        ("a" * 60 + ".") * 5 + "example",  # longer than 253
    ],
)
def test_normalize_domain_rejects_junk(junk):
    with pytest.raises(ValidationError):
        normalize_domain(junk)


def test_domain_full_clean_normalizes_the_name():
    tenant = make_tenant()
    domain = Domain(tenant=tenant, name="Bücher.Example")
    domain.full_clean()
    assert domain.name == "xn--bcher-kva.example"


def test_domain_full_clean_reports_a_bad_name_on_the_name_field():
    tenant = make_tenant()
    with pytest.raises(ValidationError) as caught:
        Domain(tenant=tenant, name="not a domain").full_clean()
    assert "name" in caught.value.message_dict


def test_domain_names_are_unique_across_the_platform():
    make_tenant(domain="contoso.example")
    other = make_tenant()
    with pytest.raises(ValidationError) as caught:
        Domain(tenant=other, name="CONTOSO.example").full_clean()
    assert "name" in caught.value.message_dict
    with pytest.raises(ValidationError):
        Domain(tenant=other, name="contoso.example").validate_unique()
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.create(tenant=other, name="contoso.example")


def test_only_one_default_domain_per_tenant():
    tenant = make_tenant()  # has a default domain already
    second = Domain(tenant=tenant, name="second.example", is_default=True)
    with pytest.raises(ValidationError):
        second.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    # More domains that are not the default are fine.
    Domain(tenant=tenant, name="third.example").full_clean()


# --- role assignments --------------------------------------------------------


def test_role_can_only_be_given_to_a_user_of_the_same_tenant():
    tenant, other = make_tenant(), make_tenant()
    stranger = make_user(other)
    with pytest.raises(ValidationError):
        RoleAssignment(tenant=tenant, user=stranger, role=GLOBAL_ADMIN).full_clean()


# --- the audit log is append-only ------------------------------------------


@pytest.fixture
def event():
    tenant = make_tenant()
    return audit_record(action="tenant.create", tenant=tenant, target=tenant)


def test_audit_event_cannot_be_saved_again(event):
    event.action = "changed"
    with pytest.raises(TypeError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "tenant.create"


def test_audit_event_cannot_be_deleted(event):
    with pytest.raises(TypeError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_queryset_cannot_update_or_delete(event):
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(action="changed")
    with pytest.raises(TypeError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "tenant.create"


def test_audit_events_can_be_added(event):
    audit_record(action="tenant.suspend", tenant=event.tenant, target=event.tenant)
    assert AuditEvent.objects.for_tenant(event.tenant).count() == 2


# --- tenant scoping -----------------------------------------------------------


def test_for_tenant_none_is_empty():
    tenant = make_tenant()
    make_user(tenant)
    audit_record(action="tenant.create", tenant=tenant)
    assert not Domain.objects.for_tenant(None).exists()
    assert not User.objects.for_tenant(None).exists()
    assert not AuditEvent.objects.for_tenant(None).exists()


def test_for_tenant_returns_only_that_tenants_rows():
    tenant, other = make_tenant(), make_tenant()
    mine = make_user(tenant)
    make_user(other)
    assert list(User.objects.for_tenant(tenant)) == [mine]
    assert list(Domain.objects.for_tenant(tenant)) == list(tenant.domain_set.all())


def test_passwords_are_between_12_and_128_characters():
    from django.contrib.auth import password_validation
    from django.core.exceptions import ValidationError as Invalid

    with pytest.raises(Invalid) as short:
        password_validation.validate_password("Sh0rt-pass")
    assert "at least 12" in str(short.value)
    with pytest.raises(Invalid) as long:
        password_validation.validate_password("x-Y" * 43)
    assert "at most 128" in str(long.value)
    password_validation.validate_password("a long enough passphrase here")
