"""Every page of every demo role and the API's reads, measured under gunicorn on PostgreSQL
beside a bare Flask route, on the demo data and then with 10k, 100k and 1M seeded reflections.

Not a test: figures for README.md. Run with `make bench` (or `python -m tests.benchmarks.pages
--scales 0,10000`). Needs PostgreSQL (BENCH_DATABASE_URL, default the local server's `bench`
database, dropped and made again) and `wrk`, the HTTP load generator (`make bench` installs
Debian's package when it is missing).

For each page: `wrk` with 2 threads and 16 connections, alternating the bare route and the page
(ROUNDS times SECONDS each), so a busy moment of the machine falls on both. The table gives
requests per second, p50 and p95 latency, SQL statements per request (counted in-process on
the same database), the rate as a share of the bare route's, and, from the second scale on,
the change from the demo data's rate. At the end: each gunicorn worker's resident memory.
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, event, make_url, text

from journal import create_app
from journal.demo import PASSWORD
from journal.extensions import db
from tests.helpers import DEMO_PAGES, AuthActions, demo_page_ids

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
APP_PORT, BARE_PORT = 8731, 8732
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench"

# wrk prints its own report; this adds one line of JSON with what the table needs.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "seconds": %f, "p50_ms": %f, "p95_ms": %f, '
    .. '"errors": %d, "bad_status": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass
class Row:
    who: str
    url: str
    page: list[Run]
    bare: list[Run]
    queries: int

    @property
    def rate(self) -> float:
        return sum(r.requests for r in self.page) / sum(r.seconds for r in self.page)

    @property
    def bare_rate(self) -> float:
        return sum(r.requests for r in self.bare) / sum(r.seconds for r in self.bare)

    def latency(self, which: str) -> float:
        return statistics.median(getattr(r, which) for r in self.page)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# The database -----------------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    target = make_url(url)
    server = create_engine(
        target.set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True)


def reflection_ids(app) -> dict[str, str]:
    with app.app_context():
        return demo_page_ids()


def count_queries(app, who: str, url: str) -> int:
    """SQL statements one request for `url` sends, signed in as `who`."""
    client = app.test_client()
    assert AuthActions(client).login(f"{who}@example.org", PASSWORD).status_code == 302
    statements = []
    with app.app_context():
        engine = db.engine

    def record(*_args) -> None:
        statements.append(1)

    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert answer.status_code == 200, (who, url, answer.status_code)
    return len(statements)


# The servers ------------------------------------------------------------------------------------


def start_gunicorn(module: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            module,
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            get(port, "/", {})
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"gunicorn {module} did not start")


def get(port: int, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers)
    answer = connection.getresponse()
    answer.read()
    return answer


def sign_in(email: str) -> str:
    """The session cookie of `email` signed in on the app server (as a browser gets it)."""
    connection = http.client.HTTPConnection("127.0.0.1", APP_PORT, timeout=10)
    connection.request("GET", "/login")
    page = connection.getresponse()
    cookie = _session_cookie(page)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.read().decode()).group(1)
    body = urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    connection.request("POST", "/login", body=body, headers=headers)
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 302, f"{email} could not sign in ({answer.status})"
    return _session_cookie(answer)


def _session_cookie(answer: http.client.HTTPResponse) -> str:
    for header in answer.headers.get_all("Set-Cookie") or []:
        if header.startswith("session="):
            return header.split(";", 1)[0]
    raise RuntimeError("no session cookie")


def worker_memory(master: subprocess.Popen) -> list[int]:
    """Resident memory (KiB) of each worker of a gunicorn master, from /proc."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if int(fields["PPid"]) == master.pid and "VmRSS" in fields:
            sizes.append(int(fields["VmRSS"].split()[0]))
    return sizes


# Measuring --------------------------------------------------------------------------------------


