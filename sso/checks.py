"""System checks: what SAML needs on every app node."""

import shutil

from django.core.checks import Warning as CheckWarning
from django.core.checks import register


@register(deploy=True)
def xmlsec1_installed(app_configs, **kwargs):
    """Warn when xmlsec1, with which pysaml2 signs and verifies, is not on this node."""
    if shutil.which("xmlsec1"):
        return []
    return [
        CheckWarning(
            "xmlsec1 is not installed: SAML single sign-on cannot sign or verify messages.",
            hint="Install the Debian package xmlsec1 on every app node.",
            id="sso.W001",
        )
    ]
