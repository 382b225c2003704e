"""PDF documents with a font that covers what people write (accents, curly quotes, dashes).

fpdf2's built-in fonts are Latin-1 only: "Zoë’s – plan" would fail or turn into question marks,
so every document embeds DejaVu Sans (journal/data/fonts), subset to the glyphs it uses.

People's Markdown reaches a PDF as it reaches a page, through journal/text.py (rendered, then
cleaned by its allow-list), and is then laid out as plain paragraphs: lists as bullets, links
with their address, tables a row to a line.
"""

import re
import unicodedata
from html.parser import HTMLParser
from importlib.resources import files

from fpdf import FPDF

from .text import render_markdown

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
        for block in plain_blocks(str(render_markdown(source))):
            self.paragraph(block)

    def to_bytes(self) -> bytes:
        return bytes(self.output())


_BLOCKS = frozenset({"p", "pre", "blockquote", "tr", "hr", "h1", "h2", "h3", "h4", "h5", "h6"})
_SPACES = re.compile(r"\s+")


def _printable(text: str) -> str:
    """Text without control characters (a tab becomes spaces): they have no glyph to draw."""
    text = text.replace("\t", "    ")
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")


class _PlainText(HTMLParser):
    """The cleaned HTML of journal/text.py as blocks of plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._line: list[str] = []
        self._lists: list[list] = []  # ["ul" or "ol", the next number]
        self._marker = ""  # a list item's bullet or number, until its first text
        self._link: tuple[str, int] | None = None  # its href, where its text begins
        self._pre = 0

    def _flush(self) -> None:
        text = "".join(self._line)
        self._line = []
        lines = text.split("\n")
        text = "\n".join(line.rstrip() if self._pre else line.strip() for line in lines)
        text = text.strip("\n")
        if not text.strip():
            return
        indent = "  " * max(len(self._lists) - 1, 0)
        if self._marker:
            text, self._marker = f"{indent}{self._marker} {text}", ""
        elif self._lists:
            text = f"{indent}  {text}"  # a list item's second paragraph
        self.blocks.append(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCKS or tag in ("li", "ul", "ol"):
            self._flush()
        attributes = dict(attrs)
        if tag == "pre":
            self._pre += 1
        elif tag in ("ul", "ol"):
            start = attributes.get("start") or "1"
            self._lists.append([tag, int(start) if start.isdigit() else 1])
        elif tag == "li" and self._lists:
            kind = self._lists[-1]
            self._marker = "•" if kind[0] == "ul" else f"{kind[1]}."
            kind[1] += 1
        elif tag == "br":
            self._line.append("\n")
        elif tag in ("td", "th") and "".join(self._line).strip():
            self._line = ["".join(self._line).rstrip(), " | "]
        elif tag == "a":
            self._link = (attributes.get("href") or "", len(self._line))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            href, begins = self._link
            text = "".join(self._line[begins:]).strip()
            if href and href not in (text, f"mailto:{text}"):
                self._line.append(f" ({href})")
            self._link = None
        elif tag in _BLOCKS or tag in ("li", "ul", "ol"):
            self._flush()
            if tag == "pre":
                self._pre -= 1
            elif tag in ("ul", "ol") and self._lists:
                self._lists.pop()

    def handle_data(self, data: str) -> None:
        data = _printable(data)
        self._line.append(data if self._pre else _SPACES.sub(" ", data))

    def close(self) -> None:
        super().close()
        self._flush()


def plain_blocks(html: str) -> list[str]:
    """The paragraphs, list items, headings and table rows of cleaned HTML, as plain text."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return parser.blocks
