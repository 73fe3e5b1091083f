"""The seller's bank account, checked with python-stdnum: no valid account, no start."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum import iban

from billing import seller


def test_the_example_account_is_valid_and_printed_in_groups_of_four(settings):
    settings.BILLING_SELLER_NAME = "Admin Portal Services B.V."
    settings.BILLING_SELLER_IBAN = "NL91ABNA0417164300"
    settings.BILLING_SELLER_BIC = "ABNANL2A"
    account = seller.bank_account()
    assert account == seller.BankAccount(
        holder="Admin Portal Services B.V.", iban="NL91ABNA0417164300", bic="ABNANL2A"
    )
    assert account.iban_display == "NL91 ABNA 0417 1643 00"


def test_spaces_and_lower_case_are_accepted_and_compacted(settings):
    settings.BILLING_SELLER_IBAN = "nl91 abna 0417 1643 00"
    settings.BILLING_SELLER_BIC = "abnanl2a"
    account = seller.bank_account()
    assert (account.iban, account.bic) == ("NL91ABNA0417164300", "ABNANL2A")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BILLING_SELLER_IBAN", "NL91ABNA0417164301"),  # a wrong check digit
        ("BILLING_SELLER_IBAN", "NL91ABNA041716430"),  # too short for a Dutch account
        ("BILLING_SELLER_IBAN", "XX91ABNA0417164300"),  # no such country
        ("BILLING_SELLER_IBAN", ""),
        ("BILLING_SELLER_BIC", "ABNA"),
        ("BILLING_SELLER_BIC", "1BNANL2A"),  # the bank code is letters
        ("BILLING_SELLER_BIC", ""),
    ],
)
def test_a_wrong_iban_or_bic_is_improperly_configured(settings, name, value):
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        seller.bank_account()


DUTCH_BANKS = st.sampled_from(["ABNA", "INGB", "RABO", "TRIO", "BUNQ"])
ACCOUNT_NUMBERS = st.from_regex(r"[0-9]{10}", fullmatch=True)


@given(DUTCH_BANKS, ACCOUNT_NUMBERS)
def test_any_dutch_iban_with_right_check_digits_is_accepted(bank, number):
    number = f"NL00{bank}{number}"
    valid = f"NL{iban.calc_check_digits(number)}{bank}{number[8:]}"
    with override_settings(BILLING_SELLER_IBAN=valid, BILLING_SELLER_BIC="ABNANL2A"):
        assert seller.bank_account().iban == valid


@given(DUTCH_BANKS, ACCOUNT_NUMBERS, st.integers(min_value=1, max_value=9))
@example(bank="ABNA", number="2821573111", change=3)
def test_a_changed_check_digit_is_refused(bank, number, change):
    number = f"NL00{bank}{number}"
    digits = int(iban.calc_check_digits(number))
    # Check digits run from 02 to 98; 01 and 99 stand for 98 and 02 modulo 97, so stay
    # within the range for a truly different check value.
    wrong = f"NL{(digits - 2 + change) % 97 + 2:02d}{bank}{number[8:]}"
    with override_settings(BILLING_SELLER_IBAN=wrong), pytest.raises(ImproperlyConfigured):
        seller.bank_account()


def test_the_portal_does_not_start_with_a_wrong_iban():
    env = {**os.environ, "BILLING_SELLER_IBAN": "NL91ABNA0417164301"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: BILLING_SELLER_IBAN must be an IBAN" in result.stderr
