"""The content of generated business documents: what a supplier's invoice, a credit note, a delivery note,
a purchase order, a quote or some other paper says, in French or English, with its true labels.

Seeded and pure: the same seed gives the same documents, so the labelled sets, the trained model and
the quality figures are reproducible offline. Rendering (text PDFs, scans) is `render.py`'s job.

Documents are varied on purpose (titles, wording, which blocks appear, their order, suppliers,
amounts, dates) and carry the cross-references real paper does (a delivery note names the order, a
credit note the invoice it corrects, a reminder the invoices it chases), so a classifier cannot
win by spotting one word.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

DOCUMENT_TYPES = ("invoice", "credit_note", "delivery_note", "purchase_order", "quote", "other")
LANGUAGES = ("fr", "en")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Party:
    name: str
    street: str
    city: str
    country: str
    siren: str
    vat_number: str
    iban: str


@dataclass(frozen=True)
class GeneratedDocument:
    """One document's text lines (top to bottom), its true type, language and, for invoices, fields."""

    doc_id: str
    label: str
    language: str
    lines: tuple[str, ...]
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


# -- identifiers with valid check digits -------------------------------------------------------------


def _luhn_complete(digits: str) -> str:
    for last in "0123456789":
        candidate = digits + last
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable: one check digit always completes a Luhn number")


def make_siren(rng: random.Random) -> str:
    return _luhn_complete(f"{rng.randrange(10**7, 10**8):08d}")


def french_vat_number(siren: str) -> str:
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def make_iban(rng: random.Random, country: str = "FR") -> str:
    bank = f"{rng.randrange(10**9, 10**10):010d}"  # bank + branch codes
    account = f"{rng.randrange(10**10, 10**11):011d}{rng.randrange(10, 100):02d}"
    bban = bank + account
    numeric = "".join(str(int(c, 36)) for c in bban + country) + "00"
    check = 98 - int(numeric) % 97
    return f"{country}{check:02d}{bban}"


