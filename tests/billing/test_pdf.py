"""The invoice PDF, checked by reading its text back with pypdf (no database)."""

import io
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from billing import pdf as billing_pdf
from billing.pdf import (
    InvoiceDocument,
    InvoiceLine,
    Party,
    format_amount,
    render_invoice_pdf,
)
from billing.seller import BankAccount

SELLER = Party(
    name="Contoso Hosting B.V.",
    address_lines=("Keizersgracht 1", "1015 CJ Amsterdam", "Netherlands"),
    vat_number="NL123456789B01",
)
BUYER = Party(
    name="Zoë Łukasiewicz",
    address_lines=("ul. Długa 5", "00-001 Warszawa", "Poland"),
    vat_number="PL5260250274",
)
BANK_ACCOUNT = BankAccount("Contoso Hosting B.V.", "NL91ABNA0417164300", "ABNANL2A")
LINES = (
    InvoiceLine("Business Premium, 3 seats", "Purchase", 3, Decimal("12.50"), Decimal("37.50")),
    InvoiceLine("Business Basic renewal", "Renewal", 10, Decimal("6.00"), Decimal("60.00")),
    InvoiceLine(
        "Business Basic, 2 more seats", "Quantity change", 2, Decimal("3.25"), Decimal("6.50")
    ),
    InvoiceLine(
        "Visio Plan 1 cancelled", "Cancellation credit", 1, Decimal("-4.00"), Decimal("-4.00")
    ),
)


def make_document(**changes) -> InvoiceDocument:
    document = InvoiceDocument(
        number="INV-2025-000042",
        issue_date=date(2025, 3, 1),
        due_date=date(2025, 3, 31),
        period_start=date(2025, 2, 1),
        period_end=date(2025, 2, 28),
        seller=SELLER,
        buyer=BUYER,
        currency="EUR",
        lines=LINES,
        subtotal=Decimal("100.00"),
        vat_rate=Decimal("21.00"),
        vat_amount=Decimal("21.00"),
        reverse_charge=False,
        total=Decimal("121.00"),
        status_label="Due",
    )
    return replace(document, **changes)


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def text_of(data: bytes) -> str:
    return "\n".join(page_texts(data))


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_invoice_pdf(make_document())


def test_output_is_a_pdf(rendered):
    assert rendered.startswith(b"%PDF-")
    assert rendered.rstrip().endswith(b"%%EOF")


def test_shows_number_dates_and_status(rendered):
    text = text_of(rendered)
    assert "Invoice" in text
    assert "INV-2025-000042" in text
    assert "Invoice date 1 Mar 2025" in text
    assert "Due date 31 Mar 2025" in text
    # The period may wrap in its column.
    assert "Service period 1 Feb 2025 \N{EN DASH} 28 Feb 2025" in " ".join(text.split())
    assert "Status Due" in text


def test_shows_seller_and_buyer_with_diacritics(rendered):
    text = text_of(rendered)
    assert "Contoso Hosting B.V." in text
    assert "VAT number: NL123456789B01" in text
    assert "Zoë Łukasiewicz" in text
    assert "ul. Długa 5" in text
    assert "VAT number: PL5260250274" in text


def test_shows_every_line_with_its_type_and_amounts(rendered):
    text = text_of(rendered)
    for line in LINES:
        assert line.description in text
        assert line.kind_label in text
    assert "€12.50 €37.50" in text
    assert "€3.25 €6.50" in text
    assert "-€4.00 -€4.00" in text


def test_shows_subtotal_vat_and_total(rendered):
    text = text_of(rendered)
    assert "Subtotal €100.00" in text
    assert "VAT (21%) €21.00" in text
    assert "Total €121.00" in text


def test_shows_the_documents_currency():
    data = render_invoice_pdf(make_document(currency="USD", total=Decimal("1234.5")))
    text = text_of(data)
    assert "Total $1,234.50" in text
    assert "€" not in text


@pytest.mark.parametrize("reverse_charge", [False, True])
def test_reverse_charge_note_only_when_reverse_charged(reverse_charge):
    document = make_document(
        reverse_charge=reverse_charge,
        vat_rate=Decimal("0"),
        vat_amount=Decimal("0.00"),
        total=Decimal("100.00"),
    )
    text = text_of(render_invoice_pdf(document))
    assert ("VAT reverse charged €0.00" in text) is reverse_charge
    assert ("Reverse charge: VAT to be accounted for by the recipient" in text) is reverse_charge
    assert ("VAT (0%) €0.00" in text) is not reverse_charge


