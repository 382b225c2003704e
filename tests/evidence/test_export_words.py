"""What an export says in words (issue 22, items 7 and 15): the portfolio PDF lays out people's
Markdown as it reads on the page, never its syntax; the export page says how big the file is in
plain words; the file is named after the candidate, in ASCII."""

import pytest

from journal.models import Decision

from .portfolio_common import World, build_world, decide, offer
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
