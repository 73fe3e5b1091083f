"""The signed-in user is read with their organization and roles in one query."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.backends import PortalBackend
from accounts.models import RoleAssignment, User
from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN, USER_ADMIN, VIEW_USERS
from core.aggregates import TextList, split_text_list
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_text_list_joins_a_groups_values_and_is_none_for_no_rows(tenant):
    ann = make_user(tenant, "ann", roles=[GLOBAL_ADMIN, HELPDESK_ADMIN, USER_ADMIN])
    bob = make_user(tenant, "bob")
    joined = dict(
        RoleAssignment.objects.filter(user__in=[ann, bob])
        .values("user_id")
        .annotate(codes=TextList("role"))
        .values_list("user_id", "codes")
    )
    assert sorted(split_text_list(joined[ann.pk])) == sorted(
        [GLOBAL_ADMIN, HELPDESK_ADMIN, USER_ADMIN]
    )
    assert bob.pk not in joined
    assert split_text_list(None) == [] and split_text_list("") == []


def test_with_role_codes_gives_each_user_their_roles_without_another_query(
    tenant, other_tenant, django_assert_num_queries
):
    make_user(tenant, "ann", roles=[GLOBAL_ADMIN, HELPDESK_ADMIN])
    make_user(tenant, "bob")
    make_user(other_tenant, "cy", roles=[USER_ADMIN])
    with django_assert_num_queries(1):
        found = {u.username.split("@")[0]: u.role_codes for u in User.objects.with_role_codes()}
    assert found["ann"] == {GLOBAL_ADMIN, HELPDESK_ADMIN}
    assert found["bob"] == frozenset()
    assert found["cy"] == {USER_ADMIN}


def test_roles_read_with_the_user_are_forgotten_after_a_change(tenant):
    ann = make_user(tenant, "ann", roles=[HELPDESK_ADMIN])
    user = User.objects.with_role_codes().get(pk=ann.pk)
    assert user.role_codes == {HELPDESK_ADMIN}
    RoleAssignment.objects.create(tenant=tenant, user=user, role=GLOBAL_ADMIN)
    user.forget_roles()
    assert user.role_codes == {HELPDESK_ADMIN, GLOBAL_ADMIN}


def test_the_session_user_comes_with_organization_and_roles_in_one_query(
    tenant, django_assert_num_queries
):
    ann = make_user(tenant, "ann", roles=[USER_ADMIN])
    with django_assert_num_queries(1):
        user = PortalBackend().get_user(ann.pk)
        assert user.tenant == tenant
        assert user.role_codes == {USER_ADMIN}
        assert user.has_perm(VIEW_USERS)


def test_the_session_user_is_refused_when_they_may_not_sign_in(tenant):
    blocked = make_user(tenant, "blocked")
    User.objects.filter(pk=blocked.pk).update(is_sign_in_blocked=True)
    assert PortalBackend().get_user(blocked.pk) is None
    tenant.status = tenant.Status.SUSPENDED
    tenant.save()
    assert PortalBackend().get_user(make_user(tenant, "other").pk) is None


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.one_of(
        st.integers(),
        st.sampled_from([2**63, -(2**63) - 1, 10**30, "99999999999999999999"]),
        st.text(max_size=30),
        st.none(),
    )
)
def test_a_session_key_that_is_no_users_id_finds_nobody(tenant, value):
    # Ids come from the session, which the portal wrote; anything else finds nobody.
    assert PortalBackend().get_user(value) is None or User.objects.filter(pk=value).exists()
