"""The one place that writes audit events."""

from django.utils.translation import gettext_lazy as _

from accounts.lockout import client_ip
from accounts.models import AuditEvent, User
from core.pagecache import audit_action_changed


def audit_record(
    *,
    action,
    tenant=None,
    actor=None,
    request=None,
    target=None,
    target_type="",
    target_id="",
    target_label="",
    old=None,
    new=None,
    ip_address=None,
    user_agent="",
):
    """Append one audit event and return it.

    ``target`` may be a model instance, from which type, id and label are taken;
    ``request`` supplies the client address and user agent (or, in a background
    job, ``ip_address`` and ``user_agent`` that the request left).
    """
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_label = target_label or str(target)
    if actor is not None and not actor.is_authenticated:
        actor = None
    if tenant is None and actor is not None:
        tenant = actor.tenant
    # An acting party that is no person (an API client) is named, not linked.
    actor_label = actor.username if actor is not None else ""
    if actor is not None and not isinstance(actor, User):
        actor_label, actor = actor.audit_label, None
    event = AuditEvent.objects.create(
        tenant=tenant,
        actor=actor,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_label=str(target_label)[:254],
        old_values=old or {},
        new_values=new or {},
        ip_address=client_ip(request) if request is not None else ip_address,
        user_agent=request.headers.get("user-agent", "")[:512]
        if request is not None
        else user_agent[:512],
    )
    # Every change is audited: the organization's cached pages are rendered afresh.
    audit_action_changed(event.tenant_id, action)
    return event


