from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import OPEN_SUPPORT_REQUESTS, VIEW_SUPPORT_REQUESTS
from security_info import selectors as security_info_selectors
from support import services
from support.forms import ReplyForm, RequestForm
from support.models import ServiceRequest


class RequestListView(TenantScopedMixin, TemplateView):
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


class RequestDetailView(TenantScopedMixin, DetailView):
    permission_required = VIEW_SUPPORT_REQUESTS
    model = ServiceRequest
    template_name = "support/request_detail.html"
    context_object_name = "service_request"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["thread"] = self.object.messages.select_related("author")
        context.setdefault("reply_form", ReplyForm())
        context["can_write"] = self.request.user.has_perm(OPEN_SUPPORT_REQUESTS)
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(OPEN_SUPPORT_REQUESTS):
            raise PermissionDenied
        self.object = service_request = self.get_object()
        try:
            if request.POST.get("action") == "close":
                services.request_close(
                    tenant=request.tenant,
                    acting_user=request.user,
                    service_request=service_request,
                    request=request,
                )
                messages.success(request, _("The request is closed."))
            else:
                form = ReplyForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(reply_form=form))
                services.request_reply(
                    tenant=request.tenant,
                    acting_user=request.user,
                    service_request=service_request,
                    body=form.cleaned_data["body"],
                    request=request,
                )
                messages.success(request, _("Your message was sent to support."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect(service_request)
