"""Prints how long "Forgot your password?" takes to answer for an address with an account and
for one without, side by side.

Not a test (timings vary by machine); run with `make bench`. The two should be close: the page
does the same work either way (a token, a link, a job), and the job, which looks the address up
and sends the e-mail, runs after the response (inline, as here) or on a worker (RQ). Each
response is closed after it is timed, as a server does once it has sent it, so the job runs
untimed. Known and unknown addresses take turns; "paced" leaves 20 ms between requests, "back to
back" none, where a request pays for what the previous one's job left behind (README: "E-mail").
"""

import logging
import statistics
import tempfile
import time
from pathlib import Path

from journal import create_app
from journal.auth.accounts import create_user
from journal.extensions import db

ROUNDS = 200
WARM_UP = 20
ADDRESSES = {"known address": "known@example.org", "unknown": "nobody@example.org"}


def timed(client, pause: float) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in ADDRESSES}
    for _ in range(ROUNDS):
        for name, email in ADDRESSES.items():
            start = time.perf_counter()
            answer = client.post("/password/forgot", data={"email": email})
            samples[name].append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, answer.status_code
            answer.close()  # runs the job (the e-mail, written to the log here), untimed
            time.sleep(pause)
    return {name: found[WARM_UP:] for name, found in samples.items()}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'b.sqlite'}",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
            }
        )
        app.logger.setLevel(logging.ERROR)  # the e-mails, written whole to the log without MAIL_URL
        with app.app_context():
            db.create_all()
            create_user("known@example.org", "Known", "correct horse battery")
            db.session.commit()
        client = app.test_client()
        runs = {"paced": timed(client, 0.02), "back to back": timed(client, 0)}
    print(f"forgot-password page, {ROUNDS - WARM_UP} requests each (ms):")
    for pacing, cases in runs.items():
        line = "  ".join(
            f"{name} median {statistics.median(samples):5.2f}"
            f" p90 {statistics.quantiles(samples, n=10)[-1]:5.2f}"
            for name, samples in cases.items()
        )
        print(f"  {pacing:12}  {line}")


if __name__ == "__main__":
    main()
