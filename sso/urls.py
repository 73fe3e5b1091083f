from django.urls import path

from sso.views import flow, signin
from sso.views import settings as settings_views

app_name = "sso"

urlpatterns = [
    # Settings > Single sign-on
    path("settings/sso/", settings_views.ProviderListView.as_view(), name="provider_list"),
    path(
        "settings/sso/add/<str:protocol>/",
        settings_views.ProviderAddView.as_view(),
        name="provider_add",
    ),
    path(
        "settings/sso/<int:pk>/",
        settings_views.ProviderDetailView.as_view(),
        name="provider_detail",
    ),
    path(
        "settings/sso/<int:pk>/change/",
        settings_views.ProviderChangeView.as_view(),
        name="provider_change",
    ),
    path(
        "settings/sso/<int:pk>/test/",
        settings_views.ProviderTestView.as_view(),
        name="provider_test",
    ),
    path("settings/sso/<int:pk>/on/", settings_views.ProviderOnView.as_view(), name="provider_on"),
    path(
        "settings/sso/<int:pk>/off/", settings_views.ProviderOffView.as_view(), name="provider_off"
    ),
    path(
        "settings/sso/<int:pk>/remove/",
        settings_views.ProviderRemoveView.as_view(),
        name="provider_remove",
    ),
    # Sign-in
    path("signin/break-glass/", signin.BreakGlassSignInView.as_view(), name="break_glass"),
    path(
        "sso/<uuid:public_id>/oidc/callback/",
        flow.OidcCallbackView.as_view(),
        name="oidc_callback",
    ),
    path(
        "sso/<uuid:public_id>/saml/metadata/",
        flow.SamlMetadataView.as_view(),
        name="saml_metadata",
    ),
    path("sso/<uuid:public_id>/saml/acs/", flow.SamlAcsView.as_view(), name="saml_acs"),
    path(
        "sso/<uuid:public_id>/saml/acs/finish/",
        flow.SamlFinishView.as_view(),
        name="saml_finish",
    ),
    path("sso/<uuid:public_id>/saml/sls/", flow.SamlLogoutView.as_view(), name="saml_sls"),
]
