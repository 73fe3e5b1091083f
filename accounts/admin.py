from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.audit import audit_record
from accounts.models import (
    AddressClaim,
    AuditEvent,
    Domain,
    PartnerRelationship,
    RoleAssignment,
    Tenant,
    User,
)
from accounts.roles import GLOBAL_ADMIN
from core.admin import ReadOnlyAdmin

# Roles replace Django's groups: one way to grant permissions, not two.
admin.site.unregister(Group)


class AuditedAdmin(admin.ModelAdmin):
    """Record an audit event for every add, change and delete made by an operator."""

    def save_model(self, request, obj, form, change):
        # Password fields never reach the log, not even hashed.
        changed = [name for name in form.changed_data if "password" not in name]
        old = {name: str(form.initial.get(name, "")) for name in changed}
        super().save_model(request, obj, form, change)
        audit_record(
            action=f"operator.{'change' if change else 'add'}",
            tenant=getattr(obj, "tenant", None) if not isinstance(obj, Tenant) else obj,
            actor=request.user,
            request=request,
            target=obj,
            old=old if change else {},
            new={name: str(form.cleaned_data.get(name, "")) for name in changed},
        )

    def delete_model(self, request, obj):
        tenant = getattr(obj, "tenant", None) if not isinstance(obj, Tenant) else None
        label, pk, kind = str(obj), obj.pk, obj._meta.label_lower
        super().delete_model(request, obj)
        audit_record(
            action="operator.delete",
            tenant=tenant,
            actor=request.user,
            request=request,
            target_type=kind,
            target_id=pk,
            target_label=label,
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        # Inlines (a tenant's domains, a user's roles) change rows too: audit each one.
        deleted = [
            (f.instance._meta.label_lower, f.instance.pk, str(f.instance), _tenant_of(f.instance))
            for f in formset.deleted_forms
            if f.instance.pk is not None
        ]
        super().save_formset(request, form, formset, change)
        added = {id(obj) for obj in formset.new_objects}
        changed = {id(obj) for obj, _names in formset.changed_objects}
        for inline_form in formset.forms:
            obj = inline_form.instance
            if id(obj) not in added | changed:
                continue
            fields = [name for name in inline_form.changed_data if "password" not in name]
            audit_record(
                action="operator.add" if id(obj) in added else "operator.change",
                tenant=_tenant_of(obj),
                actor=request.user,
                request=request,
                target=obj,
                old={}
                if id(obj) in added
                else {name: str(inline_form.initial.get(name, "")) for name in fields},
                new={name: str(inline_form.cleaned_data.get(name, "")) for name in fields},
            )
        for kind, pk, label, tenant in deleted:
            audit_record(
                action="operator.delete",
                tenant=tenant,
                actor=request.user,
                request=request,
                target_type=kind,
                target_id=pk,
                target_label=label,
            )


def _tenant_of(obj):
    return obj if isinstance(obj, Tenant) else getattr(obj, "tenant", None)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["name", "is_initial", "is_default", "is_verified"]


@admin.register(Tenant)
class TenantAdmin(AuditedAdmin):
    """Organizations: suspended and reactivated in bulk, deleted one at a time.

    There is no bulk delete (the operators' site has none at all): an
    organization is suspended first, then deleted on its own page, where the
    operator types its name or initial domain (the project's operators' site,
    ``admin_portal.admin.OperatorsTenantAdmin``, adds that page).
    """

    list_display = ["name", "country", "status", "is_partner", "created_at"]
    list_filter = ["status", "is_partner", "country"]
    search_fields = ["name", "domain__name"]
    readonly_fields = ["status", "created_at"]
    inlines = [DomainInline]
    actions = ["suspend", "reactivate"]
    delete_confirmation_template = "admin/accounts/tenant/delete_confirmation.html"

    def has_delete_permission(self, request, obj=None):
        # Deleting an organization removes its data in every area; only the
        # project knows them all, and its operators' site offers the delete.
        return False

    @admin.action(description=_("Suspend the selected organizations"))
    def suspend(self, request, queryset):
        self._set_status(request, queryset, Tenant.Status.SUSPENDED)
        self.message_user(request, _("Suspended."), messages.SUCCESS)

    @admin.action(description=_("Reactivate the selected organizations"))
    def reactivate(self, request, queryset):
        self._set_status(request, queryset, Tenant.Status.ACTIVE)
        self.message_user(request, _("Reactivated."), messages.SUCCESS)

    def _set_status(self, request, queryset, status):
        for tenant in queryset:
            services.tenant_set_status(
                tenant=tenant, status=status, acting_user=request.user, request=request
            )


@admin.register(Domain)
class DomainAdmin(AuditedAdmin):
    list_display = ["name", "tenant", "is_initial", "is_default", "is_verified"]
    list_filter = ["is_verified", "is_default"]
    search_fields = ["name", "tenant__name"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant"]


class PortalUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["username", "tenant", "display_name"]


def _keep_a_global_admin(user, tenant):
    """Raise ValidationError when ``user`` leaving the Global admins of ``tenant`` would leave
    it without one who can sign in (the portal's own rule, under its lock: the operators'
    site runs each change in one transaction, so the lock holds to its end)."""
    services.global_admins_keep(tenant=tenant, losing=[user])


class PortalUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def clean(self):
        cleaned_data = super().clean()
        stored = User.objects.filter(pk=self.instance.pk).select_related("tenant").first()
        if stored is None or stored.tenant_id is None or not stored.can_sign_in:
            return cleaned_data

        def new(field):
            return cleaned_data.get(field, getattr(stored, field))

        still_signs_in = (
            new("is_active")
            and not new("is_sign_in_blocked")
            and new("deleted_at") is None
            and new("tenant") == stored.tenant
        )
        if not still_signs_in:
            _keep_a_global_admin(stored, stored.tenant)
        return cleaned_data


class RoleAssignmentFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            if form.instance.pk is None or not (form in self.deleted_forms or form.has_changed()):
                continue
            _keep_role_holder(form.instance.pk)


def _keep_role_holder(assignment_id):
    stored = (
        RoleAssignment.objects.filter(pk=assignment_id).select_related("user", "tenant").first()
    )
    if stored is not None and stored.role == GLOBAL_ADMIN:
        _keep_a_global_admin(stored.user, stored.tenant)


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    formset = RoleAssignmentFormSet
    fk_name = "user"
    extra = 0
    fields = ["role", "tenant", "assigned_at"]
    readonly_fields = ["assigned_at"]


class GlobalAdminGuardMixin:
    """No operator deletes the last Global admin who can sign in, nor their role."""

    def _losing(self, obj):
        if isinstance(obj, RoleAssignment):
            return (obj.user, obj.tenant) if obj.role == GLOBAL_ADMIN else (None, None)
        return (obj, obj.tenant) if obj.tenant_id else (None, None)

    def has_delete_permission(self, request, obj=None):
        if obj is not None:
            user, tenant = self._losing(obj)
            if user is not None:
                try:
                    _keep_a_global_admin(user, tenant)
                except ValidationError:
                    return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        user, tenant = self._losing(obj)
        if user is not None:
            try:
                _keep_a_global_admin(user, tenant)
            except ValidationError as error:
                raise PermissionDenied(error.messages[0]) from None
        super().delete_model(request, obj)


@admin.register(User)
class UserAdmin(GlobalAdminGuardMixin, AuditedAdmin, DjangoUserAdmin):
    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
    list_display = ["username", "display_name", "tenant", "is_sign_in_blocked", "is_staff"]
    list_filter = ["is_staff", "is_sign_in_blocked", "tenant__status"]
    search_fields = ["username", "display_name"]
    list_select_related = ["tenant"]
    ordering = ["username"]
    autocomplete_fields = ["tenant"]
    inlines = [RoleAssignmentInline]
    filter_horizontal = []
    fieldsets = [
        (None, {"fields": ["tenant", "username", "password"]}),
        (
            _("Profile"),
            {
                "fields": [
                    "display_name",
                    "first_name",
                    "last_name",
                    "job_title",
                    "department",
                    "office",
                    "business_phone",
                    "usage_location",
                    "preferred_language",
                ]
            },
        ),
        (
            _("Status"),
            {
                "fields": [
                    "is_active",
                    "is_sign_in_blocked",
                    "must_change_password",
                    "deleted_at",
                    "is_staff",
                    "is_superuser",
                    "last_login",
                    "date_joined",
                ]
            },
        ),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "tenant",
                    "username",
                    "display_name",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        )
    ]
    readonly_fields = ["last_login", "date_joined"]


class RoleAssignmentForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is not None and self.has_changed():
            _keep_role_holder(self.instance.pk)
        return cleaned_data


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(GlobalAdminGuardMixin, AuditedAdmin):
    form = RoleAssignmentForm
    list_display = ["user", "role", "tenant", "assigned_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "tenant__name"]
    list_select_related = ["user", "tenant"]
    autocomplete_fields = ["user", "tenant"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "tenant", "actor_label", "action", "target_label", "ip_address"]
    # No list filters or date hierarchy: on a large log both scan the whole table.
    search_fields = ["=action", "actor_label", "target_label"]
    list_select_related = ["tenant"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(AddressClaim)
class AddressClaimAdmin(ReadOnlyAdmin):
    """Who holds which address; read only, as the services alone claim and release."""

    list_display = ["address", "tenant", "owner_type", "owner_id", "claimed_at"]
    search_fields = ["address"]
    list_select_related = ["tenant", "owner_type"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(PartnerRelationship)
class PartnerRelationshipAdmin(ReadOnlyAdmin):
    """Partner relationships for operators: who has access to whom, until when.

    Read only: the organizations' Global admins ask, approve and end them in
    their admin centers (``accounts.partners``), where each change is audited on
    both sides and told to the other side. Operators make an organization a
    partner on its own page (``Tenant.is_partner``).
    """

    list_display = ["partner", "customer", "status", "requested_at", "expires_at", "ended_at"]
    list_filter = ["status"]
    search_fields = ["partner__name", "customer__name"]
    list_select_related = ["partner", "customer"]
    fields = [
        "partner",
        "customer",
        "roles",
        "days",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "expires_at",
        "ended_by",
        "ended_at",
    ]
    readonly_fields = fields
