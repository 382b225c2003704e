"""Prints how long a failed sign-in takes for a wrong password and for an unknown account.

Not a test (timings vary by machine); run with `make bench`. The two figures should be close:
an unknown address is checked against a dummy argon2 hash so it costs what a known one does.
"""

import statistics
import tempfile
import time
from pathlib import Path

from journal import create_app
from journal.auth.accounts import authenticate, create_user
from journal.extensions import db

ROUNDS = 30


def timed(email: str, password: str) -> list[float]:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        assert authenticate(email, password) is None
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'b.sqlite'}",
            }
        )
        with app.app_context():
            db.create_all()
            create_user("known@example.org", "Known", "correct horse battery")
            db.session.commit()
            cases = {
                "wrong password": timed("known@example.org", "wrong password!"),
                "unknown account": timed("nobody@example.org", "wrong password!"),
            }
    print(f"failed sign-in, {ROUNDS} rounds each (ms):")
    for name, samples in cases.items():
        print(
            f"  {name:16} median {statistics.median(samples):6.1f}"
            f"  p90 {statistics.quantiles(samples, n=10)[-1]:6.1f}"
        )


if __name__ == "__main__":
    main()
