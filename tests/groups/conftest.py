import pytest

from accounts.roles import GROUPS_ADMIN
from tests.factories import make_tenant, make_user


@pytest.fixture
def foreign_group():
    """A group of another organization."""
    from tests.groups.factories import make_group

    other = make_tenant()
    return make_group(other, make_user(other, roles=[GROUPS_ADMIN]), "security", name="Foreign")
