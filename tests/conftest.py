"""The organization and admins most tests start from, defined once.

``tenant`` is a fresh organization; a module (or a test) that needs another kind
says so with ``@pytest.mark.tenant(**fields)``, whose fields go to ``make_tenant``
(a name, a domain, a country, a second-factor policy). ``admin`` is that
organization's Global admin, ``admin_client`` the test client signed in as them;
the role-specific admins are built the same way. ``other_tenant`` is the
organization whose objects a test must never reach.
"""

import pytest

from accounts.roles import BILLING_ADMIN, GLOBAL_ADMIN, GROUPS_ADMIN
from tests.factories import make_tenant, make_user
from tests.helpers import sign_in


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "tenant(**fields): the fields the `tenant` fixture's organization is made with"
    )


@pytest.fixture
def tenant(request, db):
    marker = request.node.get_closest_marker("tenant")
    return make_tenant(**(marker.kwargs if marker else {}))


@pytest.fixture
def other_tenant(db):
    return make_tenant()


@pytest.fixture
def domain(tenant):
    """The organization's default domain name, for the usernames a test types."""
    return tenant.domain_set.get(is_default=True).name


@pytest.fixture
def admin(tenant):
    return make_user(tenant, "megan", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")


@pytest.fixture
def admin_client(client, admin):
    return sign_in(client, admin)


@pytest.fixture
def groups_admin(tenant):
    return make_user(tenant, "ga", roles=[GROUPS_ADMIN], display_name="Grace Admin")


@pytest.fixture
def billing_admin(tenant):
    return make_user(tenant, "bill", roles=[BILLING_ADMIN], display_name="Bill Admin")


@pytest.fixture
def session_query(settings):
    """The queries a signed-in request makes for its session: 1 in the database, 0 in the cache."""
    return 0 if settings.SESSION_ENGINE.endswith(".cache") else 1
