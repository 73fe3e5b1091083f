"""The admin roles, as data, and the one rule for who may reset whose password.

A role grants a set of Django permissions (``app_label.codename``); the
authentication backend in ``accounts.backends`` hands a user the union of the
permissions of their roles, so views use ``PermissionRequiredMixin`` and
templates ``perms`` as anywhere in Django. Later areas add their permissions to
the roles here.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

ADMIN_CENTER = "accounts.view_admin_center"
VIEW_USERS = "accounts.view_user"
ADD_USERS = "accounts.add_user"
CHANGE_USERS = "accounts.change_user"
DELETE_USERS = "accounts.delete_user"
RESET_PASSWORDS = "accounts.reset_password"
VIEW_ROLES = "accounts.view_roleassignment"
ASSIGN_ROLES = "accounts.change_roleassignment"
VIEW_AUDIT = "accounts.view_auditevent"
VIEW_TENANT = "accounts.view_tenant"
CHANGE_TENANT = "accounts.change_tenant"
VIEW_DOMAINS = "accounts.view_domain"
CHANGE_DOMAINS = "accounts.change_domain"
# Billing (the billing app's models; named here as data, accounts imports no other app).
VIEW_SUBSCRIPTIONS = "billing.view_subscription"
CHANGE_SUBSCRIPTIONS = "billing.change_subscription"
VIEW_LICENSES = "billing.view_license"
CHANGE_LICENSES = "billing.change_license"
VIEW_INVOICES = "billing.view_invoice"
VIEW_PAYMENT_METHODS = "billing.view_paymentmethod"
CHANGE_PAYMENT_METHODS = "billing.change_paymentmethod"
VIEW_BILLING_ACCOUNTS = "billing.view_billingaccount"
CHANGE_BILLING_ACCOUNTS = "billing.change_billingaccount"

# Groups (the groups app's model).
VIEW_GROUPS = "groups.view_group"
ADD_GROUPS = "groups.add_group"
CHANGE_GROUPS = "groups.change_group"
DELETE_GROUPS = "groups.delete_group"
_MANAGE_GROUPS = frozenset({VIEW_GROUPS, ADD_GROUPS, CHANGE_GROUPS, DELETE_GROUPS})

# Support (the support app's model).
OPEN_SUPPORT_REQUESTS = "support.add_servicerequest"
VIEW_SUPPORT_REQUESTS = "support.view_servicerequest"
_SUPPORT = frozenset({OPEN_SUPPORT_REQUESTS, VIEW_SUPPORT_REQUESTS})

# API clients (the api app's model): scripts and identity providers acting with roles.
VIEW_API_CLIENTS = "api.view_apiclient"
CHANGE_API_CLIENTS = "api.change_apiclient"

# Partner relationships (accounts' models): who outside the organization may act in it.
VIEW_PARTNERS = "accounts.view_partnerrelationship"
CHANGE_PARTNERS = "accounts.change_partnerrelationship"

# Single sign-on (the sso app's model): the organization's own identity providers.
VIEW_SSO = "sso.view_identityprovider"
CHANGE_SSO = "sso.change_identityprovider"

# The Security center's sign-in log (the security_center app's model).
VIEW_SIGNINS = "security_center.view_signin"

# Reports (no model: the reports app reads other areas' figures).
VIEW_REPORTS = "reports.view_reports"

# Setup (no model: the setup app reads the organization's state). Every admin opens
# Setup and sees the steps their roles can do; whoever holds this sees all of it:
# every step, the recommended actions and every admin's access.
VIEW_SETUP = "setup.view_setup"

# Resources (the resources app's model).
VIEW_RESOURCES = "resources.view_resource"
CHANGE_RESOURCES = "resources.change_resource"
_RESOURCES = frozenset({VIEW_RESOURCES, CHANGE_RESOURCES})

_READ_BILLING = frozenset(
    {VIEW_SUBSCRIPTIONS, VIEW_LICENSES, VIEW_INVOICES, VIEW_PAYMENT_METHODS, VIEW_BILLING_ACCOUNTS}
)
_CHANGE_BILLING = _READ_BILLING | {
    CHANGE_SUBSCRIPTIONS,
    CHANGE_LICENSES,
    CHANGE_PAYMENT_METHODS,
    CHANGE_BILLING_ACCOUNTS,
}

GLOBAL_ADMIN = "global_admin"
GLOBAL_READER = "global_reader"
USER_ADMIN = "user_admin"
HELPDESK_ADMIN = "helpdesk_admin"
GROUPS_ADMIN = "groups_admin"
BILLING_ADMIN = "billing_admin"
SERVICE_SUPPORT_ADMIN = "service_support_admin"
REPORTS_READER = "reports_reader"


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    description: str
    permissions: frozenset
    # Privileged roles can only be given or taken away by a Global admin; a User
    # admin manages the others.
    privileged: bool = False


_READ_ALL = (
    frozenset({ADMIN_CENTER, VIEW_USERS, VIEW_ROLES, VIEW_AUDIT, VIEW_TENANT, VIEW_DOMAINS})
    | _READ_BILLING
    | {VIEW_GROUPS, VIEW_REPORTS}
)

_GLOBAL_ADMIN_PERMISSIONS = (
    _READ_ALL
    | {
        ADD_USERS,
        CHANGE_USERS,
        DELETE_USERS,
        RESET_PASSWORDS,
        ASSIGN_ROLES,
        CHANGE_TENANT,
        VIEW_SETUP,
        CHANGE_DOMAINS,
        VIEW_API_CLIENTS,
        CHANGE_API_CLIENTS,
        VIEW_SIGNINS,
        VIEW_PARTNERS,
        CHANGE_PARTNERS,
        VIEW_SSO,
        CHANGE_SSO,
    }
    | _CHANGE_BILLING
    | _MANAGE_GROUPS
    | _SUPPORT
    | _RESOURCES
)


def _reads(permissions):
    """Return the permissions of ``permissions`` that only let their holder look."""
    return frozenset(p for p in permissions if p.split(".", 1)[1].startswith("view_"))


ROLES = {
    role.code: role
    for role in [
        Role(
            GLOBAL_ADMIN,
            _("Global admin"),
            _("Full access to every admin feature, and the only role that manages other admins."),
            _GLOBAL_ADMIN_PERMISSIONS,
            privileged=True,
        ),
        Role(
            GLOBAL_READER,
            _("Global reader"),
            _("Sees everything a Global admin sees, and changes nothing."),
            # Derived, so an area that gives the Global admin a page to read gives it
            # to the Global reader as well.
            _reads(_GLOBAL_ADMIN_PERMISSIONS),
            privileged=True,
        ),
        Role(
            USER_ADMIN,
            _("User admin"),
            _(
                "Adds, edits and deletes users, resets passwords of non-privileged users, "
                "and gives or takes away the limited admin roles."
            ),
            frozenset(
                {ADMIN_CENTER, VIEW_USERS, ADD_USERS, CHANGE_USERS, DELETE_USERS, VIEW_ROLES}
                | {RESET_PASSWORDS, ASSIGN_ROLES, VIEW_LICENSES, CHANGE_LICENSES, VIEW_SIGNINS}
                | _MANAGE_GROUPS
                | _RESOURCES
            ),
        ),
        Role(
            HELPDESK_ADMIN,
            _("Helpdesk admin"),
            _("Resets passwords of users without a role and of other Helpdesk admins."),
            frozenset({ADMIN_CENTER, VIEW_USERS, RESET_PASSWORDS, VIEW_GROUPS, VIEW_SIGNINS})
            | _SUPPORT,
        ),
        Role(
            GROUPS_ADMIN,
            _("Groups admin"),
            _("Creates and manages groups and their members."),
            frozenset({ADMIN_CENTER, VIEW_USERS}) | _MANAGE_GROUPS,
        ),
        Role(
            BILLING_ADMIN,
            _("Billing admin"),
            _("Buys and cancels subscriptions, manages licenses, invoices and payment methods."),
            frozenset({ADMIN_CENTER}) | _CHANGE_BILLING,
            privileged=True,
        ),
        Role(
            SERVICE_SUPPORT_ADMIN,
            _("Service support admin"),
            _("Opens support requests and reads service health and the message center."),
            frozenset({ADMIN_CENTER}) | _SUPPORT,
            privileged=True,
        ),
        Role(
            REPORTS_READER,
            _("Reports reader"),
            _("Reads usage reports."),
            frozenset({ADMIN_CENTER, VIEW_REPORTS}),
        ),
    ]
}

ROLE_CHOICES = [(role.code, role.name) for role in ROLES.values()]

# What each permission lets a role holder do, in the words of the Roles page.
PERMISSION_LABELS = {
    ADMIN_CENTER: _("Open the admin center"),
    VIEW_USERS: _("See users"),
    ADD_USERS: _("Add users"),
    CHANGE_USERS: _("Edit users and block their sign-in"),
    DELETE_USERS: _("Delete and restore users"),
    RESET_PASSWORDS: _("Reset passwords"),
    VIEW_ROLES: _("See who holds which role"),
    ASSIGN_ROLES: _("Give and take away roles"),
    VIEW_AUDIT: _("Read the audit log"),
    VIEW_TENANT: _("Read the organization's settings"),
    CHANGE_TENANT: _("Change the organization's settings"),
    VIEW_DOMAINS: _("See domains"),
    CHANGE_DOMAINS: _("Manage domains"),
    VIEW_SUBSCRIPTIONS: _("See products and subscriptions"),
    CHANGE_SUBSCRIPTIONS: _("Buy, resize and cancel subscriptions"),
    VIEW_LICENSES: _("See who has which license"),
    CHANGE_LICENSES: _("Assign and unassign licenses"),
    VIEW_INVOICES: _("See bills and download invoices"),
    VIEW_PAYMENT_METHODS: _("See payment methods"),
    CHANGE_PAYMENT_METHODS: _("Add and remove payment methods"),
    VIEW_BILLING_ACCOUNTS: _("See billing accounts"),
    CHANGE_BILLING_ACCOUNTS: _("Change billing accounts"),
    VIEW_GROUPS: _("See groups and their members"),
    ADD_GROUPS: _("Create groups"),
    CHANGE_GROUPS: _("Edit groups and their members"),
    DELETE_GROUPS: _("Delete and restore groups"),
    OPEN_SUPPORT_REQUESTS: _("Open service requests"),
    VIEW_SUPPORT_REQUESTS: _("Follow service requests"),
    VIEW_REPORTS: _("Read the reports"),
    VIEW_SETUP: _("See all of Setup: every step, the recommended actions and admin access"),
    VIEW_API_CLIENTS: _("See API clients"),
    CHANGE_API_CLIENTS: _("Add, rotate and revoke API clients"),
    VIEW_PARTNERS: _("See partner relationships"),
    CHANGE_PARTNERS: _("Ask for, approve and end partner access, and choose who acts"),
    VIEW_SSO: _("See single sign-on settings"),
    CHANGE_SSO: _("Add, test, switch on and remove identity providers"),
    VIEW_RESOURCES: _("See rooms and equipment"),
    VIEW_SIGNINS: _("Read the sign-in log and the Security center"),
    CHANGE_RESOURCES: _("Add, change and delete rooms and equipment"),
}

# Who may reset the password of a holder of each role. A user without a role is
# ``None`` here. A target with several roles is protected by all of them.
_RESETTABLE_BY = {
    None: {GLOBAL_ADMIN, USER_ADMIN, HELPDESK_ADMIN},
    HELPDESK_ADMIN: {GLOBAL_ADMIN, USER_ADMIN, HELPDESK_ADMIN},
    REPORTS_READER: {GLOBAL_ADMIN, USER_ADMIN, HELPDESK_ADMIN},
    GROUPS_ADMIN: {GLOBAL_ADMIN, USER_ADMIN},
    USER_ADMIN: {GLOBAL_ADMIN, USER_ADMIN},
}
_ONLY_GLOBAL_ADMIN = {GLOBAL_ADMIN}


def role_names(codes):
    """Return the names of the roles ``codes``, in the role table's order, joined."""
    chosen = set(codes)
    return ", ".join(str(role.name) for code, role in ROLES.items() if code in chosen)


