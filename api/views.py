"""Settings > API access: the organization's API clients; add, rotate and revoke them.

A secret is shown once, on the answer to the POST that made it: it is never
stored in the clear, and that answer is not cached.
"""

from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.generic import FormView, TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import CHANGE_API_CLIENTS, ROLES, VIEW_API_CLIENTS
from api import services
from api.forms import ApiClientAddForm, ApiClientRotateForm
from api.models import ApiClient
from api.selectors import access_api_client_by_id, api_clients
from core.views.detail import ActionView, ObjectView, ServiceFormMixin

SECRET_TEMPLATE = "api/apiclient_secret.html"  # noqa: S105 (a template name)


def role_names(client):
    """Return the names of the roles ``client`` acts with, in the role table's order."""
    return [ROLES[code].name for code in client.roles if code in ROLES]


def _secret_page(view, *, client, secret, rotated=False, grace_hours=0):
    return view.response_class(
        request=view.request,
        template=[SECRET_TEMPLATE],
        context=view.get_context_data(
            client=client,
            secret=secret,
            # The header's words are HTTP's: the same in every language.
            authorization_header=f"Authorization: Bearer {secret}",
            role_names=role_names(client),
            rotated=rotated,
            grace_hours=grace_hours,
        ),
        using=view.template_engine,
    )


class ApiClientListView(TenantScopedMixin, TemplateView):
    """The organization's API clients, revoked ones included, by name.

    Not kept in the page cache: a client's last use is written without an audit
    event, and the list shows it.
    """

    permission_required = VIEW_API_CLIENTS
    template_name = "api/apiclient_list.html"

    def get_context_data(self, **kwargs):
        clients = list(api_clients(self.request.tenant.pk))
        for client in clients:
            client.role_names = role_names(client)
        return {
            **super().get_context_data(**kwargs),
            "clients": clients,
            "can_change": self.request.user.has_perm(CHANGE_API_CLIENTS),
        }


@method_decorator(never_cache, name="dispatch")
class ApiClientAddView(ServiceFormMixin, TenantScopedMixin, FormView):
    """Add an API client; its secret is shown once, on the answer."""

    permission_required = CHANGE_API_CLIENTS
    form_class = ApiClientAddForm
    template_name = "api/apiclient_add.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "roles": list(ROLES.values())}

    def perform(self, form):
        data = form.cleaned_data
        return services.api_client_create(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            name=data["name"],
            roles=data["roles"],
            days=data["days"],
            global_admin_confirmed=data["confirm_global_admin"],
            request=self.request,
        )

    @method_decorator(sensitive_variables("result"))
    def done(self, form, result):
        client, secret = result
        return _secret_page(self, client=client, secret=secret)


class ApiClientMixin(TenantScopedMixin):
    """One API client of the organization, looked up by the id in the URL (404 otherwise)."""

    model = ApiClient
    access_object = staticmethod(access_api_client_by_id)
    context_object_name = "client"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["role_names"] = role_names(self.object)
        context["can_change"] = (
            self.request.user.has_perm(CHANGE_API_CLIENTS) and self.object.status == "active"
        )
        return context


class ApiClientDetailView(ApiClientMixin, ObjectView):
    """One API client's properties, and its actions for a Global admin while it is active."""

    permission_required = VIEW_API_CLIENTS
    template_name = "api/apiclient_detail.html"


@method_decorator(never_cache, name="dispatch")
class ApiClientRotateView(ApiClientMixin, ActionView):
    """Give a client a new secret, shown once; the old one may work a while longer."""

    permission_required = CHANGE_API_CLIENTS
    form_class = ApiClientRotateForm
    template_name = "api/apiclient_rotate.html"

    def perform(self, form):
        return services.api_client_rotate(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            client=self.object,
            grace_hours=form.cleaned_data["grace_hours"],
            request=self.request,
        )

    @method_decorator(sensitive_variables("secret"))
    def done(self, form, secret):
        return _secret_page(
            self,
            client=self.object,
            secret=secret,
            rotated=True,
            grace_hours=form.cleaned_data["grace_hours"],
        )


class ApiClientRevokeView(ApiClientMixin, ActionView):
    """Revoke a client after asking: its secrets are refused from the next request on."""

    permission_required = CHANGE_API_CLIENTS
    template_name = "api/apiclient_revoke.html"
    success_url = reverse_lazy("api:apiclient_list")

    def perform(self, form):
        services.api_client_revoke(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            client=self.object,
            request=self.request,
        )

    def get_success_message(self, form, result):
        return _("%(name)s was revoked. Its secret no longer works.") % {"name": self.object}
