"""``{% url %}`` and ``cached_reverse`` answer exactly as Django's ``reverse``."""

import pytest
from django.template import engines
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from core.urls import cached_reverse


def render(source, **context):
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize(
    ("name", "args"),
    [("users:user_detail", [5]), ("users:user_detail", ["7"]), ("users:user_list", [])],
)
def test_the_answer_is_djangos(name, args):
    assert cached_reverse(name, args=args) == reverse(name, args=args)
    assert cached_reverse(name, args=args) == reverse(name, args=args)  # kept


def test_the_template_tag_is_the_cached_one_with_the_same_output():
    assert render("{% url 'users:user_detail' pk %}", pk=12) == reverse(
        "users:user_detail", args=[12]
    )
    assert render("{% url 'users:user_detail' pk as link %}[{{ link }}]", pk=3) == (
        f"[{reverse('users:user_detail', args=[3])}]"
    )
    assert render("{% url 'no:such' as link %}[{{ link }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no:such' %}")


class Key(str):
    """Not a plain str: reversed each time, not kept."""


def test_arguments_that_are_not_plain_values_are_reversed_each_time():
    assert cached_reverse("users:user_detail", args=[Key("4")]) == reverse(
        "users:user_detail", args=[4]
    )


def test_the_script_prefix_is_part_of_what_is_kept():
    plain = cached_reverse("users:user_detail", args=[9])
    set_script_prefix("/portal/")
    try:
        assert cached_reverse("users:user_detail", args=[9]) == "/portal" + plain
    finally:
        clear_script_prefix()
    assert cached_reverse("users:user_detail", args=[9]) == plain
