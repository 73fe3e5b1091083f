import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import DetailView, TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import CHANGE_RESOURCES, VIEW_RESOURCES
from accounts.selectors import domain_choices
from core.tables import Column, ObjectURL
from core.views import ObjectListView
from core.views.detail import add_refusal
from resources import selectors, services
from resources.forms import ResourceForm
from resources.models import Resource


class ResourceFilter(django_filters.FilterSet):
    """The resources list has no search or filter: an organization has a few rooms."""

    class Meta:
        model = Resource
        fields = []


# The list as a table; prepare_rows attaches the type's label to each row.
RESOURCE_COLUMNS = [
    Column(_lazy("Name"), "name", link=ObjectURL("resources:resource_edit")),
    Column(_lazy("Type"), "kind_label"),
    Column(_lazy("Email address"), "email"),
    Column(_lazy("Capacity"), lambda resource: resource.capacity or None),
    Column(_lazy("Location"), "location"),
]


class ResourceListView(TenantScopedMixin, ObjectListView):
    """The organization's rooms and equipment, by name."""

    permission_required = VIEW_RESOURCES
    template_name = "resources/resource_list.html"
    model = Resource
    filterset_class = ResourceFilter
    columns = RESOURCE_COLUMNS
    page_sizes = (50,)

    @property
    def can_change(self):
        return self.request.user.has_perm(CHANGE_RESOURCES)

    @property
    def empty_text(self):
        text = _("No rooms or equipment yet.")
        if not self.can_change:
            return text
        return format_html(
            '{} <a href="{}">{}</a>',
            text,
            reverse("resources:resource_add"),
            _("Add a room or a piece of equipment"),
        )

    empty_filtered_text = empty_text

    def prepare_rows(self, rows):
        kinds = {value: str(label) for value, label in Resource.Kind.choices}
        for resource in rows:
            resource.kind_label = kinds.get(resource.kind, resource.kind)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_change"] = self.can_change
        return context


class _ResourceFormMixin:
    template_name = "resources/resource_form.html"

    def form(self, data=None, instance=None):
        return ResourceForm(
            data, instance=instance, domains=domain_choices(tenant=self.request.tenant)
        )

    def save(self, request, form, resource=None):
        if not form.is_valid():
            return None
        try:
            return services.resource_save(
                tenant=request.tenant,
                acting_user=request.user,
                resource=resource,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_refusal(form, error, fields={"email": "local_part"})
            return None


class ResourceAddView(_ResourceFormMixin, TenantScopedMixin, TemplateView):
    permission_required = CHANGE_RESOURCES

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "form": kwargs.get("form") or self.form()}

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        resource = self.save(request, form)
        if resource is None:
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, _("%(name)s was added.") % {"name": resource.name})
        return redirect("resources:resource_list")


class ResourceEditView(_ResourceFormMixin, TenantScopedMixin, DetailView):
    permission_required = VIEW_RESOURCES
    model = Resource
    context_object_name = "resource"

    def get_object(self, queryset=None):
        return selectors.access_resource_by_id(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.form(instance=self.object))
        context["can_change"] = self.request.user.has_perm(CHANGE_RESOURCES)
        if not context["can_change"]:
            for field in context["form"].fields.values():
                field.disabled = True
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(CHANGE_RESOURCES):
            raise PermissionDenied
        self.object = resource = self.get_object()
        form = self.form(request.POST, instance=resource)
        if self.save(request, form, resource=resource) is None:
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, _("%(name)s was saved.") % {"name": resource.name})
        return redirect("resources:resource_list")


class ResourceDeleteView(TenantScopedMixin, DetailView):
    """Ask before deleting a room or equipment; delete it on the confirmation.

    A reader sees the page too, without the button.
    """

    permission_required = VIEW_RESOURCES
    model = Resource
    context_object_name = "resource"
    template_name = "resources/resource_delete.html"

    def get_object(self, queryset=None):
        return selectors.access_resource_by_id(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_change"] = self.request.user.has_perm(CHANGE_RESOURCES)
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(CHANGE_RESOURCES):
            raise PermissionDenied
        resource = self.get_object()
        services.resource_delete(
            tenant=request.tenant, acting_user=request.user, resource=resource, request=request
        )
        messages.success(request, _("%(name)s was deleted.") % {"name": resource.name})
        return redirect("resources:resource_list")
