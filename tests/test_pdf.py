"""journal/pdf.py: what people write reaches the PDF's text intact, whatever its characters."""

import io

from pypdf import PdfReader

from journal.pdf import Document


def test_accents_curly_quotes_and_dashes_survive():
    document = Document("Brief — Glasgow 3")
    document.heading("Zoë Ní Bhriain")
    document.paragraph("“I’ll ask – not tell” … naïve café, Łódź, Ærø")
    text = PdfReader(io.BytesIO(document.to_bytes())).pages[0].extract_text()
    assert "Zoë Ní Bhriain" in text
    assert "I’ll ask – not tell" in text
    assert "naïve café, Łódź, Ærø" in text
    assert "page 1 of 1" in text


def test_fonts_are_embedded_as_subsets():
    document = Document("Short")
    document.paragraph("Hello")
    # A subset keeps the file small: the three vendored faces weigh 2 MB in full.
    assert len(document.to_bytes()) < 40_000
