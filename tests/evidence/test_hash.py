"""The frozen copy and its SHA-256: one canonical serialisation, written out here byte for byte,
so the hash of the same content is the same on SQLite and PostgreSQL, after any number of reads,
and in any language that follows README.md's definition."""

import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from journal.evidence import claims
from journal.extensions import db
from journal.models import Criterion, Enrolment, EvidenceClaim, Reflection

from .conftest import offer, write

REFLECTION_ID = uuid.UUID("0b7e8f0c-8c5d-4c3a-9a53-3f1c2e9d7a10")
WRITTEN = datetime(2026, 3, 3, 21, 15, 42, 123456, tzinfo=UTC)
OFFERED = datetime(2026, 3, 10, 9, 0, 7, 999999, tzinfo=UTC)


def sample(**changes) -> SimpleNamespace:
    fields = {
        "id": REFLECTION_ID,
        "version": 3,
        "created_at": WRITTEN,
        "experience": "Café “feedback” — naïve 🙂\r\nline two",
        "insight": "",
        "next_action": 'Ask <b>Jo</b> & \\ "quote"',
        "action_due": date(2026, 3, 17),
        "action_status": "carried",
        "action_outcome": "",
        "meeting_id": 42,
    }
    return SimpleNamespace(**{**fields, **changes})


# README.md's definition, as bytes: keys sorted, no whitespace, UTF-8 (not \u escapes), times
# in UTC to the second with a Z, the date as YYYY-MM-DD, the id in lower-case hex with hyphens.
CANONICAL = (
    '{"action_due":"2026-03-17","action_outcome":"","action_status":"carried",'
    '"experience":"Café “feedback” — naïve 🙂\\r\\nline two","format":1,"insight":"",'
    '"meeting_id":42,"next_action":"Ask <b>Jo</b> & \\\\ \\"quote\\"",'
    '"offered_at":"2026-03-10T09:00:07Z","reflection_id":"0b7e8f0c-8c5d-4c3a-9a53-3f1c2e9d7a10",'
    '"reflection_version":3,"written_at":"2026-03-03T21:15:42Z"}'
).encode()


def test_the_canonical_form_is_exactly_the_documented_bytes():
    copy = claims.frozen_copy(sample(), OFFERED)
    assert claims.canonical(copy) == CANONICAL
    assert claims.content_hash(copy) == hashlib.sha256(CANONICAL).hexdigest()


def test_any_json_library_that_sorts_keys_gets_the_same_bytes():
    """A reader elsewhere re-serialises the stored copy and compares hashes."""
    copy = json.loads(CANONICAL)
    assert claims.canonical(copy) == CANONICAL


def test_key_order_and_reading_back_do_not_change_the_hash():
    copy = claims.frozen_copy(sample(), OFFERED)
    shuffled = dict(reversed(list(copy.items())))
    assert claims.content_hash(shuffled) == claims.content_hash(copy)
    assert claims.content_hash(json.loads(json.dumps(copy))) == claims.content_hash(copy)


@pytest.mark.parametrize(
    "change",
    [
        {"experience": "Cafe “feedback” — naïve 🙂\r\nline two"},  # one accent fewer
        {"experience": "Café “feedback” — naïve 🙂\nline two"},  # another line ending
        {"version": 4},
        {"action_due": None},
        {"meeting_id": None},
        {"created_at": datetime(2026, 3, 3, 21, 15, 43, tzinfo=UTC)},
    ],
)
def test_any_change_of_content_changes_the_hash(change):
    before = claims.content_hash(claims.frozen_copy(sample(), OFFERED))
    assert claims.content_hash(claims.frozen_copy(sample(**change), OFFERED)) != before


def test_a_fraction_of_a_second_or_another_zone_is_the_same_moment_in_the_copy():
    other_zone = OFFERED.astimezone(datetime.now().astimezone().tzinfo).replace(microsecond=0)
    assert claims.frozen_copy(sample(), other_zone) == claims.frozen_copy(sample(), OFFERED)


def test_the_hash_is_the_same_on_every_database_and_every_read(app, cast):
    """The same content offered at the same moment hashes to the same value on SQLite and
    PostgreSQL (this test runs on each), read back in new sessions."""
    fields = vars(sample(version=1, meeting_id=None))
    with app.app_context():
        db.session.add(Reflection(**fields, author_id=cast.cara.id, updated_at=WRITTEN))
        db.session.commit()
        claim = claims.offer(
            db.session.get(Reflection, REFLECTION_ID),
            db.session.get(Enrolment, cast.enrolments["cara"]),
            [db.session.get(Criterion, cast.criteria["1.1"])],
            offered_at=OFFERED,
        )
        db.session.commit()
        claim_id, offered_hash = claim.id, claim.content_sha256
    expected = claims.content_hash(claims.frozen_copy(sample(**fields), OFFERED))
    assert offered_hash == expected
    for _ in range(2):
        with app.app_context():
            db.session.expire_all()
            stored = db.session.get(EvidenceClaim, claim_id)
            assert stored.content_sha256 == expected
            assert claims.content_hash(stored.frozen_content) == expected
            assert claims.canonical(stored.frozen_content).startswith(b'{"action_due":"2026-03-17"')
            assert stored.offered_at == OFFERED.replace(microsecond=0)


def test_a_tampered_copy_no_longer_verifies_and_the_page_says_so(app, cast, make, visit):
    claim_id = offer(app, cast, write(make, cast, experience="Original words."))
    page = visit(cast.ada).page(f"/evidence/claims/{claim_id}")
    hash_line = page.one("p", cls="hash")
    with app.app_context():
        stored = db.session.get(EvidenceClaim, claim_id)
        assert claims.verifies(stored)
        assert stored.content_sha256 in hash_line.text
        assert "the copy matches it" in hash_line.text
        stored.frozen_content = {**stored.frozen_content, "experience": "Other words."}
        db.session.commit()
        assert not claims.verifies(db.session.get(EvidenceClaim, claim_id))
    tampered = visit(cast.ada).page(f"/evidence/claims/{claim_id}").one("p", cls="hash")
    assert "no longer matches" in tampered.text
