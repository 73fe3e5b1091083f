"""An API client acting in its organization, as a person with its roles would."""

from functools import cached_property

from accounts.roles import permissions_for_roles
from api.models import ApiClient


class ApiActor:
    """The acting party of an API request: what the services ask of an acting user.

    It holds the client's roles and their permissions, belongs to the client's
    organization, and is nobody's account (``pk`` is None), so the rank rules
    that stop a person acting on themselves never match it. Audit events name it
    by ``audit_label``.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = id = None

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.tenant = client.tenant
        self.tenant_id = client.tenant_id
        self.role_codes = frozenset(client.roles)

    @cached_property
    def _permissions(self) -> frozenset[str]:
        return frozenset(permissions_for_roles(self.role_codes))

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return obj is None and perm in self._permissions

    @property
    def is_admin(self) -> bool:
        return bool(self.role_codes)

    @property
    def display_name(self) -> str:
        return self.client.name

    @property
    def audit_label(self) -> str:
        return f"api:{self.client.name}"

    username = audit_label

    def __str__(self) -> str:
        return self.client.name
