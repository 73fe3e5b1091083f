from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import users_reachable
from billing import vat
from billing.models import BillingAccount, Frequency, PaymentMethod, Product
from billing.services import MAX_QUANTITY
from core.people_picker import PeoplePicker


class BuyForm(forms.Form):
    """Buy a product: how many licenses, billed how often, paid how."""

    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(is_active=True), empty_label=None
    )
    quantity = forms.IntegerField(
        label=_("Licenses"), min_value=1, max_value=MAX_QUANTITY, initial=1
    )
    frequency = forms.ChoiceField(
        label=_("Billing frequency"),
        choices=Frequency.choices,
        widget=forms.RadioSelect,
        initial=Frequency.MONTHLY,
    )
    payment_method = forms.ModelChoiceField(
        label=_("Payment method"), queryset=PaymentMethod.objects.none(), empty_label=None
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        methods = PaymentMethod.objects.for_tenant(tenant)
        self.fields["payment_method"].queryset = methods
        default = methods.filter(is_default=True).first()
        if default:
            self.fields["payment_method"].initial = default.pk

    def clean(self):
        cleaned_data = super().clean()
        product, frequency = cleaned_data.get("product"), cleaned_data.get("frequency")
        if product and frequency and frequency not in product.frequencies:
            self.add_error(
                "frequency",
                forms.ValidationError(
                    _("%(product)s is not sold with this billing frequency."),
                    code="not_offered",
                    params={"product": product.name},
                ),
            )
        return cleaned_data


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(label=_("Licenses"), min_value=1, max_value=MAX_QUANTITY)


class NoEchoTextInput(forms.TextInput):
    """A text input that never sends its value back: the card number is not echoed."""

    def format_value(self, value):
        return None


class CardForm(forms.Form):
    """A card to hand to the payment provider. The number is never stored."""

    holder_name = forms.CharField(label=_("Name on card"), max_length=100)
    number = forms.CharField(
        label=_("Card number"),
        max_length=30,
        widget=NoEchoTextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    exp_month = forms.IntegerField(
        label=_("Expiry month"),
        min_value=1,
        max_value=12,
        widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-month"}),
    )
    exp_year = forms.IntegerField(
        label=_("Expiry year"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-year"}),
    )
    cvc = forms.CharField(
        label=_("Security code"),
        max_length=4,
        widget=forms.PasswordInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )


class EmailListField(forms.CharField):
    """A list of email addresses, edited as one address per line.

    The model keeps a list; the textarea shows and takes lines. Addresses are
    checked one by one and kept in lower case.
    """

    widget = forms.Textarea

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return list(value)
        lines = super().to_python(value).splitlines()
        return [line.strip() for line in lines if line.strip()]

    def validate(self, value):
        super().validate("\n".join(value))
        for address in value:
            forms.EmailField().clean(address)

    def clean(self, value):
        return [address.lower() for address in super().clean(value)]


class BillingAccountForm(forms.ModelForm):
    notify_emails = EmailListField(
        label=_("Invoice recipients"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One email address per line. Empty: every Global admin and Billing admin."),
    )

    class Meta:
        model = BillingAccount
        fields = [
            "sold_to_name",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "country",
            "vat_number",
            "notify_emails",
            "attach_pdf",
            "language",
        ]

    def clean(self):
        cleaned_data = super().clean()
        country, number = cleaned_data.get("country"), cleaned_data.get("vat_number")
        if number:
            try:
                cleaned_data["vat_number"] = vat.validate_vat_number(str(country or ""), number)
            except forms.ValidationError as error:
                self.add_error("vat_number", error)
        return cleaned_data

    def _post_clean(self):
        # The service checks and saves the account.
        pass


class PaymentMethodPickForm(forms.Form):
    """The id of one of the organization's payment methods, looked up by the view.

    The view hands the id to ``selectors.access_payment_method_by_id``, so another
    organization's method answers 404 like a missing one.
    """

    payment_method = forms.IntegerField(
        error_messages={
            "required": _("Choose one of your payment methods."),
            "invalid": _("Choose one of your payment methods."),
        }
    )


class IdListField(forms.Field):
    """Several ids under one name (a list of checkboxes), as a sorted list of integers."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Choose active users of your organization.")}

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            return sorted({int(item) for item in value})
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class LicenseUsersForm(forms.Form):
    """The users to take a license from, by id, looked up by the view in the organization."""

    users = IdListField(error_messages={"required": _("Select at least one user first.")})


class LicenseAssignForm(forms.Form):
    """The people to give a license, chosen with the people picker."""

    users = forms.ModelMultipleChoiceField(
        label=_("People"),
        queryset=None,
        widget=PeoplePicker(source="licenses", search_url="users:people_search"),
        error_messages={"required": _("Select at least one user first.")},
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = users_reachable(actor)


class InvoiceFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned_data = super().clean()
        start, end = cleaned_data.get("date_from"), cleaned_data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", forms.ValidationError(_("Choose a date after the start.")))
        return cleaned_data
