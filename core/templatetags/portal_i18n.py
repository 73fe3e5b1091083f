"""Django's ``i18n`` template library, with ``{% translate "literal" %}`` kept per language.

Installed under the ``i18n`` label (settings.TEMPLATES ``libraries``), so every
``{% load i18n %}`` gets it. Every tag and filter is Django's own; only a
``translate`` (or ``trans``) of a literal without filters changes: the node keeps
its output for each language (and autoescape setting) the first time it renders
it, where Django's looks the message up and escapes it again on every render
(about 18 µs a node; a page has 20 to 60). A message whose context is not a
literal, or a translate with filters, is Django's node unchanged. Catalogs are
read once per process, so the output for a language never changes while it runs.
"""

from django import template
from django.template.base import render_value_in_context
from django.templatetags import i18n as django_i18n
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import get_language

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)


class KeptTranslateNode(django_i18n.TranslateNode):
    """A ``TranslateNode`` of a literal message: its output kept per language."""

    def render(self, context: template.Context) -> str:
        key = (get_language(), context.autoescape)
        kept = self.__dict__.setdefault("kept", {})
        value = kept.get(key)
        if value is None:
            self.filter_expression.var.translate = not self.noop
            if self.message_context:
                self.filter_expression.var.message_context = self.message_context.resolve(context)
            value = render_value_in_context(self.filter_expression.resolve(context), context)
            # Percent signs are doubled in template text, as in Django's node.
            is_safe = isinstance(value, SafeData)
            value = value.replace("%%", "%")
            kept[key] = value = mark_safe(value) if is_safe else value  # noqa: S308 - was safe
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


def _literal(expression: template.base.FilterExpression | None) -> bool:
    return expression is None or (
        not expression.filters
        and isinstance(expression.var, template.base.Variable)
        and expression.var.literal is not None
    )


@register.tag("translate")
@register.tag("trans")
def translate(parser: template.base.Parser, token: template.base.Token) -> template.Node:
    node = django_i18n.do_translate(parser, token)
    if _literal(node.filter_expression) and _literal(node.message_context):
        node.__class__ = KeptTranslateNode
    return node
