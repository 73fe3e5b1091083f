"""Home-realm discovery reads a name's domain: properties of that reading."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sso import oidc, saml
from sso.selectors import domain_of, provider_for_username
from tests.factories import make_tenant

LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
DOMAIN = st.lists(LABEL, min_size=2, max_size=4).map(".".join)
LOCAL = st.text("abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=20)


@given(local=LOCAL, domain=DOMAIN, upper=st.booleans())
def test_the_domain_is_what_follows_the_last_at_in_any_case(local, domain, upper):
    name = f"{local}@{domain.upper() if upper else domain}"
    assert domain_of(name) == domain


@given(text=st.text(max_size=60))
def test_any_text_has_a_domain_or_none_and_never_raises(text):
    domain = domain_of(text)
    assert domain == "" or ("@" in text and domain == domain.lower())


@given(
    issuer=st.sampled_from(["https://a.example", "https://a.example/t/v2.0"]), slash=st.booleans()
)
def test_an_issuer_and_its_discovery_url_name_the_same_provider(issuer, slash):
    typed = f"{issuer}/" if slash else issuer
    assert oidc.normalized_issuer(typed) == issuer
    assert oidc.normalized_issuer(oidc.discovery_url(typed)) == issuer


@given(class_ref=st.text(max_size=80))
def test_only_known_classes_count_as_a_second_factor(class_ref):
    assert saml.used_mfa({"class_ref": class_ref}) is (class_ref in saml.MFA_CLASSES)


@pytest.mark.django_db
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40))
def test_discovery_finds_no_provider_for_any_name_when_none_is_on(text):
    make_tenant()
    assert provider_for_username(text) is None
