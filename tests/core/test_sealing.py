"""Sealed values: read back only with the same key and purpose, and only while fresh."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.sealing import SealBroken, seal, unseal

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


@given(json_values)
def test_what_is_sealed_comes_back(value):
    assert unseal(seal(value, purpose="p"), purpose="p", max_age=60) == value


def test_the_sealed_text_does_not_show_the_secret():
    token = seal([[1, "Correct-Horse-42"]], purpose="p")
    assert "Correct-Horse" not in token


def test_another_purpose_cannot_read_it():
    with pytest.raises(SealBroken):
        unseal(seal("x", purpose="a"), purpose="b", max_age=60)


def test_another_key_cannot_read_it(settings):
    token = seal("x", purpose="p")
    settings.SECRET_KEY = "another-key-" * 5
    with pytest.raises(SealBroken):
        unseal(token, purpose="p", max_age=60)


def test_an_altered_seal_is_refused():
    token = seal("x", purpose="p")
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(SealBroken):
        unseal(altered, purpose="p", max_age=60)


def test_a_stale_seal_is_refused(monkeypatch):
    token = seal("x", purpose="p")
    import time

    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(SealBroken):
        unseal(token, purpose="p", max_age=60)
