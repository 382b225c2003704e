"""PDF documents with a font that covers what people write (accents, curly quotes, dashes).

fpdf2's built-in fonts are Latin-1 only: "Zoë’s – plan" would fail or turn into question marks,
so every document embeds DejaVu Sans (journal/data/fonts), subset to the glyphs it uses.

People's Markdown reaches a PDF as it reaches a page, through journal/text.py (rendered, then
cleaned by its allow-list), and is then laid out as its plain paragraphs (`text.markdown_blocks`):
lists as bullets, links with their address, tables a row to a line.
"""

from importlib.resources import files

from fpdf import FPDF

from .text import markdown_blocks

FONT = "DejaVu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}


class Document(FPDF):
    """An A4 portrait document in DejaVu Sans, opened at its first page, with its title and page
    numbers in every page's footer."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_title(title)
        self.set_creator("Set Journal")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)
        self.alias_nb_pages()
        self.document_title = title
        self.set_font(FONT, size=11)
        self.add_page()

    def set_font(self, family: str | None = None, style: str = "", size: float = 0) -> None:
        """FPDF's, reading each face of DejaVu Sans only once a document first uses it: parsing
        one costs about a fifth of a second, and every face read is subset into the file."""
        if (family or self.font_family or "").lower() == FONT.lower() and isinstance(style, str):
            face = "".join(c for c in style.upper() if c in "BI")
            if f"{FONT.lower()}{face}" not in self.fonts and face in _FONT_FILES:
                self.add_font(
                    FONT, face, str(files("journal") / "data" / "fonts" / _FONT_FILES[face])
                )
        super().set_font(family, style, size)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(0, 6, f"{self.document_title} · page {self.page_no()} of {{nb}}", align="C")
        self.set_font(FONT, size=11)

    def heading(self, text: str, size: int = 14) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT", align="L")
        self.set_font(FONT, size=11)
        self.ln(1)

    def paragraph(self, text: str, style: str = "") -> None:
        # Ragged right, not fpdf2's justified default: people's text keeps its spacing (and a
        # PDF reader's text extraction its single spaces).
        self.set_font(FONT, style, 11)
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT", align="L")
        self.set_font(FONT, size=11)
        self.ln(1)

    def note(self, text: str) -> None:
        """A small grey line: when, where, who may read it."""
        self.set_font(FONT, "", 9)
        self.set_text_color(80, 80, 80)
        self.multi_cell(0, 4.5, text, new_x="LMARGIN", new_y="NEXT", align="L")
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, size=11)
        self.ln(0.5)

    def markdown(self, source: str) -> None:
        """People's Markdown, made safe by journal/text.py, as plain paragraphs."""
        for block in markdown_blocks(source):
            self.paragraph(block)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
