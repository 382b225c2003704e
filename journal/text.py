"""The one place that turns people's Markdown into HTML, and makes it safe; and what any text
must be before it is stored.

markdown-it renders with raw HTML switched off (so `<script>` arrives as text), then bleach
re-parses the result and keeps only an allow-list of tags, attributes and link protocols. Either
wall alone would stop the usual payloads; both together also stop the parser-disagreement tricks.
"""

import re
from functools import lru_cache, partial
from html import unescape as html_unescape

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
    return Markup(html)  # noqa: S704 - bleach's allow-list has just cleaned it


def _render(source: str) -> str:
    return _cleaner.clean(_markdown.render(source))


_cached = lru_cache(maxsize=CACHED_TEXTS)(_render)


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
    """The opening of `markdown` as plain text (no Markdown syntax, no tags, entities decoded,
    one line), cut at a word to at most `limit` characters with "…": a card's title. Rendered by
    the same renderer as the page, so what is left is what the reader sees."""
    html = render_markdown(markdown or "")
    plain = html_unescape(bleach.clean(str(html), tags=set(), strip=True))
    text = " ".join(plain.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.—-") + "…"
