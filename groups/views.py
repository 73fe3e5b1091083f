import math

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, TemplateView

from accounts.mixins import TenantScopedMixin, active_users_or_404
from accounts.models import AuditEvent, User
from accounts.roles import ADD_GROUPS, CHANGE_GROUPS, DELETE_GROUPS, VIEW_GROUPS
from core.csv_export import streaming_csv_response
from groups import selectors, services
from groups.forms import BasicsForm, KindForm, SettingsForm, kind_help
from groups.models import (
    KINDS_WITH_DYNAMIC_MEMBERSHIP,
    KINDS_WITH_OWNERS_REQUIRED,
    RULE_FIELDS,
    RULE_OPERATORS,
    DeletedGroup,
    Group,
    Kind,
    Membership,
    Privacy,
)
from users.forms import domain_choices


def _report(request, error):
    if getattr(error, "code", None) == "forbidden":
        raise PermissionDenied from None
    for message in error.messages:
        messages.error(request, message)


class GroupListView(TenantScopedMixin, TemplateView):
    """Active groups: search, type filter, sort, pages; bulk delete; CSV export."""

    permission_required = VIEW_GROUPS
    template_name = "groups/group_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        groups, group_filter = selectors.group_list(
            tenant=self.request.tenant, params=self.request.GET
        )
        page = Paginator(groups, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        sort_query = query.copy()
        sort_query.pop("sort", None)
        context.update(
            filter=group_filter,
            page_obj=page,
            groups=page.object_list,
            query=query.urlencode(),
            sort_query=sort_query.urlencode(),
            sort=group_filter.sort_key,
            can_add=self.request.user.has_perm(ADD_GROUPS),
            can_delete=self.request.user.has_perm(DELETE_GROUPS),
        )
        return context

    def post(self, request, *args, **kwargs):
        """Bulk delete the selected groups."""
        if not request.user.has_perm(DELETE_GROUPS):
            raise PermissionDenied
        try:
            ids = {int(value) for value in request.POST.getlist("ids")}
        except ValueError:
            raise Http404 from None
        groups = list(Group.objects.for_tenant(request.tenant).filter(pk__in=ids, deleted_at=None))
        if len(groups) != len(ids):
            raise Http404
        if not groups:
            messages.error(request, _("Select at least one group first."))
        else:
            services.groups_delete(
                tenant=request.tenant, acting_user=request.user, groups=groups, request=request
            )
            messages.success(
                request,
                ngettext(
                    "%(count)d group was deleted. You can restore it within %(days)d days.",
                    "%(count)d groups were deleted. You can restore them within %(days)d days.",
                    len(groups),
                )
                % {"count": len(groups), "days": services.RESTORE_DAYS},
            )
        return redirect("groups:group_list")


class GroupExportView(TenantScopedMixin, View):
    permission_required = VIEW_GROUPS

    def get(self, request):
        groups, group_filter = selectors.group_list(tenant=request.tenant, params=request.GET)
        if group_filter.is_bound and not group_filter.is_valid():
            return HttpResponseBadRequest(
                _("The filters are not valid."), content_type="text/plain; charset=utf-8"
            )
        header = [_("Name"), _("Type"), _("Email address"), _("Members"), _("Created")]
        rows = (
            [g.name, g.get_kind_display(), g.email, g.member_count, g.created_at.date().isoformat()]
            for g in groups.iterator(chunk_size=2000)
        )
        return streaming_csv_response("groups.csv", header, rows)


class GroupDetailView(TenantScopedMixin, DetailView):
    """A group: general, members and owners (add, remove in bulk), settings, activity."""

    permission_required = VIEW_GROUPS
    model = Group
    template_name = "groups/group_detail.html"
    context_object_name = "group"

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at=None)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tenant, group = self.request.tenant, self.object
        search = self.request.GET.get("q", "")[:100]
        role = self.request.GET.get("add_as", Membership.Role.MEMBER)
        role = role if role in Membership.Role.values else Membership.Role.MEMBER
        context.update(
            owners=selectors.group_people(tenant=tenant, group=group, role=Membership.Role.OWNER),
            members=selectors.group_people(tenant=tenant, group=group, role=Membership.Role.MEMBER),
            candidates=selectors.group_candidates(
                tenant=tenant, group=group, role=role, search=search
            ),
            search=search,
            add_as=role,
            can_change=self.request.user.has_perm(CHANGE_GROUPS),
            activity=AuditEvent.objects.for_tenant(tenant)
            .filter(target_type="groups.group", target_id=str(group.pk))
            .order_by("-created_at", "-id")[:20],
            general_form=context.get("general_form")
            or BasicsForm(initial={"name": group.name, "description": group.description}),
            settings_form=context.get("settings_form") or self.settings_form(),
            dynamic_allowed=group.kind in KINDS_WITH_DYNAMIC_MEMBERSHIP,
            rule_fields=RULE_FIELDS,
            rule_operators=RULE_OPERATORS,
            rule=group.membership_rule or {},
        )
        preview = self.request.GET.get("preview_field")
        if preview and context["dynamic_allowed"]:
            try:
                rule = services.rule_clean(
                    {
                        "field": preview,
                        "op": self.request.GET.get("preview_op"),
                        "value": self.request.GET.get("preview_value", ""),
                    }
                )
            except ValidationError as error:
                context["preview_error"] = error.messages[0]
            else:
                matches = services.rule_matches(tenant=tenant, rule=rule)
                context.update(
                    rule=rule,
                    preview_count=matches.count(),
                    preview_people=matches.only("id", "display_name", "username").order_by(
                        "display_name", "id"
                    )[:20],
                )
        if group.membership_rule and role == Membership.Role.MEMBER:
            context["add_as"] = Membership.Role.OWNER
            context["candidates"] = selectors.group_candidates(
                tenant=tenant, group=group, role=Membership.Role.OWNER, search=search
            )
        return context

    def settings_form(self, data=None):
        group = self.object
        local, _sep, domain = group.email.rpartition("@")
        return SettingsForm(
            data,
            kind=group.kind,
            domains=domain_choices(self.request.tenant),
            initial={
                "local_part": local,
                "domain": domain,
                "privacy": group.privacy,
                "allow_external_senders": group.allow_external_senders,
            },
        )

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(CHANGE_GROUPS):
            raise PermissionDenied
        self.object = group = self.get_object()
        action = request.POST.get("action", "")
        try:
            if action == "general":
                form = BasicsForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(general_form=form))
                services.group_update(
                    tenant=request.tenant,
                    acting_user=request.user,
                    group=group,
                    request=request,
                    **form.cleaned_data,
                )
                messages.success(request, _("The group was saved."))
            elif action == "settings":
                form = self.settings_form(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(settings_form=form))
                data = form.cleaned_data
                changes = {
                    "privacy": data.get("privacy", ""),
                    "allow_external_senders": data.get("allow_external_senders", False),
                }
                if data.get("local_part"):
                    changes["email"] = services.group_address(
                        tenant=request.tenant, local_part=data["local_part"], domain=data["domain"]
                    )
                services.group_update(
                    tenant=request.tenant,
                    acting_user=request.user,
                    group=group,
                    request=request,
                    **changes,
                )
                messages.success(request, _("The settings were saved."))
            elif action in ("rule_save", "rule_remove"):
                rule = (
                    {
                        "field": request.POST.get("field"),
                        "op": request.POST.get("op"),
                        "value": request.POST.get("value", ""),
                    }
                    if action == "rule_save"
                    else None
                )
                added, removed = services.group_rule_set(
                    tenant=request.tenant,
                    acting_user=request.user,
                    group=group,
                    rule=rule,
                    request=request,
                )
                messages.success(
                    request,
                    _("The rule was saved: %(added)d added, %(removed)d removed.")
                    % {"added": len(added), "removed": len(removed)}
                    if rule
                    else _("The rule was removed; members are now managed by hand."),
                )
            elif action in ("add_member", "add_owner", "remove_member", "remove_owner"):
                verb, role = action.split("_")
                users = active_users_or_404(request, request.POST.getlist("users"))
                if not users:
                    messages.error(request, _("Select at least one person first."))
                    return redirect(group)
                service = (
                    services.group_people_add if verb == "add" else services.group_people_remove
                )
                count = service(
                    tenant=request.tenant,
                    acting_user=request.user,
                    group=group,
                    users=users,
                    role=role,
                    request=request,
                )
                texts = {
                    "add_member": ngettext(
                        "%(count)d member added.", "%(count)d members added.", count
                    ),
                    "add_owner": ngettext(
                        "%(count)d owner added.", "%(count)d owners added.", count
                    ),
                    "remove_member": ngettext(
                        "%(count)d member removed.", "%(count)d members removed.", count
                    ),
                    "remove_owner": ngettext(
                        "%(count)d owner removed.", "%(count)d owners removed.", count
                    ),
                }
                messages.success(request, texts[action] % {"count": count})
            else:
                messages.error(request, _("Choose an action."))
        except ValidationError as error:
            _report(request, error)
        return redirect(group)


