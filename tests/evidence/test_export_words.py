"""What an export says in words (issue 22, items 7 and 15): the portfolio PDF lays out people's
Markdown as it reads on the page, never its syntax; the export page says how big the file is in
plain words; the file is named after the candidate, in ASCII."""

import hashlib
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from journal.extensions import db
from journal.models import Decision, PortfolioExport
from journal.templating import file_size

from .portfolio_common import World, build_world, decide, enrol, offer
from .test_exports import flat, made, pdf_text

EXPERIENCE = "About a **team that avoids giving me feedback**, _twice_."
INSIGHT = "What helped:\n\n- asking **one** question\n- [notes](https://example.org/notes)"
FEEDBACK = "Say *which* questions:\n\n1. the first\n2. the last"


@pytest.fixture
def world(app, make) -> World:
    return build_world(app, make)


def test_the_pdf_shows_markdown_as_words_never_its_syntax(app, make, visit, world):
    written = make.reflection(world.cara, experience=EXPERIENCE, insight=INSIGHT)
    claim = offer(app, written, world.enrolment, ["1.1"])
    decide(app, claim, "1.1", Decision.NOT_YET, FEEDBACK)

    _page, download = made(visit(world.cara), world.enrolment)
    text = pdf_text(download.data)

    assert "About a team that avoids giving me feedback, twice." in flat(text)
    assert "• asking one question" in text
    assert "• notes (https://example.org/notes)" in text
    assert "Say which questions:" in text
    assert "1. the first" in text and "2. the last" in text
    for syntax in ("**", "_twice_", "](", "*which*"):
        assert syntax not in text


# The export page and the file's name -----------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "words"),
    [
        (0, "0 bytes"),
        (999, "999 bytes"),
        (1_000, "1 KB"),
        (39_354, "39 KB"),
        (999_499, "999 KB"),
        (999_500, "1 MB"),
        (1_234_567, "1.2 MB"),
        (25_000_000, "25 MB"),
    ],
)
def test_a_files_size_in_plain_words(size, words):
    assert file_size(size) == words


def test_the_export_page_says_ready_and_how_big_in_plain_words(app, visit, world):
    page_address, download = made(visit(world.cara), world.enrolment)
    page = visit(world.cara).get(page_address).text
    status = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('role="status"')[1]))

    assert re.search(rf"Ready, {re.escape(file_size(len(download.data)))}\. ", status)
    assert "bytes" not in status and "SHA-256" not in page
    with app.app_context():
        export = db.session.scalars(select(PortfolioExport)).one()
        assert export.sha256 == hashlib.sha256(download.data).hexdigest()  # kept with the file


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Cara Candidate", "cara-candidate"),
        ("Zoë Ní Bhriain-Łódź", "zoe-ni-bhriain-lodz"),
        ("Ærø Straße Øst", "aero-strasse-ost"),
        ('Eve "x"\r\nSet-Cookie: a=b; filename=evil.exe', "eve-x-set-cookie-a-b-filename-evil-exe"),
        ("王芳", ""),
    ],
)
def test_an_export_is_named_after_its_candidate_in_ascii(app, make, visit, name, slug):
    candidate, assessor = make.user(name), make.user("Ada")
    enrolment = enrol(app, candidate, assessor)

    _page, download = made(visit(candidate), enrolment)

    today = datetime.now(ZoneInfo(app.config["TIMEZONE"])).date().isoformat()
    expected = f"portfolio-{slug}-{today}.pdf" if slug else f"portfolio-{today}.pdf"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{expected}"'
    assert download.headers["Content-Disposition"].isascii()
