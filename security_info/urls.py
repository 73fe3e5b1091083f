from django.urls import path

from security_info import passkey_views, views

app_name = "security_info"

urlpatterns = [
    path("", views.SecurityInfoView.as_view(), name="index"),
    path("confirm/", views.ReauthView.as_view(), name="reauth"),
    path("phone/", views.PhoneStartView.as_view(), name="phone_start"),
    path("phone/verify/", views.PhoneVerifyView.as_view(), name="phone_verify"),
    path("phone/verify/resend/", views.PhoneResendView.as_view(), name="phone_resend"),
    path("phone/delete/", views.PhoneDeleteView.as_view(), name="phone_delete"),
    path("email/", views.EmailStartView.as_view(), name="email_start"),
    path("email/verify/", views.EmailVerifyView.as_view(), name="email_verify"),
    path("email/verify/resend/", views.EmailResendView.as_view(), name="email_resend"),
    path("email/delete/", views.EmailDeleteView.as_view(), name="email_delete"),
    path("app/add/", views.AuthenticatorAddView.as_view(), name="app_add"),
    path("app/<int:pk>/delete/", views.AuthenticatorDeleteView.as_view(), name="app_delete"),
    path("backup-codes/", views.BackupCodesView.as_view(), name="backup_codes"),
    path("passkeys/add/", passkey_views.PasskeyAddView.as_view(), name="passkey_add"),
    path(
        "passkeys/options/",
        passkey_views.PasskeyRegistrationOptionsView.as_view(),
        name="passkey_options",
    ),
    path(
        "passkeys/required/", passkey_views.PasskeyRequiredView.as_view(), name="passkey_required"
    ),
    path(
        "passkeys/<int:pk>/rename/",
        passkey_views.PasskeyRenameView.as_view(),
        name="passkey_rename",
    ),
    path(
        "passkeys/<int:pk>/delete/",
        passkey_views.PasskeyDeleteView.as_view(),
        name="passkey_delete",
    ),
    path("confirm/passkey/", passkey_views.PasskeyReauthView.as_view(), name="reauth_passkey"),
    path("default/", views.DefaultMethodView.as_view(), name="default_method"),
]
