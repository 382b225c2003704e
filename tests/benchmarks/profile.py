"""Where a page's time goes: each demo page requested in-process, milliseconds per request,
and with `--profile` the functions that cost most (cProfile, cumulative time).

Not a test: a tool for the work behind `make bench`'s figures. It uses the database `make
bench` left (BENCH_DATABASE_URL, default the local `bench`), or loads the demo into an empty
one. `python -m tests.benchmarks.profile [--profile] [--requests N] [who:address ...]`.
"""

import argparse
import cProfile
import os
import pstats
import time

from sqlalchemy import event, inspect

from journal import create_app, demo
from journal.extensions import db
from tests.benchmarks.pages import DEFAULT_URL, flask
from tests.helpers import DEMO_PAGES, AuthActions, demo_page_ids

SECRET_KEY = "profile-" + "x" * 32
BASE_URL = "http://127.0.0.1"  # production refuses to start without it


def ensure_demo(app, url: str) -> None:
    with app.app_context():
        if "users" in inspect(db.engine).get_table_names():
            return
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "BASE_URL": BASE_URL}
    flask(env, "db", "upgrade")
    flask(env, "demo")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="who:address, e.g. fran:/ (default: every page)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "BASE_URL": BASE_URL}
    )
    ensure_demo(app, url)
    with app.app_context():
        ids = demo_page_ids()
        engine = db.engine
    pages = [tuple(page.split(":", 1)) for page in options.pages] or DEMO_PAGES
    clients = {}
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *_: statements.append(1))
    for who, template in pages:
        if who not in clients:
            clients[who] = app.test_client()
            AuthActions(clients[who]).login(f"{who}@example.org", demo.PASSWORD)
        client, address = clients[who], template.format(**ids)
        for _ in range(10):
            assert client.get(address).status_code == 200, (who, address)
        statements.clear()
        profiler = cProfile.Profile() if options.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        for _ in range(options.requests):
            client.get(address)
        if profiler:
            profiler.disable()
        milliseconds = (time.perf_counter() - started) * 1000 / options.requests
        queries = len(statements) / options.requests
        print(f"{who:5} {template:45} {milliseconds:6.2f} ms  {queries:4.1f} queries")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
