"""Keyboard only, in Chromium: sign in, add a phone, reach every nav item; focus always shows.

No mouse is used: every step is Tab, Shift+Tab, Enter, Escape or typing. Each
element that takes the focus must draw a focus ring (an outline at least 2px wide).
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import GLOBAL_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import last_file_code

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    href: el.getAttribute("href"),
    text: (el.innerText || el.value || "").trim().slice(0, 60),
    inNav: !!el.closest("nav.sidebar"),
    outline: style.outlineStyle !== "none" ? parseFloat(style.outlineWidth) : 0,
    top: el.getBoundingClientRect().top,
    visible: el.getBoundingClientRect().width > 0,
  };
}"""


def focused(page):
    return page.evaluate(FOCUSED)


def press_enter_and_load(page):
    """Press Enter on a link or in a form, and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def tab_until(page, wanted, *, limit=150, key="Tab"):
    """Press Tab until ``wanted(focused element)`` holds; every stop must show a focus ring."""
    for _ in range(limit):
        page.keyboard.press(key)
        element = focused(page)
        if element is None:
            continue
        assert element["outline"] >= 2, f"no visible focus ring on {element}"
        if wanted(element):
            return element
    raise AssertionError("the keyboard never reached the element")


@pytest.mark.tenant(name="Contoso", domain="contoso.example", require_mfa_for_admins=True)
def test_admin_signs_in_adds_a_phone_and_reaches_every_nav_item_by_keyboard(
    page, live_server, admin, outboxes, shot
):
    page.goto(f"{live_server.url}/signin/")
    tab_until(page, lambda e: e["id"] == "id_username")
    page.keyboard.type(admin.username)
    tab_until(page, lambda e: e["id"] == "id_password")
    page.keyboard.type(PASSWORD)
    press_enter_and_load(page)

    # The second-factor policy holds a new admin at Security info.
    expect(page).to_have_url(f"{live_server.url}/security-info/")

    # The first Tab shows the skip link; it moves the focus to the page's content.
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["href"] == "#main" and skip["top"] >= 0 and skip["outline"] >= 2
    shot("keyboard-skip-link")
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    # Add a mobile phone (just signed in counts as confirming it's you): send a code, type it.
    tab_until(page, lambda e: (e["href"] or "").endswith("/security-info/phone/"))
    press_enter_and_load(page)
    tab_until(page, lambda e: e["id"] == "id_number")
    page.keyboard.type("06 12345678")
    press_enter_and_load(page)
    tab_until(page, lambda e: e["id"] == "id_code")
    page.keyboard.type(last_file_code(outboxes / "sms"))
    press_enter_and_load(page)
    expect(page.get_by_test_id("method-phone")).to_contain_text("+31 6 12345678")

    # Every nav item, groups opened with Enter, each link reached by Tab.
    nav_links = set(
        page.eval_on_selector_all("nav.sidebar a[href]", "a => a.map(x => x.getAttribute('href'))")
    )
    assert len(nav_links) >= 20
    reached = set()
    # Back up from the page's content to just before the nav, then walk it forwards.
    page.locator("main").focus()
    tab_until(page, lambda e: e["inNav"], key="Shift+Tab")
    tab_until(page, lambda e: not e["inNav"], key="Shift+Tab")
    page.keyboard.press("Tab")
    # Walk the nav from its first entry to its last.
    while True:
        element = focused(page)
        if element["tag"] == "summary":
            expanded = page.evaluate("() => document.activeElement.parentElement.open")
            if not expanded:
                page.keyboard.press("Enter")
        elif element["href"]:
            reached.add(element["href"])
        page.keyboard.press("Tab")
        element = focused(page)
        assert element["outline"] >= 2, f"no visible focus ring on {element}"
        if not element["inNav"]:
            break
    shot("keyboard-nav-open")
    assert reached == nav_links

    # And one of them opens with Enter.
    tab_until(page, lambda e: e["href"] == "/audit/", key="Shift+Tab")
    press_enter_and_load(page)
    expect(page).to_have_url(re.compile(r"/audit/$"))


def test_on_a_narrow_screen_the_menu_button_opens_and_closes_the_nav(
    page, live_server, sign_in, outboxes
):
    tenant = make_tenant("Contoso", "contoso.example")
    make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    page.set_viewport_size({"width": 800, "height": 900})
    sign_in("admin@contoso.example", PASSWORD)
    expect(page.locator("nav.sidebar")).to_be_hidden()

    button = tab_until(
        page,
        lambda e: (
            e["tag"] == "button"
            and e["inNav"] is False
            and "nav-toggle" in page.evaluate("() => document.activeElement.className")
        ),
    )
    assert button["outline"] >= 2
    page.keyboard.press("Enter")
    expect(page.locator("nav.sidebar")).to_be_visible()
    expect(page.locator("[data-nav-toggle]")).to_have_attribute("aria-expanded", "true")
    assert focused(page)["inNav"]
    page.keyboard.press("Escape")
    expect(page.locator("nav.sidebar")).to_be_hidden()
    expect(page.locator("[data-nav-toggle]")).to_have_attribute("aria-expanded", "false")
    assert "nav-toggle" in page.evaluate("() => document.activeElement.className")


def test_without_javascript_the_nav_stays_open_on_a_narrow_screen(browser, live_server):
    tenant = make_tenant("Contoso", "contoso.example")
    user = make_user(tenant, "admin", roles=[GLOBAL_ADMIN])
    context = browser.new_context(java_script_enabled=False, viewport={"width": 800, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/signin/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("nav.sidebar")).to_be_visible()
    expect(page.locator("[data-nav-toggle]")).to_be_hidden()
    context.close()
