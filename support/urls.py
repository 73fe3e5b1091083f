from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("", views.RequestListView.as_view(), name="request_list"),
    path("new/", views.RequestOpenView.as_view(), name="request_open"),
    path("<int:pk>/", views.RequestDetailView.as_view(), name="request_detail"),
    path("<int:pk>/reply/", views.RequestReplyView.as_view(), name="request_reply"),
    path("<int:pk>/close/", views.RequestCloseView.as_view(), name="request_close"),
]
