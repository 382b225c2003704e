"""journal/pdf.py: what people write reaches the PDF's text intact, whatever its characters."""

import io

from pypdf import PdfReader

from journal.pdf import Document
from journal.text import plain_blocks, render_markdown


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


def test_markdown_reaches_a_pdf_as_plain_text_through_journal_text():
    source = (
        "# Plan\n\nI asked *open* questions: [notes](https://example.org/n), https://example.org/"
        "\n\n- one\n- two\n  1. first\n  2. second\n\n3. three\n\n   more of three\n4. four\n\n"
        "After.\n\n    code  kept\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "<script>alert(1)</script> [bad](javascript:alert(1)) tab\there, bell\x07."
    )
    assert plain_blocks(str(render_markdown(source))) == [
        "Plan",
        "I asked open questions: notes (https://example.org/n), https://example.org/",
        "• one",
        "• two",
        "  1. first",
        "  2. second",
        "3. three",
        "  more of three",
        "4. four",
        "After.",
        "code  kept",
        "a | b",
        "1 | 2",
        # Raw HTML and javascript: links stay text; bleach shows a control character as "?".
        "<script>alert(1)</script> [bad](javascript:alert(1)) tab here, bell?.",
    ]


def test_a_documents_markdown_keeps_what_people_wrote():
    document = Document("Notes")
    document.markdown("**Zoë’s** plan:\n\n- ask “why?”\n- then listen – really")
    text = PdfReader(io.BytesIO(document.to_bytes())).pages[0].extract_text()
    assert "Zoë’s plan:\n• ask “why?”\n• then listen – really" in text


def test_a_face_is_read_and_embedded_only_when_used():
    document = Document("Plain")
    document.paragraph("Regular only")
    assert sorted(document.fonts) == ["dejavu"]
    document.paragraph("Now bold", "B")
    assert sorted(document.fonts) == ["dejavu", "dejavuB"]
    text = PdfReader(io.BytesIO(document.to_bytes())).pages[0].extract_text()
    assert "Regular only" in text and "Now bold" in text
