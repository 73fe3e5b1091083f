from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import redirect
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import ADMIN_CENTER
from health import services
from health.models import Announcement, AnnouncementRead, Incident, IncidentUpdate, Service
from health.selectors import access_announcement_by_id, access_incident_by_id

# Service health and the message center are the platform's, the same for every
# organization: their ids are looked up without a tenant on purpose (health.selectors).


class ServiceHealthView(TenantScopedMixin, TemplateView):
    permission_required = ADMIN_CENTER
    template_name = "health/service_health.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["services"] = Service.objects.all()
        context["open_incidents"] = (
            Incident.objects.filter(status=Incident.Status.OPEN)
            .select_related("service")
            .prefetch_related(Prefetch("updates", queryset=IncidentUpdate.objects.all()))
        )
        context["resolved_incidents"] = Incident.objects.filter(
            status=Incident.Status.RESOLVED
        ).select_related("service")[:10]
        return context


class IncidentDetailView(TenantScopedMixin, TemplateView):
    permission_required = ADMIN_CENTER
    template_name = "health/incident_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["incident"] = access_incident_by_id(self.request.user, self.kwargs["incident_id"])
        context["updates"] = context["incident"].updates.all()
        return context


def _with_read_state(queryset, user):
    return queryset.annotate(
        is_read=Exists(AnnouncementRead.objects.filter(announcement=OuterRef("pk"), user=user))
    )


class MessageCenterView(TenantScopedMixin, TemplateView):
    permission_required = ADMIN_CENTER
    template_name = "health/message_center.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        announcements = _with_read_state(Announcement.objects.all(), self.request.user)
        category = self.request.GET.get("category", "")
        if category in Announcement.Category.values:
            announcements = announcements.filter(category=category)
        page = Paginator(announcements, 50).get_page(self.request.GET.get("page"))
        context.update(
            page_obj=page,
            announcements=page.object_list,
            categories=Announcement.Category.choices,
            category=category,
            query=f"category={category}" if category else "",
            unread=Announcement.objects.exclude(reads__user=self.request.user).count(),
        )
        return context


class MessagesMarkReadView(TenantScopedMixin, View):
    """Mark every announcement read for the signed-in user (POST only)."""

    permission_required = ADMIN_CENTER
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        count = services.messages_mark_all_read(user=request.user)
        messages.success(
            request,
            ngettext("%(count)d message marked read.", "%(count)d messages marked read.", count)
            % {"count": count},
        )
        return redirect("health:message_center")


class MessageDetailView(TenantScopedMixin, TemplateView):
    permission_required = ADMIN_CENTER
    template_name = "health/message_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        announcement = access_announcement_by_id(self.request.user, self.kwargs["message_id"])
        services.message_mark_read(user=self.request.user, announcement=announcement)
        context["announcement"] = announcement
        return context
