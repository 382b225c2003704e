"""The one place that turns people's Markdown into HTML, and makes it safe.

markdown-it renders with raw HTML switched off (so `<script>` arrives as text), then bleach
re-parses the result and keeps only an allow-list of tags, attributes and link protocols. Either
wall alone would stop the usual payloads; both together also stop the parser-disagreement tricks.
"""

from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "a",
     "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
     "table", "thead", "tbody", "tr", "th", "td"}
)
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel", "target"], "ol": ["start"], "th": ["align"], "td": ["align"]
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

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
    # Bare URLs become links inside the same pass, so the allow-list sees them too.
    filters=[partial(LinkifyFilter, callbacks=[_link_attributes], skip_tags={"pre", "code"},
                     parse_email=False)],
)


def render_markdown(source: str) -> Markup:
    """Markdown to HTML that is safe to put in any page, with or without a CSP."""
    return Markup(_cleaner.clean(_markdown.render(source or "")))  # noqa: S704 - bleach's allow-list has just cleaned it