def permissions_for_roles(role_codes):
    """Return the union of the permissions granted by ``role_codes``."""
    perms = set()
    for code in role_codes:
        role = ROLES.get(code)
        if role is not None:
            perms |= role.permissions
    return frozenset(perms)


def can_reset_password(actor, target):
    """Return whether ``actor`` may reset ``target``'s password.

    The same right lets the actor see ``target``'s security info (masked) and
    clear it. Nobody resets their own password this way, and nobody reaches
    across organizations.
    """
    if actor is None or target is None or not actor.is_authenticated:
        return False
    if actor.pk == target.pk or actor.tenant_id is None or actor.tenant_id != target.tenant_id:
        return False
    actor_roles = set(actor.role_codes)
    if not actor_roles:
        return False
    target_roles = target.role_codes or {None}
    return all(actor_roles & _RESETTABLE_BY.get(role, _ONLY_GLOBAL_ADMIN) for role in target_roles)


def can_assign_role(actor, role_code):
    """Return whether ``actor`` may give or take away ``role_code``."""
    role = ROLES.get(role_code)
    if role is None or actor is None or not actor.is_authenticated:
        return False
    if GLOBAL_ADMIN in actor.role_codes:
        return True
    return not role.privileged and actor.has_perm(ASSIGN_ROLES)
