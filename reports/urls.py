from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.ReportIndexView.as_view(), name="index"),
    path("sign-ins/", views.SignInReportView.as_view(), name="signin_report"),
    path("password-resets/", views.PasswordResetReportView.as_view(), name="password_reset_report"),
    path("registrations/", views.RegistrationReportView.as_view(), name="registration_report"),
    path("license-use/", views.LicenseUseReportView.as_view(), name="license_use_report"),
    path("<slug:slug>/", views.ReportView.as_view(), name="report"),
]