class DeletedGroupListView(TenantScopedMixin, TemplateView):
    permission_required = VIEW_GROUPS
    template_name = "groups/group_deleted_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.deleted_groups(tenant=self.request.tenant), 50).get_page(
            self.request.GET.get("page")
        )
        now = timezone.now()
        for group in page.object_list:
            left = services.restore_deadline(group) - now
            group.days_left = max(math.ceil(left.total_seconds() / 86400), 0)
        context.update(
            page_obj=page,
            deleted_groups=page.object_list,
            can_restore=self.request.user.has_perm(DELETE_GROUPS),
            restore_days=services.RESTORE_DAYS,
        )
        return context


class GroupRestoreView(TenantScopedMixin, DetailView):
    permission_required = DELETE_GROUPS
    model = DeletedGroup
    template_name = "groups/group_restore.html"
    context_object_name = "group"

    def get_queryset(self):
        return super().get_queryset().exclude(deleted_at=None)

    def post(self, request, *args, **kwargs):
        self.object = group = self.get_object()
        email = request.POST.get("email", "").strip()
        try:
            services.group_restore(
                tenant=request.tenant,
                acting_user=request.user,
                group=group,
                email=email or None,
                request=request,
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "forbidden":
                raise PermissionDenied from None
            return self.render_to_response(self.get_context_data(errors=error.messages))
        messages.success(request, _("%(name)s was restored.") % {"name": group.name})
        return redirect(group)


WIZARD_KEY = "groups_add"
STEPS = [
    ("type", _lazy("Type")),
    ("basics", _lazy("Name")),
    ("owners", _lazy("Owners")),
    ("settings", _lazy("Settings")),
    ("review", _lazy("Review and finish")),
]
STEP_NAMES = [name for name, _label in STEPS]


@method_decorator(never_cache, name="dispatch")
class GroupAddView(TenantScopedMixin, TemplateView):
    """Add a group: type, name, owners, settings, review. Nothing exists before the finish."""

    permission_required = ADD_GROUPS
    template_name = "groups/group_add.html"

    def dispatch(self, request, *args, step="type", **kwargs):
        if step not in STEP_NAMES:
            raise Http404
        self.step = step
        if request.user.is_authenticated and request.method == "GET" and "start" in request.GET:
            request.session.pop(WIZARD_KEY, None)
        missing = self.first_missing_step()
        if (
            request.user.is_authenticated
            and missing is not None
            and STEP_NAMES.index(missing) < STEP_NAMES.index(step)
        ):
            return redirect("groups:group_add", step=missing)
        return super().dispatch(request, *args, **kwargs)

    def wizard(self):
        return self.request.session.get(WIZARD_KEY) or {}

    def save(self, **parts):
        self.request.session[WIZARD_KEY] = {**self.wizard(), **parts}

    def first_missing_step(self):
        wizard = self.wizard()
        for name in STEP_NAMES[:-1]:
            if name not in wizard:
                return name
        return None

    def form(self, data=None):
        wizard, tenant = self.wizard(), self.request.tenant
        if self.step == "type":
            return KindForm(data, initial=wizard.get("type"))
        if self.step == "basics":
            return BasicsForm(data, initial=wizard.get("basics"))
        if self.step == "settings":
            return SettingsForm(
                data,
                kind=wizard["type"]["kind"],
                domains=domain_choices(tenant),
                initial=wizard.get("settings"),
            )
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        wizard = self.wizard()
        done = set(wizard)
        context["steps"] = [
            {
                "url": reverse("groups:group_add", kwargs={"step": name}),
                "label": label,
                "current": name == self.step,
                "reachable": name in done or name == (self.first_missing_step() or "review"),
            }
            for name, label in STEPS
        ]
        context["step"] = self.step
        context["kinds"] = kind_help()
        context.setdefault("form", self.form())
        kind = wizard.get("type", {}).get("kind")
        context["kind_label"] = Kind(kind).label if kind else ""
        if self.step == "owners":
            owner_ids = wizard.get("owners", {}).get("ids", [])
            context["chosen"] = User.objects.for_tenant(self.request.tenant).filter(
                pk__in=owner_ids
            )
            search = self.request.GET.get("q", "")[:100]
            context["search"] = search
            context["owner_candidates"] = (
                User.objects.for_tenant(self.request.tenant)
                .active()
                .exclude(pk__in=owner_ids)
                .filter(display_name__icontains=search)
                .order_by("display_name", "id")[:50]
                if search
                else User.objects.none()
            )
            context["owners_required"] = kind in KINDS_WITH_OWNERS_REQUIRED
        if self.step == "review":
            context["summary"] = self.summary()
        return context

    def summary(self):
        wizard = self.wizard()
        settings = wizard.get("settings", {})
        email = (
            f"{settings['local_part']}@{settings['domain']}" if settings.get("local_part") else ""
        )
        return {
            "kind": Kind(wizard["type"]["kind"]).label,
            "name": wizard["basics"]["name"],
            "description": wizard["basics"]["description"],
            "owners": User.objects.for_tenant(self.request.tenant).filter(
                pk__in=wizard["owners"]["ids"]
            ),
            "email": email,
            "privacy": Privacy(settings["privacy"]).label if settings.get("privacy") else "",
            "allow_external_senders": settings.get("allow_external_senders", False),
        }

    def post(self, request, *args, **kwargs):
        if self.step == "owners":
            return self.post_owners(request)
        if self.step == "review":
            return self.finish(request)
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = dict(form.cleaned_data)
        if self.step == "settings" and data.get("local_part"):
            try:
                email = services.group_address(
                    tenant=request.tenant, local_part=data["local_part"], domain=data["domain"]
                )
            except ValidationError as error:
                form.add_error("local_part", error.messages[0])
                return self.render_to_response(self.get_context_data(form=form))
            if selectors.address_in_use(email):
                form.add_error(
                    "local_part", _("%(email)s is in use by a user or a group.") % {"email": email}
                )
                return self.render_to_response(self.get_context_data(form=form))
        if self.step == "type" and data["kind"] != self.wizard().get("type", {}).get("kind"):
            # Another type has other settings: ask for them again.
            session = {k: v for k, v in self.wizard().items() if k != "settings"}
            request.session[WIZARD_KEY] = session
        self.save(**{self.step: data})
        return redirect("groups:group_add", step=STEP_NAMES[STEP_NAMES.index(self.step) + 1])

    def post_owners(self, request):
        owners = self.wizard().get("owners", {"ids": []})
        ids = list(owners["ids"])
        chosen = request.POST.getlist("users")
        if request.POST.get("action") == "add":
            ids += [user.pk for user in active_users_or_404(request, chosen)]
        elif request.POST.get("action") == "remove":
            remove = {
                user.pk for user in active_users_or_404(request, request.POST.getlist("users"))
            }
            ids = [pk for pk in ids if pk not in remove]
        elif request.POST.get("action") == "next":
            kind = self.wizard()["type"]["kind"]
            if kind in KINDS_WITH_OWNERS_REQUIRED and not ids:
                messages.error(request, _("A team group needs at least one owner."))
                return redirect("groups:group_add", step="owners")
            self.save(owners={"ids": ids})
            return redirect("groups:group_add", step="settings")
        self.save(owners={"ids": list(dict.fromkeys(ids))})
        return redirect("groups:group_add", step="owners")

    def finish(self, request):
        wizard = self.wizard()
        settings = wizard["settings"]
        try:
            group = services.group_create(
                tenant=request.tenant,
                acting_user=request.user,
                kind=wizard["type"]["kind"],
                name=wizard["basics"]["name"],
                description=wizard["basics"]["description"],
                email=services.group_address(
                    tenant=request.tenant,
                    local_part=settings["local_part"],
                    domain=settings["domain"],
                )
                if settings.get("local_part")
                else "",
                privacy=settings.get("privacy", ""),
                allow_external_senders=settings.get("allow_external_senders", False),
                owners=active_users_or_404(request, wizard["owners"]["ids"]),
                request=request,
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "forbidden":
                raise PermissionDenied from None
            return self.render_to_response(self.get_context_data(errors=error.messages))
        request.session.pop(WIZARD_KEY, None)
        messages.success(request, _("%(name)s was created.") % {"name": group.name})
        return redirect(group)


class GroupAddressCheckView(TenantScopedMixin, View):
    """Say whether a group address is free (the settings step asks live)."""

    permission_required = ADD_GROUPS

    def get(self, request):
        local, domain = request.GET.get("local_part", ""), request.GET.get("domain", "")
        try:
            email = services.group_address(tenant=request.tenant, local_part=local, domain=domain)
        except ValidationError:
            state, text = "invalid", _("Enter the address and choose a domain.")
        else:
            if selectors.address_in_use(email):
                state, text = "taken", _("%(username)s is taken.") % {"username": email}
            else:
                state, text = "free", _("%(username)s is available.") % {"username": email}
        return render(request, "users/inc/username_check.html", {"state": state, "text": text})
