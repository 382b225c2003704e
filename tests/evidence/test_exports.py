"""Portfolio exports, run inline (no Redis): a PDF and a ZIP holding exactly the portfolio its
readers may see, for the candidate and her current assessor only, and a progress page."""

import io
import json
import re
import uuid
import zipfile
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from journal.evidence import claims, exports
from journal.evidence.claims import DECLARATION, content_hash
from journal.extensions import db
from journal.models import (
    AuditEvent,
    ClaimComment,
    Enrolment,
    ExportFormat,
    PortfolioExport,
    Reflection,
    User,
    utcnow,
)
from journal.templating import format_datetime
from tests.factories import table_rows
from tests.reflections.test_pages import parse
from tests.test_security import inline_code

from .portfolio_common import (
    ANSWERED,
    ASKED,
    LIVE_EDIT,
    OFFERED,
    ON_CALS,
    ON_PENDING,
    ON_WITHDRAWN,
    OUTSIDERS,
    READERS,
    World,
    build_world,
    comment,
    criterion,
    reassign,
)


@pytest.fixture
def world(app, make) -> World:
    return build_world(app, make)


def ask(visitor, enrolment_id: int, kind: str = "pdf"):
    """Ask for an export as the page's button does; the answer (a redirect to its page)."""
    return visitor.client.post(
        f"/portfolios/{enrolment_id}/exports", data={"csrf_token": visitor.token, "format": kind}
    )


def made(visitor, enrolment_id: int, kind: str = "pdf"):
    """Ask for an export and download it: (its page's address, the download's answer)."""
    asked = ask(visitor, enrolment_id, kind)
    assert asked.status_code == 302, asked.text
    page = visitor.client.get(asked.location)
    assert "Ready, " in page.text
    return asked.location, visitor.client.get(f"{asked.location}/download")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    """Text with every run of spaces and line breaks as one space: a PDF wraps its lines."""
    return " ".join(text.split())


def comment_times(app, claim_id: int) -> list:
    with app.app_context():
        return list(
            db.session.scalars(
                select(ClaimComment.created_at)
                .where(ClaimComment.claim_id == claim_id)
                .order_by(ClaimComment.created_at)
            )
        )


def hash_of(app, claim_id: int) -> str:
    with app.app_context():
        return db.session.get(claims.EvidenceClaim, claim_id).content_sha256


def test_the_pdf_holds_the_frozen_copies_decisions_and_feedback(app, visit, world):
    _page, download = made(visit(world.cara), world.enrolment)

    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    text = pdf_text(download.data)
    # The cover sheet, the declaration, the coverage.
    assert "Portfolio of Cara" in text
    assert "Level 7 Strategic Management and Leadership (sample framework)" in text
    assert "Declaration" in text
    assert "✓ Accepted — 1.2" in text
    assert "◐ Claimed — 2.1" in text
    assert "○ Nothing yet — 4.1" in text  # its only claim was withdrawn
    # Each piece of evidence, as frozen: accents, curly quotes and dashes intact.
    assert OFFERED in text
    assert "I’ll ask first." in text
    assert "Evidence 1 of 2" in text and "Evidence 2 of 2" in text
    assert hash_of(app, world.accepted_claim) in text
    assert "Clear account — accepted." in text
    assert "Feedback: Say more about the questions you asked." in text
    assert "Not yet" in text and "Awaiting a decision" in text


def test_the_declaration_says_what_the_candidate_confirmed_when_offering(app, make, visit, world):
    # The words the offer form asks her to confirm (no offer is made without them)...
    reflection = make.reflection(world.cara)
    form = visit(world.cara).client.get(f"/evidence/offer/{reflection.id}").text
    assert DECLARATION in form

    # ...are what the PDF says she declared, in her name, and what each Markdown file says.
    _page, download = made(visit(world.ada), world.enrolment, "zip")
    archive = zip_of(download)
    text = flat(pdf_text(archive.read("portfolio.pdf")))
    assert (
        f"Declaration When offering each piece of evidence in this portfolio, Cara confirmed:"
        f" “{DECLARATION}”"
    ) in text
    markdown = archive.read(f"evidence/001-claim-{world.accepted_claim}.md").decode()
    assert f"- Declared by the candidate when offering: “{DECLARATION}”" in markdown
    assert json.loads(archive.read("manifest.json"))["declaration"] == DECLARATION


