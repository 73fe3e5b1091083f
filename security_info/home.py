"""Security info's card on Home: whether this admin could get back in on their own."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from security_info.models import AltEmailDevice, PhoneDevice


def card(request):
    user = request.user
    # Both answers in one query.
    flags = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            has_phone=Exists(PhoneDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            has_email=Exists(
                AltEmailDevice.all_objects.filter(user=OuterRef("pk"), confirmed=True)
            ),
        )
        .values("has_phone", "has_email")
        .get()
    )
    has_phone, has_email = flags["has_phone"], flags["has_email"]
    return {
        "template": "security_info/home_card.html",
        "has_phone": has_phone,
        "has_email": has_email,
        "ready": has_phone and has_email,
    }
