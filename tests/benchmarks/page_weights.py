"""Prints what the first visit of each page weighs, for every demo role (issue 12: under 50 KB).

`python -m tests.benchmarks.page_weights`. Bytes over the wire for the page (status line,
headers, gzipped body) plus every static file it loads, each fetched with an empty cache; and
the page's body uncompressed, as a request another site started gets it (journal/compression.py).
`tests/test_assets.py` asserts the limit on the same figures.
"""

import tempfile
from pathlib import Path

from journal import demo
from journal.extensions import db
from tests.helpers import make_app
from tests.test_assets import LIMIT, page_weights


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(f"sqlite:///{Path(folder) / 'weights.sqlite'}")
        with app.app_context():
            db.create_all()
            demo.load()
            db.session.commit()
        weights = page_weights(app)
        with app.app_context():
            db.engine.dispose()
    print(f"{'role':11} {'page':60} {'page gz':>8} {'static':>7} {'total':>7} {'page raw':>9}")
    for w in sorted(weights, key=lambda w: -w.total):
        print(f"{w.role:11} {w.path:60} {w.html:8} {w.linked:7} {w.total:7} {w.html_plain:9}")
    heaviest = max(weights, key=lambda w: w.total)
    print(
        f"\n{len(weights)} pages; heaviest first visit {heaviest.total} bytes"
        f" ({heaviest.role} {heaviest.path}); limit {LIMIT}."
    )


if __name__ == "__main__":
    main()
