"""Add people to a group's owners or members, and remove them: a URL and a view each."""

from django.utils.translation import ngettext

from groups import services
from groups.forms import PeopleForm
from groups.models import Membership
from groups.views.detail import GroupChangeView


class _PeopleChangeView(GroupChangeView):
    role = None
    service = None

    def get_form(self, data):
        return PeopleForm(data, actor=self.request.user)

    def change(self, form):
        count = type(self).service(
            **self.service_kwargs(), users=list(form.cleaned_data["users"]), role=self.role
        )
        return self.done_text(count) % {"count": count}


class GroupOwnersAddView(_PeopleChangeView):
    role = Membership.Role.OWNER
    service = services.group_people_add

    def done_text(self, count):
        return ngettext("%(count)d owner added.", "%(count)d owners added.", count)


class GroupOwnersRemoveView(_PeopleChangeView):
    role = Membership.Role.OWNER
    service = services.group_people_remove

    def done_text(self, count):
        return ngettext("%(count)d owner removed.", "%(count)d owners removed.", count)


class GroupMembersAddView(_PeopleChangeView):
    role = Membership.Role.MEMBER
    service = services.group_people_add

    def done_text(self, count):
        return ngettext("%(count)d member added.", "%(count)d members added.", count)


class GroupMembersRemoveView(_PeopleChangeView):
    role = Membership.Role.MEMBER
    service = services.group_people_remove

    def done_text(self, count):
        return ngettext("%(count)d member removed.", "%(count)d members removed.", count)