def test_each_piece_carries_its_comments_with_who_wrote_them_and_when(app, visit, world):
    asked_at, answered_at = comment_times(app, world.accepted_claim)
    (noted_at,) = comment_times(app, world.pending_claim)
    with app.app_context():  # as the PDF shows a time: in the app's time zone
        asked, answered, noted = map(format_datetime, (asked_at, answered_at, noted_at))
    _page, download = made(visit(world.cara), world.enrolment, "zip")
    archive = zip_of(download)

    # In the PDF, as on the claim's page: the author's name, the time, the Markdown rendered.
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(archive.read("portfolio.pdf"))).pages]
    first = flat(next(p for p in pages if "Evidence 1 of 2" in p))
    second = flat(next(p for p in pages if "Evidence 2 of 2" in p))
    conversation = (
        f"Comments Ada, {asked} Which questions did you ask first? Cara, {answered} {ANSWERED}"
    )
    assert conversation in first
    assert f"Comments Cara, {noted} {ON_PENDING}" in second
    assert ON_PENDING not in first and ASKED not in second
    # In each Markdown file: the author, the time, the comment as written, quoted.
    first_md = archive.read(f"evidence/001-claim-{world.accepted_claim}.md").decode()
    assert first_md.endswith(
        "## Comments\n\n"
        f"**Ada**, {asked_at.isoformat()}:\n\n> {ASKED}\n\n"
        f"**Cara**, {answered_at.isoformat()}:\n\n> {ANSWERED}\n"
    )
    second_md = archive.read(f"evidence/002-claim-{world.pending_claim}.md").decode()
    assert f"**Cara**, {noted_at.isoformat()}:\n\n> {ON_PENDING}\n" in second_md
    assert ASKED not in second_md


def test_a_comment_whose_author_has_gone_is_kept_without_their_name(app, visit, world):
    with app.app_context():
        answer = db.session.scalar(select(ClaimComment).where(ClaimComment.body == ANSWERED))
        answer.author_id = None  # as deleting the account does (ON DELETE SET NULL)
        db.session.commit()

    text = flat(pdf_text(made(visit(world.ada), world.enrolment)[1].data))

    assert f"{exports.GONE}, " in text
    assert ANSWERED in text


def test_an_export_holds_nothing_its_readers_may_not_see(visit, world):
    _page, download = made(visit(world.ada), world.enrolment)
    text = pdf_text(download.data)

    assert LIVE_EDIT not in text  # the live reflection, edited after offering
    assert "Withdrawn words." not in text  # a withdrawn claim
    assert ON_WITHDRAWN not in text  # and the comments on it
    assert "Cal’s own evidence." not in text  # another candidate's, with the same assessor
    assert ON_CALS not in text  # and the comments on it


@pytest.mark.parametrize("who", READERS)
def test_an_export_holds_exactly_the_claims_and_comments_its_reader_reads(app, visit, world, who):
    """Every claim of the portfolio its reader reads, but the withdrawn one (out of
    assessment), and on each exactly the comments its page shows them."""
    visitor = visit(world.person(who))
    # Abe stood in as her assessor for a while and commented: the claim's page still shows it.
    reassign(app, world.enrolment, world.abe)
    comment(app, world.pending_claim, world.abe, "Standing in for Ada: well begun.", minutes=30)
    reassign(app, world.enrolment, world.ada)
    own = who == "cara"
    listing = visitor.page("/evidence" if own else f"/evidence/candidates/{world.cara.id}")
    listed = {
        int(a.attrs["href"].rsplit("/", 1)[1])
        for a in listing.select("a")
        if re.fullmatch(r"/evidence/claims/\d+", a.attrs.get("href", ""))
    }
    assert world.withdrawn_claim in listed

    manifest = json.loads(zip_of(made(visitor, world.enrolment, "zip")[1]).read("manifest.json"))

    exported = {entry["claim_id"]: entry for entry in manifest["evidence"]}
    assert exported.keys() == listed - {world.withdrawn_claim}
    for claim_id, entry in exported.items():
        page = parse(visitor.client.get(f"/evidence/claims/{claim_id}").text)
        comments = page.select("article", cls="comment")
        shown = [int(a.attrs["id"].removeprefix("comment-")) for a in comments]
        assert [c["id"] for c in entry["comments"]] == shown, claim_id


