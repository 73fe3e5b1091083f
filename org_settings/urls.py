from django.urls import path

from org_settings import partner_views, views

app_name = "org_settings"

urlpatterns = [
    path("profile/", views.OrgProfileView.as_view(), name="profile"),
    path("domains/", views.DomainListView.as_view(), name="domain_list"),
    path("domains/<int:pk>/", views.DomainDetailView.as_view(), name="domain_detail"),
    path("domains/<int:pk>/verify/", views.DomainVerifyView.as_view(), name="domain_verify"),
    path(
        "domains/<int:pk>/default/",
        views.DomainSetDefaultView.as_view(),
        name="domain_set_default",
    ),
    path("domains/<int:pk>/remove/", views.DomainRemoveView.as_view(), name="domain_remove"),
    path("security/", views.SecuritySettingsView.as_view(), name="security"),
    path("releases/", views.ReleasePreferencesView.as_view(), name="releases"),
    path("partners/", partner_views.PartnerListView.as_view(), name="partner_list"),
    path("partners/request/", partner_views.PartnerRequestView.as_view(), name="partner_request"),
    path("partners/<int:pk>/", partner_views.PartnerDetailView.as_view(), name="partner_detail"),
    path(
        "partners/<int:pk>/approve/",
        partner_views.PartnerApproveView.as_view(),
        name="partner_approve",
    ),
    path(
        "partners/<int:pk>/decline/",
        partner_views.PartnerDeclineView.as_view(),
        name="partner_decline",
    ),
    path(
        "partners/<int:pk>/withdraw/",
        partner_views.PartnerWithdrawView.as_view(),
        name="partner_withdraw",
    ),
    path("partners/<int:pk>/end/", partner_views.PartnerEndView.as_view(), name="partner_end"),
    path(
        "partners/<int:pk>/access/",
        partner_views.PartnerAccessView.as_view(),
        name="partner_access",
    ),
]
