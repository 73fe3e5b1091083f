from django.urls import path, re_path

from scim import views

app_name = "scim"

urlpatterns = [
    path(
        "ServiceProviderConfig",
        views.ServiceProviderConfigView.as_view(),
        name="service_provider_config",
    ),
    path("ResourceTypes", views.ResourceTypesView.as_view(), name="resource_types"),
    path("ResourceTypes/<str:name>", views.ResourceTypesView.as_view(), name="resource_type"),
    path("Schemas", views.SchemasView.as_view(), name="schemas"),
    path("Schemas/<str:name>", views.SchemasView.as_view(), name="schema"),
    path(".search", views.SearchView.as_view(), name="search"),
    path("Users", views.UsersView.as_view(), name="users"),
    path("Users/.search", views.UsersSearchView.as_view(), name="users_search"),
    path("Users/<str:pk>", views.UserView.as_view(), name="user"),
    path("Groups", views.GroupsView.as_view(), name="groups"),
    path("Groups/.search", views.GroupsSearchView.as_view(), name="groups_search"),
    path("Groups/<str:pk>", views.GroupView.as_view(), name="group"),
    re_path(r"^(?P<rest>(Bulk|Me)(/.*)?)$", views.NotImplementedView.as_view(), name="not_offered"),
    re_path(r"^(?P<rest>.*)$", views.NotFoundView.as_view(), name="not_found"),
]
