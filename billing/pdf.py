"""Render an invoice as a PDF (fpdf2).

The renderer takes plain frozen dataclasses, not models, so the invoice page, a
management command or a Celery task can all build an ``InvoiceDocument`` from
whatever they hold and get the same bytes back.

Money, dates and the VAT rate are written the way readers of
``InvoiceDocument.language`` write them (``core.l10n``): "€ 1.234,50" and
"1 maart 2025" in Dutch, "€1,234.50" and "March 1, 2025" in English. Amounts are
rounded half up to the cent; credits get a minus sign. ``InvoiceDocument.vat_rate``
is a percentage (``Decimal("21")`` means 21 %), shown without trailing zeros:
``VAT (21%)``, ``BTW (5,5%)``.

Labels go through Django's gettext with English source strings and are rendered in
``InvoiceDocument.language``. Text is set in DejaVu Sans, embedded from
``billing/fonts/`` (Bitstream Vera license, see ``billing/fonts/LICENSE``), so names
such as "Zoë Łukasiewicz" come out right; a character the font lacks is left blank,
never an error.

The output is deterministic: the creation date is the issue date and the file
identifier is fpdf2's hash of the content, so the same document gives the same bytes.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF, FontFace

from billing.seller import BankAccount
from core import l10n

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "DejaVuSans"

# A table row must fit on one page (fpdf2 cannot split a row), so free text in a
# cell is clipped to a length that always does, even in the narrow Type column
# set in the font's widest glyph ("‱").
MAX_CELL_CHARS = 200

# fpdf2 replaces this alias with the page count in any text written while it is
# active, so it is switched on only in the footer: a description that happens to
# contain "{nb}" stays as written.
_PAGES_ALIAS = "{nb}"

# fontTools logs every font subset at INFO (dozens of lines per invoice); quiet it
# unless the LOGGING setting already chose a level for it.
_subset_logger = logging.getLogger("fontTools.subset")
if _subset_logger.level == logging.NOTSET:
    _subset_logger.setLevel(logging.WARNING)

_TEXT = (31, 41, 55)
_MUTED = (107, 114, 128)
_ACCENT = (0, 90, 158)
_RULE = (209, 213, 219)
_HEADING_FILL = (243, 244, 246)

_MARGIN = 18  # mm, left/right/top
_BOTTOM_MARGIN = 22  # mm, leaves room for the footer
_RIGHT_COLUMN_X = 112  # mm, where the right-hand blocks start
_BODY_SIZE = 9
_LINE = 4.6  # mm, line height at the body size


@dataclass(frozen=True)
class Party:
    """A seller or buyer as printed on the invoice."""

    name: str
    address_lines: tuple[str, ...]
    vat_number: str = ""


@dataclass(frozen=True)
class InvoiceLine:
    """One line of the invoice; ``kind_label`` is the translated transaction type."""

    description: str
    kind_label: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything printed on an invoice, computed by the caller.

    ``vat_rate`` is a percentage (21 for 21 %); ``status_label`` is the translated
    status (due, paid, overdue); ``language`` is a language code from
    ``settings.LANGUAGES`` that the labels are rendered in. With a ``bank_account``
    the invoice says how to pay it by bank transfer, the invoice number being the
    payment reference; a paid invoice or a credit has none.
    """

    number: str
    issue_date: date
    due_date: date
    period_start: date
    period_end: date
    seller: Party
    buyer: Party
    currency: str
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    reverse_charge: bool
    total: Decimal
    status_label: str
    language: str = "en"
    bank_account: BankAccount | None = None


def render_invoice_pdf(document: InvoiceDocument) -> bytes:
    """Return the invoice as PDF bytes (A4), labels in ``document.language``."""
    with translation.override(document.language):
        pdf = _InvoicePDF(document)
        pdf.add_page()
        _draw_heading(pdf, document)
        _draw_parties_and_dates(pdf, document)
        _draw_lines(pdf, document)
        _draw_totals(pdf, document)
        if document.bank_account is not None:
            _draw_bank_transfer(pdf, document, document.bank_account)
        return bytes(pdf.output())


def format_amount(amount: Decimal, currency: str, language: str) -> str:
    """Return ``amount`` of ``currency`` as readers of ``language`` write money."""
    return l10n.format_money(amount, currency, language=language)


def _format_date(value: date, language: str) -> str:
    return l10n.format_date(value, "DATE_FORMAT", language=language)


def _format_percent(rate: Decimal, language: str) -> str:
    return l10n.format_percent_value(rate.normalize(), language=language)


