"""``makemessages`` that also extracts the project's ``_lazy`` alias of ``gettext_lazy``.

Modules that need both the eager and the lazy gettext import them as ``_`` and
``_lazy``. xgettext knows ``_`` but not ``_lazy``, so without this those strings
never reached the catalogs. Django documents subclassing the command and
extending ``xgettext_options`` as the way to pass xgettext more options; every
``manage.py makemessages`` runs this one, so the catalogs and their check in
``tests/i18n`` extract the same messages.
"""

from django.core.management.commands import makemessages

# The project's aliases of Django's lazy translation functions, as xgettext keywords.
KEYWORDS = ["--keyword=_lazy"]


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, *KEYWORDS]
