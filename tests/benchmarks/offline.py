"""Prints how long the offline client takes to keep a reflection on the device and to send a
queue of 200 (issue 15). Not a test: run `python -m tests.benchmarks.offline` (or `make bench`).

Real Chromium (Debian's, as the browser tests use) on a 360 px phone, against the app on a
temporary SQLite database with the demo data, served by Werkzeug's threaded server on this
machine. On the device: a draft written as it is typed (sealed with AES-GCM, committed with
IndexedDB's "strict" durability) and a reflection put in the outbox. Then 200 reflections
written offline, and the time from the connection coming back until the server has them all
(one PUT each, one at a time, each acknowledged before it leaves the outbox).
"""

import logging
import statistics
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from journal import demo
from journal.extensions import db
from tests.browser.test_phone import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.helpers import make_app

ROUNDS = 50
QUEUE = 200
TEXT = (
    "After the set I noticed how often I reached for advice when a question would have done."
    " Today I tried to hold back and ask what the presenter had already tried. "
) * 6  # about a kilobyte, a reflection of usual length

TIMINGS = """async ([rounds, text]) => {
  const body = (i) => ({experience: `${i} ${text}`, insight: "Ask, then wait.",
    next_action: "Ask one open question.", action_due: null, action_status: "open",
    action_outcome: "", meeting_id: null, set_id: null, visibility: "private",
    base_version: null});
  const draft = [], outbox = [];
  for (let i = 0; i < rounds; i += 1) {
    let start = performance.now();
    await SJ.vault.write(SJ.person, "drafts", `bench-${i}`, {fields: body(i), savedAt: Date.now()});
    draft.push(performance.now() - start);
    start = performance.now();
    await SJ.outbox.enqueue(SJ.person, crypto.randomUUID(), body(i), {label: "bench"});
    outbox.push(performance.now() - start);
  }
  for (let i = 0; i < rounds; i += 1) await SJ.vault.remove(SJ.person, "drafts", `bench-${i}`);
  return {draft, outbox};
}"""

QUEUE_UP = """async ([count, text]) => {
  for (let i = 0; i < count; i += 1) {
    await SJ.outbox.enqueue(SJ.person, crypto.randomUUID(), {experience: `${i} ${text}`,
      insight: "", next_action: "", action_due: null, action_status: "open", action_outcome: "",
      meeting_id: null, set_id: null, visibility: "private", base_version: null}, {label: "bench"});
  }
  return (await SJ.outbox.list(SJ.person)).length;
}"""

SEND_ALL = """async () => {
  const start = performance.now();
  await SJ.outbox.syncAll(SJ.person, {force: true});
  const deadline = start + 300000;
  while ((await SJ.outbox.list(SJ.person)).length && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - start;
}"""


def summary(samples: list[float]) -> str:
    p90 = statistics.quantiles(samples, n=10)[-1]
    return f"median {statistics.median(samples):6.1f} ms   p90 {p90:6.1f} ms"


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        with app.app_context():
            db.create_all()
            demo.load()
            db.session.remove()
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{httpd.server_port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(**PHONE)
            page = context.new_page()
            page.goto(f"{url}/login")
            page.get_by_label("Email").fill("cara@example.org")
            page.get_by_label("Password", exact=True).fill(demo.PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{url}/")
            while not page.evaluate("() => navigator.serviceWorker.controller !== null"):
                time.sleep(0.05)  # polled: wait_for_function may eval, which the CSP forbids
            assert page.evaluate("SJ.ready") is True

            context.set_offline(True)
            timings = page.evaluate(TIMINGS, [ROUNDS, TEXT])
            page.evaluate(
                "async () => { for (const e of await SJ.outbox.list(SJ.person))"
                " await SJ.outbox.remove(SJ.person, e.id); }"
            )
            queued = page.evaluate(QUEUE_UP, [QUEUE, TEXT])
            assert queued == QUEUE
            context.set_offline(False)
            started = time.perf_counter()
            in_page = page.evaluate(SEND_ALL)
            wall = time.perf_counter() - started
            with app.app_context():
                from sqlalchemy import func, select

                from journal.models import Reflection

                arrived = db.session.scalar(
                    select(func.count()).where(Reflection.experience.like("% After the set%"))
                )
                db.session.remove()
            browser.close()
        httpd.shutdown()
    print(f"on the device, {ROUNDS} rounds of a reflection of {len(TEXT):,} characters:")
    print(f"  draft kept as typed (sealed, strict) {summary(timings['draft'])}")
    print(f"  saved in the outbox (sealed, strict) {summary(timings['outbox'])}")
    print(f"sending a queue of {QUEUE} once the connection is back:")
    print(f"  {in_page / 1000:.1f} s in all ({in_page / QUEUE:.0f} ms each; {wall:.1f} s wall)")
    print(f"  reflections on the server afterwards: {arrived} (of {QUEUE})")


if __name__ == "__main__":
    main()
