from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("signin/", views.SignInView.as_view(), name="signin"),
    path("signin/verify/", views.SignInVerifyView.as_view(), name="signin_verify"),
    path("signin/verify/send/", views.SignInSendCodeView.as_view(), name="signin_send_code"),
    path("signout/", views.SignOutView.as_view(), name="signout"),
    path("account/", views.MyAccountView.as_view(), name="my_account"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/language/", views.LanguageView.as_view(), name="language"),
    path("partners/act/", views.ActInView.as_view(), name="act_in"),
    path("partners/act/stop/", views.ActStopView.as_view(), name="act_stop"),
    path("audit/", views.AuditEventListView.as_view(), name="auditevent_list"),
    path("audit/export/", views.AuditEventExportView.as_view(), name="auditevent_export"),
    path("audit/<int:pk>/", views.AuditEventDetailView.as_view(), name="auditevent_detail"),
]
