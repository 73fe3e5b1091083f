"""Signing in with a passkey, under /signin/passkey/."""

from django.urls import path

from security_info import passkey_views

app_name = "passkeys"

urlpatterns = [
    path("", passkey_views.PasskeySignInView.as_view(), name="signin"),
    path("options/", passkey_views.PasskeyAssertionOptionsView.as_view(), name="options"),
    path("verify/", passkey_views.PasskeySecondStepView.as_view(), name="second_step"),
]