def zip_of(download) -> zipfile.ZipFile:
    assert download.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(download.data))


def test_the_zip_holds_the_pdf_a_markdown_file_per_piece_and_a_manifest_of_hashes(
    app, visit, world
):
    _page, download = made(visit(world.cara), world.enrolment, "zip")
    archive = zip_of(download)
    manifest = json.loads(archive.read("manifest.json"))

    names = sorted(archive.namelist())
    assert names == sorted(
        [
            "portfolio.pdf",
            f"evidence/001-claim-{world.accepted_claim}.md",
            f"evidence/002-claim-{world.pending_claim}.md",
            "manifest.json",
        ]
    )
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert listed.keys() == set(names) - {"manifest.json"}
    for path, entry in listed.items():
        data = archive.read(path)
        assert entry["sha256"] == __import__("hashlib").sha256(data).hexdigest()
        assert entry["size"] == len(data)
    # Each frozen copy is in the manifest, and its hash can be checked from it.
    for evidence in manifest["evidence"]:
        assert content_hash(evidence["frozen_content"]) == evidence["content_sha256"]
    first = archive.read(f"evidence/001-claim-{world.accepted_claim}.md").decode()
    assert OFFERED in first
    assert f"SHA-256 of the frozen copy: {hash_of(app, world.accepted_claim)}" in first
    assert "  - Feedback: Clear account — accepted." in first
    assert LIVE_EDIT not in archive.read("portfolio.pdf").decode("latin-1")
    assert OFFERED in pdf_text(archive.read("portfolio.pdf"))


def test_the_candidate_and_her_assessor_export_the_same_portfolio(visit, world):
    mine = json.loads(
        zip_of(made(visit(world.cara), world.enrolment, "zip")[1]).read("manifest.json")
    )
    theirs = json.loads(
        zip_of(made(visit(world.ada), world.enrolment, "zip")[1]).read("manifest.json")
    )

    assert mine["evidence"] == theirs["evidence"]
    assert mine["files"][1:] == theirs["files"][1:]  # the Markdown files (the PDF has its time)


def test_a_download_is_an_attachment_no_cache_may_keep(visit, world):
    _page, download = made(visit(world.cara), world.enrolment)

    assert download.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(
        r'attachment; filename="portfolio-cara-\d{4}-\d{2}-\d{2}\.pdf"',
        download.headers["Content-Disposition"],
    )


def test_asking_and_downloading_are_in_the_audit_trail(app, visit, world):
    page, _download = made(visit(world.ada), world.enrolment)

    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith("export."))
        ).all()
    export_id = int(page.rsplit("/", 1)[1])
    assert [(e.action, e.actor_id, e.subject_id, e.detail["export"]) for e in events] == [
        ("export.requested", world.ada.id, str(world.enrolment), export_id),
        ("export.downloaded", world.ada.id, str(world.enrolment), export_id),
    ]


# Who may ask, follow and download ------------------------------------------------------------


@pytest.mark.parametrize("who", READERS)
def test_the_candidate_and_her_assessor_may_ask_for_an_export(visit, world, who):
    visitor = visit(world.person(who))

    assert visitor.client.get(f"/portfolios/{world.enrolment}/exports").status_code == 200
    page, download = made(visitor, world.enrolment)
    assert download.status_code == 200
    assert page in visitor.client.get(f"/portfolios/{world.enrolment}/exports").text


@pytest.mark.parametrize("who", OUTSIDERS)
def test_no_one_else_may_ask(app, visit, world, who):
    visitor = visit(world.person(who))
    before = table_rows(app)

    assert visitor.client.get(f"/portfolios/{world.enrolment}/exports").status_code == 404
    assert ask(visitor, world.enrolment).status_code == 404
    assert table_rows(app) == before


@pytest.mark.parametrize("who", ["ada", *OUTSIDERS])
def test_an_export_is_opened_only_by_who_asked_for_it(visit, world, who):
    page, _download = made(visit(world.cara), world.enrolment)
    client = visit(world.person(who)).client

    assert client.get(page).status_code == 404
    assert client.get(f"{page}/download").status_code == 404


def test_an_assessor_who_is_replaced_loses_the_exports_they_made(app, visit, world):
    ada = visit(world.ada)
    page, _download = made(ada, world.enrolment)

    reassign(app, world.enrolment, world.abe)

    assert ada.client.get(page).status_code == 404
    assert ada.client.get(f"{page}/download").status_code == 404
    assert visit(world.abe).client.get(f"/portfolios/{world.enrolment}/exports").status_code == 200


