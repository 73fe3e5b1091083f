from django.urls import path

from health import views

app_name = "health"

urlpatterns = [
    path("", views.ServiceHealthView.as_view(), name="service_health"),
    path(
        "incidents/<int:incident_id>/", views.IncidentDetailView.as_view(), name="incident_detail"
    ),
    path("messages/", views.MessageCenterView.as_view(), name="message_center"),
    path("messages/read/", views.MessagesMarkReadView.as_view(), name="messages_mark_read"),
    path("messages/<int:message_id>/", views.MessageDetailView.as_view(), name="message_detail"),
]