def _clip(text: str, limit: int = MAX_CELL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _InvoicePDF(FPDF):
    """A4 page with a running header on continuation pages and a page-number footer."""

    def __init__(self, document: InvoiceDocument) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.document = document
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(auto=True, margin=_BOTTOM_MARGIN)
        self.add_font(FONT_FAMILY, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT_FAMILY, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.alias_nb_pages(None)
        title = _("Invoice %(number)s") % {"number": document.number}
        self.set_title(title)
        self.set_subject(title)
        self.set_author(document.seller.name)
        self.set_lang(document.language)
        # A fixed date (and with it fpdf2's content-hash file ID) keeps output stable.
        self.set_creation_date(datetime.combine(document.issue_date, time.min, tzinfo=UTC))
        self.set_text_color(*_TEXT)
        self.set_draw_color(*_RULE)

    def header(self) -> None:
        self.alias_nb_pages(None)  # off while the page's body is written; see _PAGES_ALIAS
        if self.page_no() == 1:
            return
        self._small(_MUTED)
        text = f"{self.document.seller.name} \N{MIDDLE DOT} {self.title}"
        self.multi_cell(0, _LINE, _clip(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(4)
        self.set_text_color(*_TEXT)

    def footer(self) -> None:
        self.set_y(-_BOTTOM_MARGIN + 8)
        self._small(_MUTED)
        self.line(self.l_margin, self.y - 2, self.w - self.r_margin, self.y - 2)
        half = self.epw / 2
        self.cell(half, _LINE, _clip(self.title, 60), align="L")
        self.alias_nb_pages(_PAGES_ALIAS)
        # Translators: page footer of an invoice PDF, "Page 1 of 3".
        page = _("Page %(page)s of %(pages)s") % {
            "page": self.page_no(),
            "pages": _PAGES_ALIAS,
        }
        self.cell(half, _LINE, page, align="R")
        self.set_text_color(*_TEXT)

    def _small(self, color: tuple[int, int, int]) -> None:
        self.set_font(FONT_FAMILY, "", 7.5)
        self.set_text_color(*color)


def _draw_heading(pdf: _InvoicePDF, document: InvoiceDocument) -> None:
    """Draw the seller on the left and the title with the number on the right."""
    top = pdf.y
    left_width = _RIGHT_COLUMN_X - _MARGIN - 6
    _draw_party(pdf, document.seller, x=_MARGIN, width=left_width, name_size=12)
    left_bottom = pdf.y

    right_width = pdf.w - pdf.r_margin - _RIGHT_COLUMN_X
    pdf.set_xy(_RIGHT_COLUMN_X, top)
    pdf.set_font(FONT_FAMILY, "B", 22)
    pdf.set_text_color(*_ACCENT)
    pdf.multi_cell(right_width, 10, _("Invoice"), align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 11)
    pdf.set_text_color(*_TEXT)
    pdf.multi_cell(right_width, 6, document.number, align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_xy(pdf.l_margin, max(left_bottom, pdf.y) + 10)


def _draw_parties_and_dates(pdf: _InvoicePDF, document: InvoiceDocument) -> None:
    """Draw the buyer on the left and the dates and status on the right."""
    top = pdf.y
    left_width = _RIGHT_COLUMN_X - _MARGIN - 6
    pdf.set_font(FONT_FAMILY, "", 7.5)
    pdf.set_text_color(*_MUTED)
    pdf.cell(left_width, _LINE, _("Bill to").upper(), new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(*_TEXT)
    _draw_party(pdf, document.buyer, x=_MARGIN, width=left_width, name_size=10)
    left_bottom = pdf.y

    language = document.language
    start = _format_date(document.period_start, language)
    end = _format_date(document.period_end, language)
    period = f"{start} \N{EN DASH} {end}"
    rows = (
        (_("Invoice number"), document.number),
        (_("Invoice date"), _format_date(document.issue_date, language)),
        (_("Due date"), _format_date(document.due_date, language)),
        (_("Service period"), period),
        (_("Status"), document.status_label),
    )
    label_width = 33
    value_width = pdf.w - pdf.r_margin - _RIGHT_COLUMN_X - label_width
    pdf.set_y(top)
    for label, value in rows:
        y = pdf.y
        pdf.set_xy(_RIGHT_COLUMN_X, y)
        pdf.set_font(FONT_FAMILY, "", _BODY_SIZE)
        pdf.set_text_color(*_MUTED)
        pdf.multi_cell(label_width, _LINE, label, new_x="RIGHT", new_y="NEXT")
        label_bottom = pdf.y
        pdf.set_xy(_RIGHT_COLUMN_X + label_width, y)
        pdf.set_text_color(*_TEXT)
        # Left-aligned: a long date range wraps without stretched spaces.
        pdf.multi_cell(value_width, _LINE, _clip(value), align="L", new_x="LEFT", new_y="NEXT")
        pdf.set_y(max(label_bottom, pdf.y))
    pdf.set_xy(pdf.l_margin, max(left_bottom, pdf.y) + 10)


def _draw_party(pdf: _InvoicePDF, party: Party, *, x: float, width: float, name_size: int) -> None:
    """Draw a name in bold, then the address lines and the VAT number, from ``pdf.y``."""
    pdf.set_x(x)
    pdf.set_font(FONT_FAMILY, "B", name_size)
    pdf.multi_cell(width, name_size * 0.5, party.name, new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", _BODY_SIZE)
    for line in party.address_lines:
        pdf.multi_cell(width, _LINE, line, new_x="LEFT", new_y="NEXT")
    if party.vat_number:
        text = _("VAT number: %(vat_number)s") % {"vat_number": party.vat_number}
        pdf.multi_cell(width, _LINE, text, new_x="LEFT", new_y="NEXT")


def _draw_lines(pdf: _InvoicePDF, document: InvoiceDocument) -> None:
    """Draw the lines table; fpdf2 repeats its heading row on every page it spans."""
    pdf.set_font(FONT_FAMILY, "", _BODY_SIZE)
    pdf.set_text_color(*_TEXT)
    headings = FontFace(emphasis="BOLD", color=_TEXT, fill_color=_HEADING_FILL)
    with pdf.table(
        # Wide enough for the quantity heading in every language ("Aantal").
        col_widths=(38, 22, 10, 15, 15),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        v_align="TOP",
        borders_layout="HORIZONTAL_LINES",
        headings_style=headings,
        line_height=_LINE,
        padding=(1.6, 2.0),
    ) as table:
        # Translators: column headings of the invoice lines; "Qty" is short for quantity.
        table.row((_("Description"), _("Type"), _("Qty"), _("Unit price"), _("Amount")))
        for line in document.lines:
            table.row(
                (
                    _clip(line.description),
                    _clip(line.kind_label),
                    l10n.format_number(line.quantity, language=document.language),
                    format_amount(line.unit_price, document.currency, document.language),
                    format_amount(line.amount, document.currency, document.language),
                )
            )


def _draw_totals(pdf: _InvoicePDF, document: InvoiceDocument) -> None:
    """Draw subtotal, VAT and total on the right, then the reverse-charge note."""
    language, currency = document.language, document.currency
    if document.reverse_charge:
        vat_label = _("VAT reverse charged")
    else:
        vat_label = _("VAT (%(rate)s)") % {"rate": _format_percent(document.vat_rate, language)}
    rows = (
        (_("Subtotal"), format_amount(document.subtotal, currency, language)),
        (vat_label, format_amount(document.vat_amount, currency, language)),
    )
    total = (_("Total"), format_amount(document.total, currency, language))
    note = _("Reverse charge: VAT to be accounted for by the recipient")

    # Keep the totals (and the note) together rather than split over a page break.
    needed = 6 + _LINE * (len(rows) + 1) + 4 + (3 * _LINE if document.reverse_charge else 0)
    if pdf.will_page_break(needed):
        pdf.add_page()
    pdf.ln(6)

    width = pdf.w - pdf.r_margin - _RIGHT_COLUMN_X
    label_width = width * 0.55
    pdf.set_font(FONT_FAMILY, "", _BODY_SIZE)
    for label, value in rows:
        pdf.set_x(_RIGHT_COLUMN_X)
        pdf.cell(label_width, _LINE + 0.8, label)
        pdf.cell(width - label_width, _LINE + 0.8, value, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.line(_RIGHT_COLUMN_X, pdf.y + 0.8, pdf.w - pdf.r_margin, pdf.y + 0.8)
    pdf.ln(1.6)
    pdf.set_font(FONT_FAMILY, "B", 11)
    pdf.set_x(_RIGHT_COLUMN_X)
    pdf.cell(label_width, 7, total[0])
    pdf.cell(width - label_width, 7, total[1], align="R", new_x="LMARGIN", new_y="NEXT")

    if document.reverse_charge:
        pdf.ln(6)
        pdf.set_font(FONT_FAMILY, "", _BODY_SIZE)
        pdf.multi_cell(0, _LINE, note, new_x="LMARGIN", new_y="NEXT")


def _draw_bank_transfer(pdf: _InvoicePDF, document: InvoiceDocument, account: BankAccount) -> None:
    """Draw how to pay by bank transfer: the amount, the account and the reference."""
    language = document.language
    heading = _("Pay by bank transfer")
    text = _(
        "Transfer %(total)s by %(due)s, quoting the invoice number as the payment reference."
    ) % {
        "total": format_amount(document.total, document.currency, language),
        "due": _format_date(document.due_date, language),
    }
    rows = (
        (_("Account holder"), account.holder),
        (_("IBAN"), account.iban_display),
        (_("BIC"), account.bic),
        (_("Payment reference"), document.number),
    )
    # Keep the block on one page: it is no use with the IBAN on one and the reference on the next.
    needed = 10 + 7 + _LINE * (len(rows) + 3)
    if pdf.will_page_break(needed):
        pdf.add_page()
    pdf.ln(10)
    pdf.set_font(FONT_FAMILY, "B", 10)
    pdf.cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", _BODY_SIZE)
    pdf.multi_cell(0, _LINE, _clip(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.6)
    label_width = 40
    for label, value in rows:
        pdf.set_text_color(*_MUTED)
        pdf.cell(label_width, _LINE + 0.8, label)
        pdf.set_text_color(*_TEXT)
        # Left-aligned: a long holder name wraps without stretched spaces.
        pdf.multi_cell(0, _LINE + 0.8, _clip(value), align="L", new_x="LMARGIN", new_y="NEXT")