def test_long_invoice_continues_on_pages_with_the_heading_repeated():
    lines = tuple(
        InvoiceLine(f"Seat change number {i:03d}", "Quantity change", 1, Decimal(1), Decimal(1))
        for i in range(120)
    )
    document = make_document(lines=lines, subtotal=Decimal(120), total=Decimal("145.20"))

    pages = page_texts(render_invoice_pdf(document))

    assert len(pages) >= 3
    assert f"Page 2 of {len(pages)}" in pages[1]
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Description Type Qty Unit price Amount" in text
    assert "INV-2025-000042" in pages[1]  # the running header names the invoice
    everything = "\n".join(pages)
    found = re.findall(r"Seat change number (\d{3})", everything)
    assert found == [f"{i:03d}" for i in range(120)]  # each line once, in order
    assert "Total €145.20" in pages[-1]


def test_an_invoice_to_pay_says_where_to_transfer_the_money():
    text = text_of(render_invoice_pdf(make_document(bank_account=BANK_ACCOUNT)))
    flat = " ".join(text.split())
    assert "Pay by bank transfer" in text
    assert (
        "Transfer €121.00 by 31 Mar 2025, quoting the invoice number as the payment reference."
        in flat
    )
    assert "Account holder Contoso Hosting B.V." in text
    assert "IBAN NL91 ABNA 0417 1643 00" in text
    assert "BIC ABNANL2A" in text
    assert "Payment reference INV-2025-000042" in text


def test_the_bank_details_are_one_column_of_values():
    account = BankAccount("Holder With Spaces B.V.", "NL91ABNA0417164300", "ABNANL2A")
    data = render_invoice_pdf(make_document(bank_account=account))
    starts = {}

    def visit(text, _cm, tm, _font, _size):
        if text.strip():
            starts.setdefault(text.strip(), round(tm[4], 1))

    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    values = ["Holder With Spaces B.V.", "NL91 ABNA 0417 1643 00", "ABNANL2A"]
    assert len({starts[value] for value in values}) == 1, starts


def test_an_invoice_without_a_bank_account_mentions_no_transfer(rendered):
    text = text_of(rendered)
    assert "bank transfer" not in text and "IBAN" not in text


def test_the_bank_details_stay_together_on_one_page():
    # Enough lines that the totals end near the bottom of a page.
    for count in range(40, 60):
        lines = tuple(
            InvoiceLine(f"Seat change {i}", "Quantity change", 1, Decimal(1), Decimal(1))
            for i in range(count)
        )
        document = make_document(lines=lines, bank_account=BANK_ACCOUNT)
        pages = page_texts(render_invoice_pdf(document))
        [page] = [text for text in pages if "Pay by bank transfer" in text]
        assert "IBAN" in page and "Payment reference INV-2025-000042" in page, count


def test_dutch_invoice_says_where_to_transfer_the_money_in_dutch():
    document = make_document(language="nl", bank_account=BANK_ACCOUNT)
    text = text_of(render_invoice_pdf(document)).replace("\N{NO-BREAK SPACE}", " ")
    assert "IBAN NL91 ABNA 0417 1643 00" in text
    assert "BIC ABNANL2A" in text
    assert "INV-2025-000042" in text


def test_same_document_gives_identical_bytes(rendered):
    assert render_invoice_pdf(make_document()) == rendered


def test_different_documents_get_different_file_ids(rendered):
    other = render_invoice_pdf(make_document(number="INV-2025-000043"))
    assert (
        PdfReader(io.BytesIO(other)).trailer["/ID"]
        != (PdfReader(io.BytesIO(rendered)).trailer["/ID"])
    )


def test_metadata_names_the_invoice_and_seller(rendered):
    reader = PdfReader(io.BytesIO(rendered))
    assert reader.metadata.title == "Invoice INV-2025-000042"
    assert reader.metadata.author == "Contoso Hosting B.V."
    assert reader.metadata["/CreationDate"] == "D:20250301000000Z"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.01)  # A4


