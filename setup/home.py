"""Setup's card on Home: how many of the viewer's setup steps are done."""

from accounts.roles import ADMIN_CENTER
from setup import selectors


def card(request):
    user = request.user
    if not user.has_perm(ADMIN_CENTER):
        return None
    steps = selectors.setup_steps(user=user, facts=selectors.cached_facts(tenant=request.tenant))
    if not steps:
        return None
    return {"template": "setup/home_card.html", **selectors.progress(steps)}
