from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View

from accounts.mixins import TenantScopedMixin
from accounts.roles import OPEN_SUPPORT_REQUESTS, VIEW_SUPPORT_REQUESTS
from core.pagecache import CachedPageMixin
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


class RequestOpenView(TenantScopedMixin, FormView):
    permission_required = OPEN_SUPPORT_REQUESTS
    template_name = "support/request_form.html"
    form_class = RequestForm

    def get_initial(self):
        phone, email = security_info_selectors.verified_contact(user=self.request.user)
        return {"contact_phone": phone, "contact_email": email, "severity": "normal"}

    def form_valid(self, form):
        try:
            service_request = services.request_open(
                tenant=self.request.tenant,
                acting_user=self.request.user,
                request=self.request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
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
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Your message was sent to support."))
        return redirect(service_request)


class RequestCloseView(TenantScopedMixin, View):
    """Close a service request (POST only)."""

    permission_required = OPEN_SUPPORT_REQUESTS
    model = ServiceRequest
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        service_request = access_service_request_by_id(request.user, kwargs["pk"])
        try:
            services.request_close(
                tenant=request.tenant,
                acting_user=request.user,
                service_request=service_request,
                request=request,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The request is closed."))
        return redirect(service_request)
