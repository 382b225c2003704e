"""The one place that turns people's Markdown into HTML, and makes it safe, or into plain text
(cards' excerpts, PDFs); and what any text must be before it is stored.

markdown-it renders with raw HTML switched off (so `<script>` arrives as text), then bleach
re-parses the result and keeps only an allow-list of tags, attributes and link protocols. Either
wall alone would stop the usual payloads; both together also stop the parser-disagreement tricks.
"""

import re
import unicodedata
from functools import lru_cache, partial
from html import unescape as html_unescape
from html.parser import HTMLParser

import bleach
from bleach.linkifier import LinkifyFilter, build_url_re
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "a",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel", "target"],
    "ol": ["start"],
    "th": ["align"],
    "td": ["align"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# Linkify runs after the sanitiser, so the protocol allow-list does not see the links it makes:
# it must only recognise allowed schemes itself (its default also links ftp:, data:, xmpp: ...),
# and must not link the host part of `ftp://host` as if it were http://host.
_BLEACH_URL = build_url_re(protocols=["http", "https"])
_LINKIFY_URL = re.compile(
    _BLEACH_URL.pattern.replace("(?<![@.])", "(?<![@./:])"), _BLEACH_URL.flags
)

# commonmark preset with html off; linkify off too (it would need another dependency).
_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _link_attributes(attrs: dict, new: bool = False) -> dict:
    # Links open outside the app and leak neither the page address nor a window handle.
    attrs[(None, "rel")] = "nofollow noopener noreferrer"
    if attrs.get((None, "href"), "").startswith(("http:", "https:")):
        attrs[(None, "target")] = "_blank"
    else:
        attrs.pop((None, "target"), None)
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    # Bare http(s) URLs become links, in the same pass, after the sanitiser.
    filters=[
        partial(
            LinkifyFilter,
            callbacks=[_link_attributes],
            skip_tags={"pre", "code"},
            parse_email=False,
            url_re=_LINKIFY_URL,
        )
    ],
)


# Rendering and cleaning take about a millisecond a text, more than the rest of a page; the same
# text always gives the same HTML, and pages show the same texts again and again (a facilitator
# before a meeting, an action list), so each worker keeps the latest few thousand. Only texts of
# usual length: at most CACHED_TEXTS * CACHED_LENGTH characters, about 20 MB with the HTML.
CACHED_TEXTS = 2048
CACHED_LENGTH = 4000


def render_markdown(source: str) -> Markup:
    """Markdown to HTML that is safe to put in any page, with or without a CSP."""
    source = source or ""
    html = _cached(source) if len(source) <= CACHED_LENGTH else _render(source)
    return Markup(html)  # nosec B704 # noqa: S704 - bleach's allow-list has just cleaned it


def _render(source: str) -> str:
    return _cleaner.clean(_markdown.render(source))


_cached = lru_cache(maxsize=CACHED_TEXTS)(_render)


# Plain text: Markdown's words without its syntax -------------------------------------------
# For what cannot show HTML (a PDF) or should not (a card's excerpt): the same rendering and
# cleaning as a page, then the cleaned HTML read back as blocks of text, so a card or a PDF
# never shows "**" and never holds anything the allow-list removed.


def markdown_blocks(source: str) -> list[str]:
    """People's Markdown as plain paragraphs, list items, headings and table rows."""
    return plain_blocks(str(render_markdown(source)))


def plain_text(markdown: str) -> str:
    """People's Markdown as plain text, its blocks a blank line apart (a str: pages escape it)."""
    markdown = markdown or ""
    if len(markdown) > CACHED_LENGTH:
        return _plain(markdown)
    return _plain_cached(markdown)


def _plain(markdown: str) -> str:
    return "\n\n".join(markdown_blocks(markdown))


_plain_cached = lru_cache(maxsize=CACHED_TEXTS)(_plain)


def unstorable(text: str) -> str | None:
    """Why no database can store `text`, or None. Checked on every entry: forms and the API.

    PostgreSQL refuses NUL in text (a 500, not a message, if it gets that far), and JSON may carry
    a lone surrogate ("\\ud800") that no database can store as UTF-8.
    """
    if "\x00" in text:
        return "This text contains a null character; remove it."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "This text contains an invalid character; remove it."
    return None


def first_words(markdown: str, limit: int) -> str:
    """The opening of `markdown` as plain text (no Markdown syntax, no tags, no link addresses
    nor list bullets as plain_text keeps them, entities decoded, one line), cut at a word to at
    most `limit` characters with "…": a card's title, in the words the reader sees."""
    html = render_markdown(markdown or "")
    plain = html_unescape(bleach.clean(str(html), tags=set(), strip=True))
    text = " ".join(plain.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.—-") + "…"


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