def wrk(port: int, path: str, cookie: str | None, seconds: int, script: Path) -> Run:
    headers = ["-H", "Accept-Encoding: gzip"]
    if cookie:
        headers += ["-H", f"Cookie: {cookie}"]
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout=5s", "-s", str(script)]
    output = subprocess.run(
        [*command, *headers, f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    if figures["errors"] or figures["bad_status"]:
        raise RuntimeError(f"{path}: {figures['errors']} errors, {figures['bad_status']} non-2xx")
    return Run(figures["requests"], figures["seconds"], figures["p50_ms"], figures["p95_ms"])


def measure(app, pages, cookies, ids, rounds: int, seconds: int, script: Path) -> list[Row]:
    rows = []
    for who, template in pages:
        url = template.format(**ids)
        answer = get(APP_PORT, url, {"Cookie": cookies[who]})
        assert answer.status == 200, (who, url, answer.status)
        row = Row(who, template, [], [], count_queries(app, who, url))
        wrk(APP_PORT, url, cookies[who], 1, script)  # warm up
        for _ in range(rounds):
            row.bare.append(wrk(BARE_PORT, "/", None, seconds, script))
            row.page.append(wrk(APP_PORT, url, cookies[who], seconds, script))
        say(f"  {who:5} {template:32} {row.rate:8.0f} req/s  (bare {row.bare_rate:.0f})")
        rows.append(row)
    return rows


def table(scale: str, rows: list[Row], baseline: dict[tuple[str, str], float] | None) -> str:
    lines = [
        f"### {scale}",
        "",
        "| who | page | req/s | p50 ms | p95 ms | queries | share of bare | vs demo |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        change = ""
        if baseline:
            change = f"{(row.rate / baseline[row.who, row.url] - 1) * 100:+.0f} %"
        lines.append(
            f"| {row.who} | `{row.url}` | {row.rate:,.0f} | {row.latency('p50_ms'):.1f}"
            f" | {row.latency('p95_ms'):.1f} | {row.queries} | {row.rate / row.bare_rate:.3f}"
            f" | {change} |"
        )
    bare = statistics.median(r.bare_rate for r in rows)
    lines += ["", f"Bare route in the same run: {bare:,.0f} req/s (median over the pages)."]
    return "\n".join(lines)


def summary(runs: dict[int, list[Row]]) -> str:
    """One line per page: its rate at each scale, then the largest scale against the bare route
    and against the smallest seeded scale (the first with the demo people's years of history,
    so the same page content as at the largest)."""
    scales = list(runs)
    largest, seeded = scales[-1], next((n for n in scales if n), scales[0])
    names = ["demo" if n == 0 else f"{n:,}" for n in scales]
    versus = "demo" if seeded == 0 else f"{seeded:,}"
    lines = [
        "### Summary: requests per second by number of seeded reflections",
        "",
        f"| who | page | queries | {' | '.join(names)} | share of bare | p95 ms | vs {versus} |",
        "| --- | --- | ---: |" + " ---: |" * (len(names) + 3),
    ]
    for index, row in enumerate(runs[largest]):
        rates = " | ".join(f"{runs[n][index].rate:,.0f}" for n in scales)
        change = row.rate / runs[seeded][index].rate - 1
        lines.append(
            f"| {row.who} | `{row.url}` | {row.queries} | {rates}"
            f" | {row.rate / row.bare_rate:.3f} | {row.latency('p95_ms'):.0f} | {change:+.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="0,10000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--only", help="measure only the pages whose 'who address' has this")
    options = parser.parse_args()
    pages = [p for p in DEMO_PAGES if options.only is None or options.only in " ".join(p)]
    scales = [int(n) for n in options.scales.split(",")]

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-" + "x" * 32,
        "BASE_URL": "http://127.0.0.1",
    }
    fresh_database(url)
    flask(env, "db", "upgrade")
    flask(env, "demo")

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": env["SECRET_KEY"],
            "BASE_URL": env["BASE_URL"],
        }
    )
    tables, baseline, runs = [], None, {}
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "report.lua"
        script.write_text(WRK_SCRIPT)
        for scale in scales:
            if scale:
                started = time.perf_counter()
                flask(env, "seed", "--reflections", str(scale))
                say(f"seeded to {scale:,} in {time.perf_counter() - started:.0f} s")
            servers = [
                start_gunicorn("wsgi:app", APP_PORT, env),
                start_gunicorn("tests.benchmarks.bare:app", BARE_PORT, env),
            ]
            try:
                people = {who for who, _ in pages}
                cookies = {who: sign_in(f"{who}@example.org") for who in people}
                name = f"{scale:,} seeded reflections" if scale else "Demo data only"
                say(name)
                ids = reflection_ids(app)
                rows = measure(app, pages, cookies, ids, options.rounds, options.seconds, script)
                tables.append(table(name, rows, baseline))
                baseline = baseline or {(r.who, r.url): r.rate for r in rows}
                runs[scale] = rows
                memory = worker_memory(servers[0])
            finally:
                for server in servers:
                    server.terminate()
                    server.wait()
        print("\n\n".join([*tables, summary(runs)]))
        print(f"\nResident memory of each app worker after the last run: {memory} KiB")


if __name__ == "__main__":
    main()
