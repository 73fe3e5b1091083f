from django.urls import path

from security_info import reset_views

app_name = "password_reset"

urlpatterns = [
    path("", reset_views.ResetStartView.as_view(), name="start"),
    path("method/", reset_views.ResetMethodView.as_view(), name="method"),
    path("verify/", reset_views.ResetVerifyView.as_view(), name="verify"),
    path("next/", reset_views.ResetNextView.as_view(), name="next"),
    path("new/", reset_views.ResetNewPasswordView.as_view(), name="new_password"),
]
