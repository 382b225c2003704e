"""PDF documents with a font that covers what people write (accents, curly quotes, dashes).

fpdf2's built-in fonts are Latin-1 only: "Zoë’s – plan" would fail or turn into question marks,
so every document embeds DejaVu Sans (journal/data/fonts), subset to the glyphs it uses.
"""

from importlib.resources import files

from fpdf import FPDF

FONT = "DejaVu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}


class Document(FPDF):
    """An A4 portrait document in DejaVu Sans, opened at its first page, with its title and page
    numbers in every page's footer."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        fonts = files("journal") / "data" / "fonts"
        for style, name in _FONT_FILES.items():
            self.add_font(FONT, style, str(fonts / name))
        self.set_title(title)
        self.set_creator("Set Journal")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)
        self.alias_nb_pages()
        self.document_title = title
        self.set_font(FONT, size=11)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(0, 6, f"{self.document_title} · page {self.page_no()} of {{nb}}", align="C")
        self.set_font(FONT, size=11)

    def heading(self, text: str, size: int = 14) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=11)
        self.ln(1)

    def paragraph(self, text: str, style: str = "") -> None:
        self.set_font(FONT, style, 11)
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=11)
        self.ln(1)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