# Human names of the action codes. Each area adds its own here.
ACTION_LABELS = {
    "signin.success": _("Signed in"),
    "signin.failure": _("Sign-in failed"),
    "signin.mfa_failure": _("Second sign-in step failed"),
    "signin.lockout": _("Sign-in locked after repeated failures"),
    "signin.passkey_failure": _("Sign-in with a passkey failed"),
    "reauth.failure": _("Confirming it's you failed"),
    "reauth.passkey_failure": _("Confirming it's you with a passkey failed"),
    "signin.step_up": _("Verified with a passkey for the admin center"),
    "signout": _("Signed out"),
    "password.change": _("Changed own password"),
    "password.reset_by_admin": _("Password reset by an admin"),
    "password.reset_denied": _("Password reset refused"),
    "user.sessions_end": _("Signed out of all sessions"),
    "user.block": _("Sign-in blocked"),
    "user.unblock": _("Sign-in allowed again"),
    "user.change": _("User profile changed"),
    "user.language": _("Language changed"),
    "user.rename": _("Sign-in name changed"),
    "user.create": _("User added"),
    "user.delete": _("User deleted"),
    "users.import": _("Users added from a CSV file"),
    "group.create": _("Group created"),
    "group.change": _("Group changed"),
    "group.member.add": _("Group members added"),
    "group.member.remove": _("Group members removed"),
    "group.owner.add": _("Group owners added"),
    "group.owner.remove": _("Group owners removed"),
    "group.delete": _("Group deleted"),
    "group.rule": _("Group membership rule changed"),
    "group.restore": _("Group restored"),
    "group.purge": _("Deleted group removed for good"),
    "resource.create": _("Resource added"),
    "resource.change": _("Resource changed"),
    "resource.delete": _("Resource deleted"),
    "support.request.open": _("Service request opened"),
    "support.request.reply": _("Service request answered by the organization"),
    "support.request.close": _("Service request closed"),
    "billing.account.change": _("Billing account changed"),
    "billing.invoice.create": _("Invoice made"),
    "billing.invoice.payment_failed": _("Invoice payment failed"),
    "billing.invoice.pay": _("Invoice paid"),
    "billing.license.assign": _("License assigned"),
    "billing.license.unassign": _("License unassigned"),
    "billing.payment_method.add": _("Payment method added"),
    "billing.payment_method.default": _("Default payment method changed"),
    "billing.payment_method.remove": _("Payment method removed"),
    "billing.subscription.buy": _("Product bought"),
    "billing.subscription.cancel": _("Subscription cancelled"),
    "billing.subscription.expire": _("Subscription expired"),
    "billing.subscription.quantity": _("Number of licenses changed"),
    "billing.subscription.reactivate": _("Subscription reactivated"),
    "billing.subscription.renew": _("Subscription renewed"),
    "billing.subscription.payment_method": _("Subscription payment method changed"),
    "users.import_results": _("Passwords of imported users downloaded"),
    "users.export": _("Users exported"),
    "users.export_download": _("Users export downloaded"),
    "user.restore": _("User restored"),
    "user.purge": _("Deleted user removed for good"),
    "role.assign": _("Role assigned"),
    "role.remove": _("Role removed"),
    "tenant.create": _("Organization created"),
    "tenant.suspend": _("Organization suspended"),
    "tenant.reactivate": _("Organization reactivated"),
    "tenant.delete": _("Organization deleted with all its data"),
    "tenant.security.change": _("Security settings changed"),
    "tenant.profile.change": _("Organization profile changed"),
    "tenant.release.change": _("Release preference changed"),
    "domain.add": _("Domain added"),
    "domain.verify": _("Domain verified"),
    "domain.default": _("Default domain changed"),
    "domain.remove": _("Domain removed"),
    "domain.record_missing": _("Domain verification record missing"),
    "operator.add": _("Operator added a record"),
    "operator.change": _("Operator changed a record"),
    "operator.delete": _("Operator deleted a record"),
    "operator.outbox.resend": _("Operator sent a given-up message again"),
    "security_info.phone.add": _("Mobile phone added"),
    "security_info.phone.change": _("Mobile phone changed"),
    "security_info.phone.delete": _("Mobile phone removed"),
    "security_info.email.add": _("Alternate email added"),
    "security_info.email.change": _("Alternate email changed"),
    "security_info.email.delete": _("Alternate email removed"),
    "security_info.app.add": _("Authenticator app added"),
    "security_info.passkey.add": _("Passkey or security key added"),
    "security_info.passkey.rename": _("Passkey or security key renamed"),
    "security_info.passkey.delete": _("Passkey or security key removed"),
    "security_info.app.delete": _("Authenticator app removed"),
    "security_info.backup_codes.generate": _("Backup codes created"),
    "security_info.backup_codes.delete": _("Backup codes removed"),
    "security_info.default.change": _("Default sign-in method changed"),
    "security_info.reregistration.require": _("Re-registration of security info required"),
    "password_reset.start": _("Self-service password reset started"),
    "password_reset.gate_passed": _("Self-service password reset: check passed"),
    "password_reset.too_many_codes": _("Self-service password reset stopped: too many wrong codes"),
    "password_reset.blocked": _("Self-service password reset blocked for the day"),
    "password_reset.throttled": _("Self-service password reset codes paused for an address"),
    "password.reset_self": _("Reset own password with security info"),
    "security_info.temporary_pass.issue": _("Temporary access pass issued"),
    "security_info.temporary_pass.use": _("Signed in with a temporary access pass"),
    "security_info.temporary_pass.expire": _("Temporary access pass expired unused"),
    "api_client.create": _("API client added"),
    "api_client.rotate": _("API client's secret changed"),
    "api_client.revoke": _("API client revoked"),
    "reports.export": _("People of a report exported"),
    "setup.admin_access.export": _("Admin access exported"),
    "partner.request": _("Partner asked for access"),
    "partner.approve": _("Partner request approved"),
    "partner.decline": _("Partner request declined"),
    "partner.withdraw": _("Partner request withdrawn"),
    "partner.end": _("Partner relationship ended"),
    "partner.expire": _("Partner relationship expired"),
    "partner.access": _("Partner admin's access changed"),
    "partner.act": _("Partner admin started acting in the organization"),
    "sso.provider_add": _("Identity provider added"),
    "sso.provider_change": _("Identity provider changed"),
    "sso.provider_on": _("Single sign-on switched on"),
    "sso.provider_off": _("Single sign-on switched off"),
    "sso.provider_remove": _("Identity provider removed"),
    "sso.provider_test": _("Identity provider tested"),
    "sso.refused": _("Single sign-on refused"),
    "sso.break_glass": _("Global admin signed in around single sign-on"),
}


def action_label(code):
    return ACTION_LABELS.get(code, code)
