"""Pieces shared by the lists' filter sets (django-filter) and their paging."""

import copy

import django_filters


class SharedSettingsFilter:
    """A filter whose settings (label, choices, widget) a FilterSet's copy of it shares.

    django-filter deep-copies every declared filter for each FilterSet it builds,
    that is for every request to a list; these filters' settings are constants,
    so a shallow copy, bound to its own FilterSet, does the same for a fifth of it.
    """

    def __deepcopy__(self, memo: dict) -> "SharedSettingsFilter":
        twin = copy.copy(self)
        twin.method = self.method  # calls the twin's FilterSet, not this filter's
        return twin


class CharFilter(SharedSettingsFilter, django_filters.CharFilter):
    pass


class ChoiceFilter(SharedSettingsFilter, django_filters.ChoiceFilter):
    pass


def page_number(value: object) -> int:
    """Return the page number ``value`` names (maybe out of range), or 1 if it names none.

    As ``Paginator.validate_number`` reads it, before it compares it with the pages.
    """
    try:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        return 1


class KeptFormClassMixin:
    """A FilterSet whose form class is built once, for every request to its list.

    Its fields are the same for every request (labels and choices are constants,
    translated when shown), where django-filter builds the class on each.
    """

    def get_form_class(self):
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class
