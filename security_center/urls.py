from django.urls import path

from security_center import views

app_name = "security_center"

urlpatterns = [
    path("", views.AdminCenterListView.as_view(), name="index"),
    path("security/", views.SecurityCenterView.as_view(), name="security"),
    path("security/sign-ins/", views.SignInListView.as_view(), name="signin_list"),
    path("security/methods/", views.MethodsActivityView.as_view(), name="methods_activity"),
    path("security/settings/", views.SignInSettingsView.as_view(), name="signin_settings"),
]