def test_signed_out_people_are_sent_to_sign_in(client, visit, world):
    page, _download = made(visit(world.cara), world.enrolment)

    for address in (f"/portfolios/{world.enrolment}/exports", page, f"{page}/download"):
        answer = client.get(address)
        assert answer.status_code == 302
        assert answer.location.startswith("/login")


@pytest.mark.parametrize("kind", ["", "xls", "PDF", "\x00"])
def test_an_unknown_format_is_refused_and_nothing_is_made(app, visit, world, kind):
    visitor = visit(world.cara)
    before = table_rows(app)

    answer = ask(visitor, world.enrolment, kind)

    assert answer.status_code == 400
    assert 'class="error"' in answer.text
    assert table_rows(app) == before


def test_asking_without_the_csrf_token_makes_nothing(app, visit, world):
    visitor = visit(world.cara)
    before = table_rows(app)

    answer = visitor.client.post(f"/portfolios/{world.enrolment}/exports", data={"format": "pdf"})

    assert answer.status_code == 400
    assert table_rows(app) == before


# The progress page, failures, and old exports ------------------------------------------------


def queued_export(app, world, who: User) -> int:
    with app.app_context():
        export = exports.request_export(
            db.session.get(Enrolment, world.enrolment),
            db.session.get(User, who.id),
            ExportFormat.ZIP,
        )
        db.session.commit()
        return export.id


def test_a_waiting_export_reloads_its_page_until_it_is_done(app, visit, world):
    export_id = queued_export(app, world, world.cara)
    client = visit(world.cara).client

    waiting = client.get(f"/exports/{export_id}")
    assert '<meta http-equiv="refresh" content="2">' in waiting.text
    assert "Waiting for its turn" in waiting.text
    assert client.get(f"/exports/{export_id}/download").status_code == 404  # nothing yet

    with app.app_context():
        exports.run_export(export_id)
    done = client.get(f"/exports/{export_id}")

    assert "http-equiv" not in done.text
    assert "Ready, " in done.text
    assert client.get(f"/exports/{export_id}/download").status_code == 200


def test_a_job_that_fails_says_so_and_keeps_no_file(app, visit, world, monkeypatch):
    export_id = queued_export(app, world, world.cara)

    def broken(*_args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(exports, "build_zip", broken)
    with app.app_context():
        exports.run_export(export_id)
        stored = db.session.get(PortfolioExport, export_id)
        assert (stored.status, stored.content) == ("failed", None)

    page = visit(world.cara).client.get(f"/exports/{export_id}").text
    assert exports.FAILED in page
    assert "a bug" not in page


def test_a_job_for_someone_who_lost_access_meanwhile_makes_nothing(app, world):
    export_id = queued_export(app, world, world.ada)
    reassign(app, world.enrolment, world.abe)

    with app.app_context():
        exports.run_export(export_id)
        stored = db.session.get(PortfolioExport, export_id)
        assert (stored.status, stored.error, stored.content) == ("failed", exports.NO_LONGER, None)


def test_while_the_queue_cannot_be_reached_the_export_is_made_in_the_request(app, visit, world):
    visitor = visit(world.cara)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there

    _page, download = made(visitor, world.enrolment)

    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert "Cara" in pdf_text(download.data)


def test_exports_are_deleted_a_day_after_they_were_asked_for(app, visit, world):
    old = queued_export(app, world, world.cara)
    with app.app_context():
        db.session.get(PortfolioExport, old).created_at = utcnow() - timedelta(hours=25)
        db.session.commit()

    made(visit(world.cara), world.enrolment)

    with app.app_context():
        (kept,) = db.session.scalars(select(PortfolioExport)).all()  # SQLite may reuse the id
        assert kept.created_at > utcnow() - timedelta(hours=1)


def age(app, export_id: int, hours: float) -> None:
    with app.app_context():
        db.session.get(PortfolioExport, export_id).created_at = utcnow() - timedelta(hours=hours)
        db.session.commit()


def test_an_export_past_its_lifetime_is_gone_however_it_is_read(app, visit, world):
    visitor = visit(world.cara)
    page, _download = made(visitor, world.enrolment)
    export_id = int(page.rsplit("/", 1)[1])
    age(app, export_id, 24.1)  # not yet purged: nobody has asked for an export since

    gone = visitor.client.get(f"{page}/download")
    assert gone.status_code == 410
    assert gone.mimetype == "text/html"
    assert "This export has expired: exports are kept 24 hours." in gone.text
    assert f"/portfolios/{world.enrolment}/exports" in gone.text
    shown = visitor.page(page)
    status = shown.one("div", role="status").text
    assert "This export has expired: exports are kept 24 hours." in status
    assert "Download" not in status and "kept until" not in status
    assert not shown.select("a", href=f"{page}/download")
    listed = visitor.page(f"/portfolios/{world.enrolment}/exports").one("ul", cls="set-list")
    assert listed.one("span", cls="role").text == "expired"
    # The refused download is not recorded as one.
    with app.app_context():
        downloads = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export.downloaded")
        ).all()
    assert len(downloads) == 1