def test_labels_go_through_gettext_in_the_documents_language():
    def fake_gettext(message):
        return f"[{translation.get_language()}] {message}"

    with mock.patch.object(billing_pdf, "_", side_effect=fake_gettext):
        text = text_of(render_invoice_pdf(make_document(language="nl")))

    assert "[nl] Description" in text
    assert "[nl] Page 1 of 1" in text
    assert "[nl] Total €\N{NO-BREAK SPACE}121,00" in text


def test_page_count_alias_in_user_text_is_printed_as_written():
    line = InvoiceLine("Custom {nb} plan", "Purchase", 1, Decimal(1), Decimal(1))
    text = text_of(render_invoice_pdf(make_document(lines=(line,))))
    assert "Custom {nb} plan" in text


@pytest.mark.parametrize("character", ["W", "\N{PER TEN THOUSAND SIGN}"])
def test_overlong_cell_text_is_clipped_to_fit_one_row(character):
    # U+2031 is the widest glyph in DejaVu Sans; a row taller than a page would raise.
    line = InvoiceLine(character * 5000, character * 5000, 1, Decimal(1), Decimal(1))
    text = text_of(render_invoice_pdf(make_document(lines=(line, line))))
    assert "\N{HORIZONTAL ELLIPSIS}" in text


def test_dutch_invoice_has_dutch_words_dates_and_money():
    document = make_document(
        language="nl",
        vat_rate=Decimal("5.50"),
        subtotal=Decimal("1234.5"),
        vat_amount=Decimal("67.90"),
        total=Decimal("1302.40"),
    )
    text = text_of(render_invoice_pdf(document)).replace("\N{NO-BREAK SPACE}", " ")
    assert "Factuurdatum 1 mrt 2025" in text
    assert "Vervaldatum 31 mrt 2025" in text
    assert "Serviceperiode 1 feb 2025 \N{EN DASH} 28 feb 2025" in " ".join(text.split())
    assert "€ 12,50 € 37,50" in text
    assert "€ -4,00 € -4,00" in text
    assert "Subtotaal € 1.234,50" in text
    assert "Btw (5,5%) € 67,90" in text
    assert "Totaal € 1.302,40" in text


@pytest.mark.parametrize(
    ("amount", "language", "expected"),
    [
        (Decimal("12"), "en", "€12.00"),
        (Decimal("1234.565"), "en", "€1,234.57"),
        (Decimal("1234.565"), "nl", "€\N{NO-BREAK SPACE}1.234,57"),
        (Decimal("-12.5"), "en", "-€12.50"),
        (Decimal("-12.5"), "nl", "€\N{NO-BREAK SPACE}-12,50"),
        (Decimal("-0.001"), "en", "€0.00"),
        (Decimal("1E+3"), "en", "€1,000.00"),
        (Decimal("1E+30"), "en", "€1" + ",000" * 10 + ".00"),
    ],
)
def test_format_amount(amount, language, expected):
    assert format_amount(amount, "EUR", language) == expected


# Printable: every Unicode letter, mark, number, punctuation, symbol and separator,
# including scripts and emoji that DejaVu Sans has no glyph for.
printable_text = st.text(st.characters(exclude_categories=("C",)), max_size=400)
short_text = st.text(st.characters(exclude_categories=("C",)), max_size=80)
parties = st.builds(
    Party,
    name=short_text,
    address_lines=st.lists(short_text, max_size=4).map(tuple),
    vat_number=short_text,
)
invoice_lines = st.builds(
    InvoiceLine,
    description=printable_text,
    kind_label=short_text,
    quantity=st.integers(-1000, 1000),
    unit_price=st.decimals(-(10**6), 10**6, places=2),
    amount=st.decimals(-(10**9), 10**9, places=2),
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(
    seller=parties,
    buyer=parties,
    lines=st.lists(invoice_lines, max_size=6).map(tuple),
    number=short_text,
    status_label=short_text,
    bank_account=st.none()
    | st.builds(BankAccount, holder=short_text, iban=short_text, bic=short_text),
)
def test_any_printable_text_renders(seller, buyer, lines, number, status_label, bank_account):
    document = make_document(
        seller=seller,
        buyer=buyer,
        lines=lines,
        number=number,
        status_label=status_label,
        bank_account=bank_account,
    )
    data = render_invoice_pdf(document)
    assert data.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(data)).pages) >= 1
