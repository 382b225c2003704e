"""Prints how long a portfolio export of 300 pieces of evidence takes, as PDF and as ZIP.

Not a test (timings vary by machine); run with `make bench`, or alone with
`python -m tests.benchmarks.export_timing [--pieces N] [--database-url URL]`. It loads the demo
into a fresh SQLite database (or the given one, emptied first), gives cara N claims of realistic
length (accents, curly quotes, Markdown), half of them decided, and times the export job
(`run_export`: reading the portfolio, writing the file, storing it) and, within it, the PDF alone.
"""

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import select

from journal import create_app, demo
from journal.evidence import claims, exports
from journal.extensions import db
from journal.models import Decision, Enrolment, ExportFormat, PortfolioExport, Reflection, User

EXPERIENCE = (
    "I brought my problem about a **team that avoids giving me feedback** to the set. Zoë asked"
    " what I “really” wanted from them – and I had no answer. We talked about how I ask, when,"
    " and what happens after: people see that nothing changes, so they stop saying anything. "
)
INSIGHT = (
    "Feedback upwards needs safety and proof that it is used. I had assumed silence meant"
    " agreement; it may mean people have given up. "
)


def add_evidence(pieces: int) -> int:
    """N claims for cara on one or two criteria, half decided; returns her enrolment's id."""
    cara = db.session.scalar(select(User).where(User.email == "cara@example.org"))
    ada = db.session.scalar(select(User).where(User.email == "ada@example.org"))
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.candidate_id == cara.id))
    criteria = [c for unit in enrolment.framework.units for c in unit.criteria]
    for number in range(pieces):
        reflection = Reflection(
            id=uuid.uuid4(),
            author=cara,
            experience=f"Piece {number + 1}. " + EXPERIENCE * 2,
            insight=INSIGHT * 2,
            next_action="Ask for written feedback after the next two team meetings.",
        )
        db.session.add(reflection)
        chosen = [criteria[number % len(criteria)], criteria[(number * 7 + 3) % len(criteria)]]
        claim = claims.offer(reflection, enrolment, list({c.id: c for c in chosen}.values()))
        if number % 2:
            claims.decide(claim.criteria[0], ada, Decision.ACCEPTED, "Clear and specific.")
    db.session.commit()
    return enrolment.id


def timed_export(enrolment_id: int, kind: ExportFormat) -> tuple[float, int]:
    enrolment = db.session.get(Enrolment, enrolment_id)
    export = exports.request_export(enrolment, enrolment.candidate, kind)
    db.session.commit()
    start = time.perf_counter()
    exports.run_export(export.id)
    seconds = time.perf_counter() - start
    stored = db.session.get(PortfolioExport, export.id)
    assert stored.status == "done", stored.error
    return seconds, stored.size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=300)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            db.drop_all()
            db.create_all()
            demo.load()
            enrolment_id = add_evidence(arguments.pieces)
            pieces = len(db.session.scalars(exports.portfolio_claims(enrolment_id)).all())
            portfolio = exports.gather(db.session.get(Enrolment, enrolment_id))
            start = time.perf_counter()
            exports.build_pdf(portfolio)
            pdf_alone = time.perf_counter() - start
            results = {kind: timed_export(enrolment_id, kind) for kind in ExportFormat}
            db.drop_all()
    print(f"portfolio export of {pieces} pieces of evidence (the export job, end to end):")
    for kind, (seconds, size) in results.items():
        print(f"  {kind.value.upper():4} {seconds:6.1f} s  {size / 1024:8.0f} KB")
    print(f"  the PDF alone, from data already read: {pdf_alone:.1f} s")


if __name__ == "__main__":
    main()
