"""The billing team's invoice service: legal French/EU invoices and credit notes, PDF/A-3 with Factur-X."""