def format_iban(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


# -- vocabulary ----------------------------------------------------------------------------------------

_COMPANY_STEMS = (
    "Atelier Durand",
    "Nordic Supplies",
    "Papeterie Lemoine",
    "Brightline Packaging",
    "Transports Vidal",
    "Oakridge Components",
    "Fromagerie des Alpes",
    "Meridian Office",
    "Ets Marchand",
    "Harbor Logistics",
    "Cartonnages Girard",
    "Bluepeak Electronics",
    "Maison Perrin",
    "Westfield Tools",
    "Imprimerie Roux",
    "Greenleaf Textiles",
)
_COMPANY_FORMS = {"fr": ("SARL", "SAS", "SA", "EURL"), "en": ("Ltd", "LLC", "Inc.", "GmbH")}
_STREETS = {
    "fr": (
        "rue de la République",
        "avenue Jean Jaurès",
        "boulevard Voltaire",
        "chemin des Vignes",
        "quai Claude Bernard",
    ),
    "en": ("High Street", "Mill Road", "Station Avenue", "King's Way", "Harbour Lane"),
}
_CITIES = {
    "fr": ("69002 Lyon", "75011 Paris", "33000 Bordeaux", "59000 Lille", "44000 Nantes", "31000 Toulouse"),
    "en": ("Dublin D02 X285", "London EC1A 1BB", "Manchester M1 1AE", "Cork T12 RX2", "Leeds LS1 4DY"),
}
_PRODUCTS = {
    "fr": (
        "Carton double cannelure 40x30x30",
        "Ruban adhésif brun 48 mm",
        "Étiquettes thermiques 100x150",
        "Film étirable 23 microns",
        "Palette Europe 1200x800",
        "Enveloppes matelassées C4",
        "Câble USB-C 2 m",
        "Chargeur secteur 65 W",
        "Ramette papier A4 80 g",
        "Casque audio filaire",
        "Souris sans fil",
        "Clavier AZERTY",
    ),
    "en": (
        "Double wall carton 40x30x30",
        "Brown packing tape 48 mm",
        "Thermal labels 100x150",
        "Stretch film 23 micron",
        "Euro pallet 1200x800",
        "Padded envelopes C4",
        "USB-C cable 2 m",
        "Wall charger 65 W",
        "A4 copy paper 80 gsm ream",
        "Wired headset",
        "Wireless mouse",
        "QWERTY keyboard",
    ),
}
_BUYERS = ("StockOSS SAS", "StockOSS Retail", "StockOSS Logistique")
_VAT_RATES = (Decimal("20"), Decimal("20"), Decimal("10"), Decimal("5.5"))


def _money(value: Decimal, language: str, currency: str) -> str:
    # Babel groups French thousands with a narrow no-break space; printed paper shows a plain one.
    text = format_decimal(value, format="#,##0.00", locale="fr_FR" if language == "fr" else "en_GB")
    text = text.replace("\u202f", " ").replace("\xa0", " ")
    if currency != "EUR":
        return f"{text} {currency}"
    return f"{text} €" if language == "fr" else f"€{text}"


def _date(value: date, language: str, rng: random.Random) -> str:
    style = rng.choice(("numeric", "long", "iso"))
    if style == "iso":
        return value.isoformat()
    if style == "numeric":
        return value.strftime("%d/%m/%Y")
    return format_date(value, format="d MMMM y", locale=language)


class _Writer:
    """Builds one document's lines with the shared pieces (parties, items, totals) in either language."""

    def __init__(self, rng: random.Random, language: str):
        self.rng = rng
        self.lang = language
        self.lines: list[str] = []

    def t(self, fr: str, en: str) -> str:
        return fr if self.lang == "fr" else en

    def pick(self, fr: tuple[str, ...], en: tuple[str, ...]) -> str:
        return self.rng.choice(fr if self.lang == "fr" else en)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def blank(self) -> None:
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def party_block(self, party: Party, with_ids: bool = True) -> None:
        self.add(party.name, party.street, f"{party.city} {party.country}".strip())
        if with_ids:
            if self.lang == "fr" or self.rng.random() < 0.5:
                self.add(
                    f"SIREN {party.siren} - {self.t('TVA intracommunautaire', 'VAT No')} {party.vat_number}"
                )
            else:
                self.add(f"{self.t('N° TVA', 'VAT number')}: {party.vat_number}")

    def buyer_block(self) -> None:
        self.add(
            self.pick(("Client :", "Facturé à :", "Destinataire :"), ("Bill to:", "Customer:", "Client:"))
        )
        self.add(self.rng.choice(_BUYERS), self.pick(_STREETS["fr"], _STREETS["fr"]), "69007 Lyon FR")

    def items(self, priced: bool, count: int) -> list[tuple[str, int, Decimal, Decimal]]:
        chosen = self.rng.sample(_PRODUCTS[self.lang], count)
        rows = []
        for name in chosen:
            quantity = self.rng.randint(1, 40)
            unit = (Decimal(self.rng.randint(150, 25000)) / 100).quantize(CENT)
            rows.append((name, quantity, unit, (unit * quantity).quantize(CENT)))
        if priced:
            self.add(
                self.t(
                    "Désignation   Qté   Prix unitaire HT   Montant HT",
                    "Description   Qty   Unit price   Amount",
                )
            )
            for name, quantity, unit, amount in rows:
                self.add(
                    f"{name}   {quantity}   {_money(unit, self.lang, 'EUR')}   {_money(amount, self.lang, 'EUR')}"
                )
        else:
            self.add(self.t("Référence   Désignation   Quantité livrée", "Item   Description   Quantity"))
            for index, (name, quantity, _, _) in enumerate(rows, start=1):
                self.add(f"ART-{self.rng.randint(1000, 9999)}-{index}   {name}   {quantity}")
        return rows

    def totals(self, net: Decimal, rate: Decimal, sign: int = 1) -> tuple[Decimal, Decimal, Decimal]:
        vat = (net * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        gross = net + vat
        net_s, vat_s, gross_s = (sign * v for v in (net, vat, gross))
        rate_s = format_decimal(rate, locale="fr_FR" if self.lang == "fr" else "en_GB")
        self.add(
            f"{self.pick(('Total HT', 'Montant HT', 'Total hors taxes'), ('Subtotal', 'Net total', 'Total excl. VAT'))}: "
            f"{_money(net_s, self.lang, 'EUR')}",
            f"{self.t('TVA', 'VAT')} {rate_s} %: {_money(vat_s, self.lang, 'EUR')}",
            f"{self.pick(('Total TTC', 'Net à payer', 'Montant TTC'), ('Total due', 'Total incl. VAT', 'Amount due'))}: "
            f"{_money(gross_s, self.lang, 'EUR')}",
        )
        return net_s, vat_s, gross_s


def _party(rng: random.Random, language: str) -> Party:
    siren = make_siren(rng)
    name = f"{rng.choice(_COMPANY_STEMS)} {rng.choice(_COMPANY_FORMS[language])}"
    return Party(
        name=name,
        street=f"{rng.randint(1, 180)} {rng.choice(_STREETS[language])}",
        city=rng.choice(_CITIES[language]),
        country="" if language == "fr" else rng.choice(("", "IE", "UK")),
        siren=siren,
        vat_number=french_vat_number(siren),
        iban=make_iban(rng),
    )


def _invoice_like(w: _Writer, supplier: Party, credit: bool) -> dict[str, str]:
    rng = w.rng
    year = rng.choice((2025, 2026))
    issued = date(year, 1, 1) + timedelta(days=rng.randrange(0, 360))
    due = issued + timedelta(days=rng.choice((15, 30, 45, 60)))
    number = (
        f"{rng.choice(('AV', 'CN', 'A'))}-{year}-{rng.randint(1, 99999):05d}"
        if credit
        else f"{rng.choice(('F', 'FA', 'INV', 'FAC'))}-{year}-{rng.randint(1, 999999):06d}"
    )
    if credit:
        title = w.pick(
            ("AVOIR", "Avoir", "FACTURE D'AVOIR", "Note de crédit"),
            ("CREDIT NOTE", "Credit note", "Credit memo"),
        )
        number_label = w.pick(
            ("Avoir n°", "N° d'avoir", "Numéro d'avoir :"),
            ("Credit note no.", "Credit note #", "Credit memo number:"),
        )
    else:
        title = w.pick(("FACTURE", "Facture", "FACTURE N°"), ("INVOICE", "Invoice", "TAX INVOICE"))
        number_label = w.pick(
            ("Facture n°", "N° de facture", "Numéro de facture :"),
            ("Invoice no.", "Invoice #", "Invoice number:"),
        )
    blocks = ["supplier", "title"] if rng.random() < 0.6 else ["title", "supplier"]
    for block in blocks:
        if block == "supplier":
            w.party_block(supplier)
        else:
            w.add(title)
        w.blank()
    w.add(f"{number_label} {number}")
    w.add(
        f"{w.pick(('Date de facture', 'Date', 'Émise le'), ('Invoice date', 'Date', 'Issued on'))}: {_date(issued, w.lang, rng)}"
    )
    has_due_date = not credit or rng.random() < 0.5
    if has_due_date:
        w.add(
            w.pick(
                ("Échéance", "Date d'échéance", "À régler avant le"), ("Due date", "Payment due", "Due by")
            )
            + f": {_date(due, w.lang, rng)}"
        )
    if credit:
        w.add(
            w.t("Cet avoir annule et remplace partiellement la facture", "This credit note corrects invoice")
            + f" F-{year}-{rng.randint(1, 999999):06d}"
        )
        w.add(
            w.pick(
                (
                    "Motif : retour de marchandise",
                    "Motif : remise commerciale",
                    "Motif : erreur de facturation",
                ),
                ("Reason: returned goods", "Reason: commercial discount", "Reason: billing error"),
            )
        )
    if rng.random() < 0.5:
        w.add(f"{w.t('Votre commande', 'Your order')} PO-{rng.randint(10000, 99999)}")
    w.blank()
    w.buyer_block()
    w.blank()
    rows = w.items(priced=True, count=rng.randint(1, 5))
    net = sum((amount for *_, amount in rows), Decimal(0))
    w.blank()
    net_s, vat_s, gross_s = w.totals(
        net, rng.choice(_VAT_RATES), sign=-1 if credit and rng.random() < 0.5 else 1
    )
    w.blank()
    if credit:
        w.add(
            w.pick(
                (
                    "Montant à déduire de votre prochain règlement.",
                    "Remboursement par virement sous 30 jours.",
                ),
                ("To be deducted from your next payment.", "Refund by bank transfer within 30 days."),
            )
        )
    else:
        w.add(
            w.pick(
                ("Conditions de paiement : 30 jours fin de mois.", "Paiement par virement à réception."),
                ("Payment terms: 30 days net.", "Please pay by bank transfer."),
            )
        )
        w.add(
            w.t(
                "Pénalités de retard : 3 fois le taux d'intérêt légal. Indemnité forfaitaire de recouvrement : 40 €.",
                "Late payment interest at 8% above the reference rate; recovery fee EUR 40.",
            )
        )
    w.add(f"IBAN {format_iban(supplier.iban) if rng.random() < 0.7 else supplier.iban}")
    return {
        "supplier_name": supplier.name,
        "supplier_vat_number": supplier.vat_number,
        **({"supplier_siren": supplier.siren} if f"SIREN {supplier.siren}" in "\n".join(w.lines) else {}),
        "invoice_number": number,
        "issue_date": issued.isoformat(),
        **({"due_date": due.isoformat()} if has_due_date else {}),
        "currency": "EUR",
        "total_net": str(net_s),
        "total_vat": str(vat_s),
        "total_gross": str(gross_s),
        "iban": supplier.iban,
    }


def _delivery_note(w: _Writer, supplier: Party) -> None:
    rng = w.rng
    w.party_block(supplier, with_ids=rng.random() < 0.5)
    w.blank()
    w.add(
        w.pick(
            ("BON DE LIVRAISON", "Bon de livraison", "BORDEREAU DE LIVRAISON"),
            ("DELIVERY NOTE", "Delivery note", "PACKING SLIP"),
        )
    )
    w.add(f"{w.t('N° BL', 'Delivery no.')} BL-{rng.randint(10000, 999999)}")
    w.add(
        w.t("Date d'expédition", "Shipping date")
        + f": {_date(date(2026, 1, 1) + timedelta(days=rng.randrange(360)), w.lang, rng)}"
    )
    w.add(f"{w.t('Réf. commande', 'Order ref.')} PO-{rng.randint(10000, 99999)}")
    w.add(
        f"{w.t('Transporteur', 'Carrier')}: {rng.choice(('Geodis', 'DHL Freight', 'Chronopost', 'DPD', 'Kuehne+Nagel'))}"
    )
    w.blank()
    w.add(w.pick(("Livré à :", "Adresse de livraison :"), ("Deliver to:", "Ship to:")))
    w.add("StockOSS Entrepôt", "12 rue des Docks", "69007 Lyon")
    w.blank()
    w.items(priced=False, count=rng.randint(1, 6))
    w.blank()
    w.add(
        f"{w.t('Nombre de colis', 'Parcels')}: {rng.randint(1, 12)}   {w.t('Poids total', 'Total weight')}: {rng.randint(2, 400)} kg"
    )
    if rng.random() < 0.4:
        w.add(w.t("La facture suivra par courrier séparé.", "The invoice will follow separately."))
    w.add(
        w.pick(
            (
                "Réceptionné par : ______  Signature : ______",
                "Marchandise reçue en bon état. Signature du client",
            ),
            (
                "Received by: ______  Signature: ______",
                "Goods received in good condition. Customer signature",
            ),
        )
    )


def _purchase_order(w: _Writer, supplier: Party) -> None:
    rng = w.rng
    w.add("StockOSS SAS", "12 rue des Docks", "69007 Lyon")
    w.blank()
    w.add(
        w.pick(
            ("BON DE COMMANDE", "Bon de commande", "COMMANDE FOURNISSEUR"),
            ("PURCHASE ORDER", "Purchase order", "PO"),
        )
    )
    w.add(f"{w.t('Commande n°', 'PO number')} PO-{rng.randint(10000, 99999)}")
    when = date(2026, 1, 1) + timedelta(days=rng.randrange(340))
    w.add(f"{w.t('Date de commande', 'Order date')}: {_date(when, w.lang, rng)}")
    w.add(
        f"{w.t('Livraison souhaitée le', 'Requested delivery date')}: {_date(when + timedelta(days=rng.randint(3, 30)), w.lang, rng)}"
    )
    w.blank()
    w.add(w.t("Fournisseur :", "Supplier:"))
    w.party_block(supplier, with_ids=False)
    w.blank()
    rows = w.items(priced=True, count=rng.randint(1, 5))
    net = sum((amount for *_, amount in rows), Decimal(0))
    w.add(f"{w.t('Total commande HT', 'Order total (excl. VAT)')}: {_money(net, w.lang, 'EUR')}")
    w.blank()
    w.add(
        w.pick(
            (
                "Merci de rappeler le numéro de commande sur vos factures et bons de livraison.",
                "Les factures sont à adresser au service comptabilité.",
            ),
            (
                "Please quote the PO number on all invoices and delivery notes.",
                "Send invoices to accounts payable.",
            ),
        )
    )
    w.add(w.t("Acheteur : Service achats StockOSS", "Buyer: StockOSS purchasing"))


def _quote(w: _Writer, supplier: Party) -> None:
    rng = w.rng
    w.party_block(supplier)
    w.blank()
    w.add(w.pick(("DEVIS", "Devis", "PROPOSITION COMMERCIALE"), ("QUOTATION", "Quote", "PRICE QUOTATION")))
    w.add(f"{w.t('Devis n°', 'Quote no.')} D-{rng.randint(1000, 99999)}")
    when = date(2026, 1, 1) + timedelta(days=rng.randrange(340))
    w.add(f"{w.t('Date', 'Date')}: {_date(when, w.lang, rng)}")
    w.add(w.t("Valable jusqu'au", "Valid until") + f": {_date(when + timedelta(days=30), w.lang, rng)}")
    w.blank()
    w.buyer_block()
    w.blank()
    rows = w.items(priced=True, count=rng.randint(1, 5))
    net = sum((amount for *_, amount in rows), Decimal(0))
    w.blank()
    w.totals(net, rng.choice(_VAT_RATES))
    w.blank()
    w.add(
        w.pick(
            (
                "Offre valable 30 jours. Bon pour accord, date et signature :",
                "Une facture sera émise à l'acceptation du devis.",
            ),
            (
                "This offer is valid for 30 days. Accepted by, date and signature:",
                "An invoice will be issued upon acceptance of this quote.",
            ),
        )
    )


def _other(w: _Writer, supplier: Party) -> None:
    rng = w.rng
    kind = rng.choice(("letter", "terms", "minutes", "datasheet", "reminder"))
    if kind == "letter":
        w.party_block(supplier, with_ids=False)
        w.blank()
        w.add(
            f"{w.t('Lyon, le', 'London,')} {_date(date(2026, 1, 1) + timedelta(days=rng.randrange(340)), w.lang, rng)}"
        )
        w.add(w.t("Objet : changement d'adresse de notre entrepôt", "Subject: new warehouse address"))
        w.blank()
        w.add(w.t("Madame, Monsieur,", "Dear customer,"))
        w.add(
            w.t(
                "Nous vous informons que notre entrepôt déménage le mois prochain.",
                "We are pleased to inform you that our warehouse moves next month.",
            )
        )
        w.add(
            w.t(
                "Les horaires d'ouverture restent inchangés, du lundi au vendredi.",
                "Opening hours remain the same, Monday to Friday.",
            )
        )
        w.add(w.t("Veuillez agréer nos salutations distinguées.", "Yours faithfully,"))
        w.add(
            f"{rng.choice(('Claire', 'Paul', 'Sophie', 'James', 'Emma'))} {rng.choice(('Martin', 'Bernard', 'Smith', 'Walsh'))}"
        )
    elif kind == "terms":
        w.add(w.t("CONDITIONS GÉNÉRALES DE VENTE", "GENERAL TERMS AND CONDITIONS OF SALE"))
        w.add(supplier.name)
        for number in range(1, rng.randint(4, 7)):
            w.add(
                f"{w.t('Article', 'Clause')} {number}. "
                + w.pick(
                    (
                        "Les prix s'entendent hors taxes, départ entrepôt.",
                        "Toute réclamation doit être formulée sous huit jours.",
                        "Le transfert de propriété intervient au paiement complet.",
                        "Les factures sont payables à trente jours.",
                    ),
                    (
                        "Prices are exclusive of VAT, ex works.",
                        "Claims must be made within eight days of delivery.",
                        "Title passes on payment in full.",
                        "Invoices are payable within thirty days.",
                    ),
                )
            )
    elif kind == "minutes":
        w.add(w.t("Compte rendu de réunion", "Meeting minutes"))
        w.add(
            f"{w.t('Participants', 'Attendees')}: {w.t('achats, logistique, comptabilité', 'purchasing, logistics, accounts')}"
        )
        w.add(
            w.t(
                "1. Point sur les stocks et les ruptures du mois.",
                "1. Stock levels and shortages this month.",
            )
        )
        w.add(
            w.t(
                "2. Choix d'un nouveau transporteur pour la région sud.",
                "2. Choosing a new carrier for the south region.",
            )
        )
        w.add(
            w.t(
                "3. Relance des fournisseurs en retard de livraison.",
                "3. Chasing suppliers with late deliveries.",
            )
        )
        w.add(w.t("Prochaine réunion : mardi à 10 h.", "Next meeting: Tuesday at 10 am."))
    elif kind == "datasheet":
        product = rng.choice(_PRODUCTS[w.lang])
        w.add(w.t("FICHE TECHNIQUE", "PRODUCT DATA SHEET"), product, supplier.name)
        w.add(f"{w.t('Dimensions', 'Dimensions')}: {rng.randint(10, 120)} x {rng.randint(10, 80)} cm")
        w.add(
            f"{w.t('Poids', 'Weight')}: {rng.randint(1, 50)} kg   {w.t('Matière', 'Material')}: {w.pick(('carton recyclé', 'polyéthylène', 'aluminium'), ('recycled board', 'polyethylene', 'aluminium'))}"
        )
        w.add(
            w.t(
                "Conforme aux normes européennes. Stocker à l'abri de l'humidité.",
                "Complies with European standards. Store in a dry place.",
            )
        )
    else:  # a payment reminder: talks about invoices without being one
        w.party_block(supplier, with_ids=False)
        w.blank()
        w.add(w.t("Relance de paiement", "Payment reminder"))
        w.add(
            w.t(
                "Sauf erreur de notre part, les factures suivantes restent impayées :",
                "According to our records, the following invoices remain unpaid:",
            )
        )
        for _ in range(rng.randint(1, 3)):
            w.add(
                f"F-2026-{rng.randint(1, 999999):06d}   {_money(Decimal(rng.randint(1000, 90000)) / 100, w.lang, 'EUR')}"
            )
        w.add(
            w.t(
                "Merci de procéder au règlement sous huit jours.", "Please arrange payment within eight days."
            )
        )


def generate(count: int, seed: int, labels: tuple[str, ...] = DOCUMENT_TYPES) -> list[GeneratedDocument]:
    """`count` documents, labels and languages in turn (balanced), content drawn from `seed`."""
    rng = random.Random(seed)
    documents = []
    for index in range(count):
        label = labels[index % len(labels)]
        language = LANGUAGES[(index // len(labels)) % len(LANGUAGES)]
        writer = _Writer(random.Random(rng.getrandbits(64)), language)
        supplier = _party(writer.rng, language)
        fields: dict[str, str] = {}
        if label in ("invoice", "credit_note"):
            fields = _invoice_like(writer, supplier, credit=label == "credit_note")
        elif label == "delivery_note":
            _delivery_note(writer, supplier)
        elif label == "purchase_order":
            _purchase_order(writer, supplier)
        elif label == "quote":
            _quote(writer, supplier)
        else:
            _other(writer, supplier)
        documents.append(
            GeneratedDocument(f"{seed}-{index:05d}", label, language, tuple(writer.lines), fields)
        )
    return documents
