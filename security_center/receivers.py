"""The sign-in log listens to the sign-in flow (accounts imports no area)."""

from django.dispatch import receiver

from accounts.signin import signin_attempt
from security_center.services import signin_record


@receiver(signin_attempt, dispatch_uid="security_center.signin_record")
def _record_signin(sender, *, request, user, username, reason, device, passkey, **kwargs):
    signin_record(
        request=request,
        user=user,
        username=username,
        reason=reason,
        device=device,
        passkey=passkey,
    )
