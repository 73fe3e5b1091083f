from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import OPEN_SUPPORT_REQUESTS, VIEW_SUPPORT_REQUESTS
from core.pagecache import CachedPageMixin
from core.views.detail import PostActionView, ServiceFormMixin, report_refusal
from security_info import selectors as security_info_selectors
from support import services
from support.forms import ReplyForm, RequestForm
from support.models import ServiceRequest
from support.selectors import access_service_request_by_id


class RequestListView(TenantScopedMixin, CachedPageMixin, TemplateView):
    permission_required = VIEW_SUPPORT_REQUESTS
    template_name = "support/request_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["requests"] = ServiceRequest.objects.for_tenant(self.request.tenant).select_related(
            "created_by"
        )[:200]
        return context


class RequestOpenView(ServiceFormMixin, TenantScopedMixin, FormView):
    permission_required = OPEN_SUPPORT_REQUESTS
    template_name = "support/request_form.html"
    form_class = RequestForm

    def get_initial(self):
        phone, email = security_info_selectors.verified_contact(user=self.request.user)
        return {"contact_phone": phone, "contact_email": email, "severity": "normal"}

    def perform(self, form):
        return services.request_open(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            request=self.request,
            **form.cleaned_data,
        )

    def done(self, form, service_request):
        messages.success(self.request, _("Your request was sent to support."))
        return redirect(service_request)


class RequestDetailView(TenantScopedMixin, TemplateView):
    """One service request: the conversation, a reply box and Close."""

    permission_required = VIEW_SUPPORT_REQUESTS
    model = ServiceRequest
    template_name = "support/request_detail.html"

    def get_context_data(self, **kwargs):
        service_request = access_service_request_by_id(self.request.user, self.kwargs["pk"])
        return {
            "reply_form": ReplyForm(),
            **super().get_context_data(**kwargs),
            "service_request": service_request,
            "thread": service_request.messages.select_related("author"),
            "can_write": self.request.user.has_perm(OPEN_SUPPORT_REQUESTS),
        }


class RequestReplyView(RequestDetailView):
    """Send a message to support on a request (POST); a bad message shows the page again."""

    permission_required = OPEN_SUPPORT_REQUESTS
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        service_request = access_service_request_by_id(request.user, kwargs["pk"])
        form = ReplyForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(reply_form=form))
        try:
            services.request_reply(
                tenant=request.tenant,
                acting_user=request.user,
                service_request=service_request,
                body=form.cleaned_data["body"],
                request=request,
            )
        except ValidationError as error:
            report_refusal(request, error)
        else:
            messages.success(request, _("Your message was sent to support."))
        return redirect(service_request)


class RequestCloseView(TenantScopedMixin, PostActionView):
    """Close a service request (POST only), then back to it."""

    permission_required = OPEN_SUPPORT_REQUESTS
    model = ServiceRequest
    access_object = staticmethod(access_service_request_by_id)
    success_message = gettext_lazy("The request is closed.")

    def perform(self, form):
        services.request_close(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            service_request=self.object,
            request=self.request,
        )