def test_an_export_within_its_lifetime_is_still_served(app, visit, world):
    visitor = visit(world.cara)
    page, _download = made(visitor, world.enrolment)
    age(app, int(page.rsplit("/", 1)[1]), 23.9)

    assert visitor.client.get(f"{page}/download").status_code == 200
    assert "kept until" in visitor.client.get(page).text


def test_the_purge_command_deletes_exports_past_their_lifetime(app, runner, world):
    old, recent = queued_export(app, world, world.cara), queued_export(app, world, world.ada)
    age(app, old, 25)

    result = runner.invoke(args=["purge-exports"])

    assert result.exit_code == 0, result.output
    assert result.output == "Deleted 1 export past its lifetime (24 hours).\n"
    with app.app_context():
        assert db.session.scalars(select(PortfolioExport.id)).all() == [recent]
    assert runner.invoke(args=["purge-exports"]).output == (
        "Deleted 0 exports past their lifetime (24 hours).\n"
    )


def test_a_portfolio_of_300_pieces_of_evidence_completes(app, make, world):
    with app.app_context():
        enrolment = db.session.get(Enrolment, world.enrolment)
        chosen = [criterion("1.1"), criterion("2.2")]
        for number in range(300):
            reflection = Reflection(
                id=uuid.uuid4(),
                author_id=world.cara.id,
                experience=f"Piece {number}: “what happened” – in some detail. " * 6,
                insight="What I learned, and what I now see differently. " * 4,
                next_action="What I will do next.",
            )
            db.session.add(reflection)
            db.session.flush()  # written first: its copy records when
            claims.offer(reflection, enrolment, chosen)
        db.session.commit()
    export_id = queued_export(app, world, world.cara)

    with app.app_context():
        exports.run_export(export_id)
        stored = db.session.get(PortfolioExport, export_id)
        assert (stored.status, stored.progress) == ("done", 100)
        archive = zipfile.ZipFile(io.BytesIO(stored.content))
    assert len([n for n in archive.namelist() if n.endswith(".md")]) == 302
    last = PdfReader(io.BytesIO(archive.read("portfolio.pdf"))).pages[-1].extract_text()
    assert "Evidence 302 of 302" in last


@pytest.mark.parametrize("who", READERS)
def test_no_portfolio_page_needs_inline_code(visit, world, who):
    visitor = visit(world.person(who))
    page, _download = made(visitor, world.enrolment)
    addresses = [
        "/portfolios",
        f"/portfolios/{world.enrolment}/coverage",
        f"/portfolios/{world.enrolment}/exports",
        page,
    ]

    for address in addresses:
        answer = visitor.client.get(address)
        assert answer.status_code == 200
        assert inline_code(answer.text) == [], address
        assert '<meta name="csrf-token" content="' in answer.text


def test_the_export_pages_cost_the_same_statements_with_more_exports(
    app, visit, world, count_queries
):
    visitor = visit(world.ada)
    first, _download = made(visitor, world.enrolment)
    addresses = [f"/portfolios/{world.enrolment}/exports", first]

    def statements() -> list[int]:
        counts = []
        for address in addresses:
            with count_queries() as counted:
                assert visitor.client.get(address).status_code == 200
            counts.append(len(counted))
        return counts

    before = statements()
    for _ in range(12):
        queued_export(app, world, world.ada)

    assert statements() == before == [3, 2]
