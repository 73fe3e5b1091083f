"""Parse, check and display the contact points of security info.

Plain functions in the manner of django-two-factor-auth's phone number
validator: each takes the raw text a person typed and returns the normalized
value to store, or raises ``ValidationError(message, code=..., params=...)``.
They raise nothing else for any string, so a form can call them as they are.
"""

import re
import unicodedata

import idna
import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from email_validator import EmailNotValidError, EmailUndeliverableError, validate_email
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from accounts.models import UserManager

# Longer input is no phone number or address; refuse it before any parsing.
PHONE_MAX_INPUT_LENGTH = 64
EMAIL_MAX_INPUT_LENGTH = 320

# The types an SMS can reach. Where the numbering plan cannot tell mobile from
# landline (the US, Canada) phonenumbers answers FIXED_LINE_OR_MOBILE.
SMS_NUMBER_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})

MASK = "•"

# What people write in a phone number: digits and the usual separators, with a
# "+" only in front. Letters are refused rather than read as a vanity number or
# an extension, which phonenumbers would otherwise quietly do.
_PHONE_CHARS = re.compile(r"\+?[\d\s().\-/]*")

_PHONE_HINT = _("Enter a mobile number such as %(example)s.")
_PHONE_HINT_NO_EXAMPLE = _("Enter a mobile number starting with + and the country code.")
_PHONE_PROBLEMS = {
    "characters": _("A phone number can only contain digits, spaces and + - . / ( )."),
    "too_short": _("This number is too short."),
    "too_long": _("This number is too long."),
    "invalid": _("This is not a valid phone number."),
}


