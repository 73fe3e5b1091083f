"""Reads compiled once (core/prepared.py) give what the ORM gives, in one query each."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, F
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AuditEvent, RoleAssignment, User
from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN, USER_ADMIN
from core.access import prepared_object_or_404
from core.prepared import PreparedQuery
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _users(tenant):
    return User.objects.filter(tenant_id=tenant).order_by("id")


@pytest.fixture
def people(tenant, other_tenant):
    make_user(tenant, "ann", roles=[GLOBAL_ADMIN, HELPDESK_ADMIN], job_title="Lead")
    make_user(tenant, "bob", roles=[USER_ADMIN])
    make_user(tenant, "cy")
    make_user(other_tenant, "dee", roles=[GLOBAL_ADMIN])


def test_model_rows_are_the_querysets_rows_with_related_rows_and_annotations(
    tenant, other_tenant, people
):
    def build(tenant):
        return (
            _users(tenant)
            .select_related("tenant")
            .annotate(roles=Count("role_assignments"), shown=F("display_name"))
        )

    query = PreparedQuery(build, tenant=int)
    for organization in (tenant, other_tenant):
        expected = list(build(organization.pk))
        got = query(tenant=organization.pk)
        assert [u.pk for u in got] == [u.pk for u in expected]
        for mine, theirs in zip(got, expected, strict=True):
            assert mine.__dict__.keys() - {"_state"} == theirs.__dict__.keys() - {"_state"}
            assert (mine.username, mine.job_title, mine.roles, mine.shown) == (
                theirs.username,
                theirs.job_title,
                theirs.roles,
                theirs.shown,
            )
            assert mine.tenant == organization and mine._state.adding is False


def test_values_rows_are_dicts_and_values_list_rows_tuples_in_the_order_asked(tenant, people):
    dicts = PreparedQuery(
        lambda tenant: _users(tenant).values("username", held=Count("role_assignments")),
        tenant=int,
    )
    tuples = PreparedQuery(
        lambda tenant: (
            _users(tenant).annotate(held=Count("role_assignments")).values_list("held", "username")
        ),
        tenant=int,
    )
    flat = PreparedQuery(lambda tenant: _users(tenant).values_list("pk", flat=True), tenant=int)
    assert dicts(tenant=tenant.pk) == list(
        _users(tenant.pk).values("username", held=Count("role_assignments"))
    )
    assert tuples(tenant=tenant.pk) == list(
        _users(tenant.pk).annotate(held=Count("role_assignments")).values_list("held", "username")
    )
    assert flat(tenant=tenant.pk) == list(_users(tenant.pk).values_list("pk", flat=True))


def test_values_are_converted_as_the_orm_converts_them(tenant, admin):
    # Booleans and times come back as Python's own on every database (SQLite has neither).
    query = PreparedQuery(
        lambda user: User.objects.filter(pk=user).values_list("is_sign_in_blocked", "date_joined"),
        user=int,
    )
    assert query(user=admin.pk) == list(
        User.objects.filter(pk=admin.pk).values_list("is_sign_in_blocked", "date_joined")
    )
    assert query(user=admin.pk)[0][1].tzinfo is not None


def test_a_parameter_used_twice_and_text_parameters_are_swapped_in(tenant, admin):
    AuditEvent.objects.create(tenant=tenant, action="user.update", target_id=str(admin.pk))
    query = PreparedQuery(
        lambda tenant, target: AuditEvent.objects.filter(
            tenant_id=tenant, target_id=target
        ).values_list("action", flat=True),
        tenant=int,
        target=str,
    )
    assert query(tenant=tenant.pk, target=str(admin.pk)) == ["user.update"]
    assert query(tenant=tenant.pk, target="nobody") == []


def test_each_call_is_one_query_and_the_sql_is_built_once(
    tenant, people, django_assert_num_queries
):
    built = []

    def build(tenant):
        built.append(tenant)
        return RoleAssignment.objects.filter(user__tenant_id=tenant).values_list("role", flat=True)

    query = PreparedQuery(build, tenant=int)
    for _ in range(3):
        with django_assert_num_queries(1):
            assert sorted(query(tenant=tenant.pk)) == sorted(
                [GLOBAL_ADMIN, HELPDESK_ADMIN, USER_ADMIN]
            )
    assert len(built) == 2  # once to learn the model, once to compile


def test_a_parameter_that_does_not_reach_the_sql_is_refused(tenant):
    query = PreparedQuery(lambda tenant: User.objects.values_list("pk", flat=True), tenant=int)
    with pytest.raises(ImproperlyConfigured, match="do not reach the SQL"):
        query(tenant=tenant.pk)


def test_a_parameter_the_sql_gets_transformed_is_refused(tenant):
    query = PreparedQuery(
        lambda name: User.objects.filter(username__contains=name).values_list("pk", flat=True),
        name=str,
    )
    with pytest.raises(ImproperlyConfigured, match="transformed"):
        query(name="ann")


def test_wrong_parameters_and_kinds_are_refused(tenant):
    query = PreparedQuery(lambda pk: User.objects.filter(pk=pk), pk=int)
    with pytest.raises(TypeError):
        query(id=1)
    with pytest.raises(ImproperlyConfigured, match="only int and str"):
        PreparedQuery(lambda when: User.objects.filter(date_joined=when), when=float)


_BY_ID = PreparedQuery(
    lambda tenant, pk: User.objects.filter(tenant_id=tenant, pk=pk), tenant=int, pk=int
)


def test_prepared_object_or_404_finds_only_the_organizations_row(tenant, other_tenant, admin):
    assert prepared_object_or_404(_BY_ID, str(admin.pk), tenant=tenant.pk) == admin
    with pytest.raises(Http404):
        prepared_object_or_404(_BY_ID, admin.pk, tenant=other_tenant.pk)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=30),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.none(),
        st.floats(allow_nan=True),
    )
)
def test_prepared_object_or_404_answers_any_id_with_a_row_or_404(tenant, admin, value):
    try:
        found = prepared_object_or_404(_BY_ID, value, tenant=tenant.pk)
    except Http404:
        return
    assert found == admin and str(value).strip().lstrip("+").lstrip("0") == str(admin.pk)
