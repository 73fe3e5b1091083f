"""Security info's card on Home: whether this admin could get back in on their own."""

from django.db.models import Exists, OuterRef

from accounts import signin
from accounts.models import User
from core.prepared import PreparedQuery
from security_info.models import AltEmailDevice, PhoneDevice

# Home asks on every visit: both answers in one query, compiled once per process.
_FLAGS = PreparedQuery(
    lambda user: User.objects.filter(pk=user).values(
        has_phone=Exists(PhoneDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        has_email=Exists(AltEmailDevice.all_objects.filter(user=OuterRef("pk"), confirmed=True)),
    ),
    user=int,
)


def card(request):
    if request.user.pk is None:
        return None  # a party acting with roles (a partner's admin): no security info here
    if provider := request.session.get(signin.FEDERATED):
        # Signed in by the organization's identity provider, which resets the password.
        return {"template": "security_info/home_card.html", "provider": provider, "ready": True}
    flags = _FLAGS(user=request.user.pk)[0]
    return {
        "template": "security_info/home_card.html",
        **flags,
        "ready": flags["has_phone"] and flags["has_email"],
    }