def parse_mobile_number(raw, *, region):
    """Return ``raw`` as an E.164 mobile number, or raise ValidationError.

    ``region`` is the two-letter country (the tenant's) that national input such
    as "06 12345678" belongs to; international input ("+31 ...", "0031 ...")
    works in any region.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter your mobile phone number."), code="required")
    region = str(getattr(region, "code", region) or "").upper() or None
    if len(text) > PHONE_MAX_INPUT_LENGTH:
        raise _invalid_phone("too_long", region)
    # NFKC turns full-width digits and plus signs (from East Asian keyboards) into ASCII.
    text = unicodedata.normalize("NFKC", text).strip()
    if not _PHONE_CHARS.fullmatch(text):
        raise _invalid_phone("characters", region)

    number = _parse(text, region)
    if number is None and text.startswith("00"):
        # "00" is the international prefix almost everywhere, but phonenumbers
        # only reads it so where the region dials it (not in the US, say). Read
        # it as "+" only when the region's own reading gave no valid number.
        number = _parse("+" + text[2:], region)
    if number is None:
        raise _invalid_phone(_length_problem(text, region), region)

    allowed = getattr(settings, "SMS_ALLOWED_CALLING_CODES", None) or []
    if allowed and number.country_code not in allowed:
        # Checked before the type: a mobile number in that country would fail too.
        raise ValidationError(
            _("Text messages can't be sent to numbers in this country (+%(code)s)."),
            code="country_not_allowed",
            params={"code": number.country_code},
        )
    if phonenumbers.number_type(number) not in SMS_NUMBER_TYPES:
        raise ValidationError(
            _(
                "This looks like a landline number; "
                "enter a mobile number that can receive text messages."
            ),
            code="not_mobile",
        )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _parse(text, region):
    """Return the valid number in ``text``, or None."""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    if number.extension or not phonenumbers.is_valid_number(number):
        return None
    return number


def _length_problem(text, region):
    """Return which problem to name for an invalid number: its length, if that is it."""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as error:
        return {
            NumberParseException.TOO_SHORT_NSN: "too_short",
            NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
            NumberParseException.TOO_LONG: "too_long",
        }.get(error.error_type, "invalid")
    # Measured against mobile numbers: a general range would also allow short service numbers.
    reason = phonenumbers.is_possible_number_for_type_with_reason(number, PhoneNumberType.MOBILE)
    return {
        phonenumbers.ValidationResult.TOO_SHORT: "too_short",
        phonenumbers.ValidationResult.TOO_LONG: "too_long",
    }.get(reason, "invalid")


def _invalid_phone(problem, region):
    example = _example_mobile(region)
    if example:
        hint, params = _PHONE_HINT, {"example": example}
    else:
        hint, params = _PHONE_HINT_NO_EXAMPLE, {}
    message = format_lazy("{} {}", _PHONE_PROBLEMS[problem], hint)
    return ValidationError(message, code="invalid", params=params)


def _example_mobile(region):
    """Return an example mobile number of ``region`` in international format, or ""."""
    if not region:
        return ""
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    if example is None:
        return ""
    return phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL)


def format_phone_international(e164):
    """Return a stored E.164 number for display, such as "+31 6 12345678"."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        # A display helper must not break a page over a bad stored value.
        return e164 or ""
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def mask_phone(e164):
    """Return the number in international format with its middle digits hidden.

    The country code, the first national digit and the last two digits stay
    visible ("+31 6 ••••••78"): enough to recognize one's own number, too
    little to learn someone else's.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return _mask_digits(e164 or "", keep_first=0)
    formatted = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    prefix = f"+{number.country_code}"
    if not formatted.startswith(prefix):
        return _mask_digits(formatted, keep_first=0)
    return prefix + _mask_digits(formatted[len(prefix) :], keep_first=1)


def _mask_digits(text, *, keep_first):
    positions = [i for i, char in enumerate(text) if char.isdigit()]
    shown = set(positions[:keep_first]) | set(positions[-2:])
    return "".join(
        MASK if char.isdigit() and i not in shown else char for i, char in enumerate(text)
    )


def normalize_alternate_email(raw, *, tenant_domains, sign_in_name):
    """Return ``raw`` as a normalized alternate email address, or raise ValidationError.

    The local part stays as email-validator normalizes it (case kept); the
    domain is lower-case ASCII (IDNA), as the tenant's domains are stored. An
    address on one of ``tenant_domains`` or a subdomain of one is refused: it
    belongs to the organization and fails with the work account. So is the
    user's ``sign_in_name``. Both comparisons ignore case.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter an email address."), code="required")
    if len(text) > EMAIL_MAX_INPUT_LENGTH:
        raise ValidationError(
            _("This email address is too long. Enter one such as name@example.org."),
            code="invalid",
        )
    try:
        info = validate_email(
            text,
            check_deliverability=getattr(
                settings, "SECURITY_INFO_EMAIL_CHECK_DELIVERABILITY", False
            ),
        )
    except EmailUndeliverableError as error:
        raise ValidationError(
            _("This address can't receive email: %(detail)s Check the part after the @."),
            code="invalid",
            params={"detail": str(error)},
        ) from None
    except EmailNotValidError as error:
        raise ValidationError(
            _("This is not a valid email address: %(detail)s Enter one such as name@example.org."),
            code="invalid",
            params={"detail": str(error)},
        ) from None
    if info.ascii_email is None:
        # An internationalized (SMTPUTF8) local part: Django's mail backends
        # encode it into a header word that no server delivers to, so the
        # verification code would never arrive.
        raise ValidationError(
            _(
                "We can't send email to addresses with accented or non-Latin letters "
                "before the @. Enter a different address."
            ),
            code="invalid",
        )
    address = f"{info.local_part}@{info.ascii_domain}"

    if (
        sign_in_name
        and address.casefold() == UserManager.normalize_username(sign_in_name).casefold()
    ):
        raise ValidationError(
            _("This is your sign-in name; use a different, personal address."),
            code="same_as_sign_in",
        )
    domain = info.ascii_domain.lower()
    for own in tenant_domains or ():
        own = (own or "").strip().rstrip(".").lower()
        if own and (domain == own or domain.endswith("." + own)):
            raise ValidationError(
                _(
                    "Use an address outside your organization (not @%(domain)s): "
                    "it must still work when your work account doesn't."
                ),
                code="own_domain",
                params={"domain": _display_domain(own)},
            )
    return address


def mask_email(address):
    """Return the address with all but the first character of its local part hidden.

    The domain stays whole, as people write it: "a•••@example.org".
    """
    local, sep, domain = (address or "").rpartition("@")
    if not sep:
        return MASK * 3
    return f"{local[:1]}{MASK * 3}@{_display_domain(domain)}"


def _display_domain(domain):
    """Return an ASCII (IDNA) domain as people write it ("bücher.example")."""
    try:
        return idna.decode(domain)
    except (idna.IDNAError, UnicodeError):
        return domain
