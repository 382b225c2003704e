// The outbox: reflections saved on this device, waiting for the server. Shared by the pages and
// the service worker (Background Sync), so a classic script adding SJ.outbox.
//
// An entry is the whole PUT body (every field, the client-made id, base_version) sealed in the
// person's IndexedDB (store.js). It leaves the outbox only when the server answers 2xx *with the
// JSON of that reflection*: its id, a version at least the one edited, and the text sent. Any
// other answer keeps it (SECURITY-NOTES.md 7: Workbox's queue drops a request on any HTTP
// answer, and a captive portal answers 200 with its own page):
//   - no connection, 5xx, 429, or an answer that is not ours: tried again, after 1, 2, 4 ... s,
//     never more than 30 s apart (and at once when the browser says it is online again);
//   - 400 with reason "csrf" (the token rotated: a new sign-in, a password change): a fresh
//     token from GET /api/v1/me, and the same request again;
//   - 401 (the session ended), or 403 with reason "storage" (someone else is signed in now:
//     each PUT names whose queue it comes from): kept; the person is asked to sign in, and it
//     goes after;
//   - 409: kept with the server's copy beside it (null when deleted there), for the person to
//     choose or merge (journal.js); nothing is overwritten in either direction;
//   - 422, 413, 403, 404: kept with the server's words, for the person to fix or save anew.
// Sending twice is harmless: the server answers a replayed PUT as it answered the first.
"use strict";
(function (SJ) {
  const STORE = "outbox";
  const SYNC_TAG = "outbox";
  const FIRST_DELAY = 1000;
  const LONGEST_DELAY = 30000; // the issue: within 30 s of a connection being back
  const TEXTS = ["experience", "insight", "next_action"];
  // Tabs and the worker tell each other what happened, so every page shows the same state.
  const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("sj-outbox") : null;
  const listeners = new Set();
  let token = null; // the CSRF token last known to work (pages start from their meta tag)

  function announce(event) {
    for (const listener of listeners) listener(event);
    if (channel) channel.postMessage(event);
  }
  if (channel) channel.onmessage = (message) => listeners.forEach((l) => l(message.data));

  const delayAfter = (attempts) => Math.min(LONGEST_DELAY, FIRST_DELAY * 2 ** Math.max(0, attempts - 1));

  // --- the entries ---------------------------------------------------------------------------

  const list = async (person) =>
    (await SJ.vault.list(person, STORE)).sort((a, b) => a.queuedAt - b.queuedAt);

  const get = (person, id) => SJ.vault.read(person, STORE, id);

  async function save(person, entry) {
    await SJ.vault.write(person, STORE, entry.id, entry);
    await markWaiting(person);
  }

  // Saved on the device first, then sent: from here on nothing typed can be lost.
  async function enqueue(person, id, body, about) {
    const previous = await get(person, id);
    const entry = {
      id,
      body,
      about, // what the journal shows: the meeting's name, the path to open it again
      queuedAt: previous ? previous.queuedAt : Date.now(),
      attempts: 0,
      nextTry: 0,
      state: "queued",
      problem: null,
      lastError: null,
    };
    await save(person, entry);
    announce({ person, id, state: "queued" });
    requestBackgroundSync();
    return entry;
  }

  async function remove(person, id) {
    await SJ.vault.remove(person, STORE, id);
    await markWaiting(person);
    announce({ person, id, state: "removed" });
  }

  // --- sending -------------------------------------------------------------------------------

  async function readJson(response) {
    if (!(response.headers.get("Content-Type") || "").startsWith("application/json")) return null;
    try {
      return await response.json();
    } catch (error) {
      return null;
    }
  }

  // The server's own acknowledgement of exactly this reflection, or not.
  function acknowledges(answer, entry) {
    if (!answer || answer.id !== entry.id || !Number.isInteger(answer.version)) return false;
    if (answer.version < (entry.body.base_version || 1)) return false;
    return TEXTS.every((name) => answer[name] === entry.body[name]);
  }

  async function freshToken() {
    let response;
    try {
      response = await fetch("/api/v1/me", {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
    } catch (error) {
      return { offline: true };
    }
    const answer = await readJson(response);
    if (response.status === 401 && answer) return { signIn: true };
    if (response.ok && answer && answer.csrf_token) {
      token = answer.csrf_token;
      return { token };
    }
    return { offline: true }; // a portal's page, a server error: try later
  }

  async function put(person, entry) {
    return fetch(`/api/v1/reflections/${encodeURIComponent(entry.id)}`, {
      method: "PUT",
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual", // a portal's redirect is not an answer from us
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": token || "",
        // Whose queue this is: the server refuses it if someone else's session is the one
        // signed in now (a shared phone, a sign-in the device has not heard of yet).
        "X-Journal-Storage": person,
      },
      body: JSON.stringify(entry.body),
    });
  }

  async function later(person, entry, reason) {
    entry.attempts += 1;
    entry.nextTry = Date.now() + delayAfter(entry.attempts);
    entry.state = "queued";
    entry.lastError = reason;
    await save(person, entry);
    announce({ person, id: entry.id, state: "queued", reason });
    return "later";
  }

  async function needsPerson(person, entry, problem) {
    entry.state = "attention";
    entry.problem = problem;
    entry.lastError = null;
    await save(person, entry);
    announce({ person, id: entry.id, state: "attention", problem });
    return problem.kind;
  }

  // One entry, one attempt (two when the token had rotated). Returns what became of it.
  async function send(person, entry) {
    announce({ person, id: entry.id, state: "syncing" });
    if (!token) {
      const fresh = await freshToken();
      if (fresh.signIn) return needsPerson(person, entry, { kind: "signin" });
      if (!fresh.token) return later(person, entry, "no connection");
    }
    for (let attempt = 0; attempt < 2; attempt += 1) {
      let response;
      try {
        response = await put(person, entry);
      } catch (error) {
        return later(person, entry, "no connection");
      }
      const answer = await readJson(response);
      if (response.ok) {
        if (!acknowledges(answer, entry)) {
          return later(person, entry, "an answer that did not come from Set Journal");
        }
        await SJ.vault.remove(person, STORE, entry.id);
        await markWaiting(person);
        announce({ person, id: entry.id, state: "synced", version: answer.version });
        return "synced";
      }
      if (!answer) return later(person, entry, `an answer that was not Set Journal's (${response.status})`);
      if (response.status === 400 && answer.reason === "csrf" && attempt === 0) {
        const fresh = await freshToken();
        if (fresh.signIn) return needsPerson(person, entry, { kind: "signin" });
        if (!fresh.token) return later(person, entry, "no connection");
        continue;
      }
      // Someone else is signed in: kept, sealed, until its writer signs in again.
      if (response.status === 403 && answer.reason === "storage") {
        return needsPerson(person, entry, { kind: "signin" });
      }
      switch (response.status) {
        case 401:
          return needsPerson(person, entry, { kind: "signin" });
        case 409:
          return needsPerson(person, entry, { kind: "conflict", current: answer.current || null });
        case 413:
        case 422:
          return needsPerson(person, entry, {
            kind: "invalid",
            error: answer.error || "Some of it was not accepted.",
            fields: answer.fields || {},
          });
        case 403:
        case 404:
          return needsPerson(person, entry, { kind: "refused", error: answer.error || "" });
        default:
          return later(person, entry, `the server answered ${response.status}`);
      }
    }
    return later(person, entry, "the form's token was refused twice");
  }

  // Everything due (or everything, when `force`), one context at a time: the pages and the
  // worker share a lock, so an entry is never sent by two at once.
  async function syncAll(person, options = {}) {
    if (!person) return { sent: 0, waiting: 0 };
    const run = () => syncLocked(person, options);
    if (self.navigator && navigator.locks) {
      return navigator.locks.request(`sj-outbox-${person}`, run);
    }
    return run();
  }

  async function syncLocked(person, { force = false, only = null } = {}) {
    let entries;
    try {
      entries = await list(person);
    } catch (error) {
      return { sent: 0, waiting: 0, locked: error instanceof SJ.vault.Locked };
    }
    let sent = 0;
    // The browser knows it has no network at all (it cannot know the opposite for sure): no
    // attempt now, the "online" event or the next round tries again.
    const offline = self.navigator && navigator.onLine === false;
    for (const entry of entries) {
      if (offline) break;
      if (only && entry.id !== only) continue;
      const retrySignIn = entry.state === "attention" && entry.problem && entry.problem.kind === "signin";
      if (entry.state === "attention" && !retrySignIn) continue;
      if (!force && entry.nextTry > Date.now()) continue;
      const result = await send(person, entry);
      if (result === "synced") sent += 1;
      if (result === "signin") break; // the same answer awaits every other one
    }
    const left = await list(person);
    const queued = left.filter((e) => e.state === "queued");
    const due = offline ? [Date.now() + LONGEST_DELAY] : queued.map((e) => e.nextTry);
    const next = queued.length ? Math.min(...due) : null;
    return { sent, waiting: left.length, queued: queued.length, next };
  }

  // --- Background Sync (where the browser has it) ---------------------------------------------

  function requestBackgroundSync() {
    if (!self.navigator || !navigator.serviceWorker) return;
    navigator.serviceWorker.ready
      .then((registration) => registration.sync && registration.sync.register(SYNC_TAG))
      .catch(() => {});
  }

  async function syncFromWorker() {
    const person = await SJ.device.current();
    if (!person) return;
    token = null; // the worker has no page to read a token from
    const result = await syncAll(person, { force: true });
    // Still queued: fail this round, so the browser tries again later with its own back-off.
    if (result.queued) throw new Error("Some reflections are still waiting for a connection.");
  }

  // --- noticing a wiped outbox ----------------------------------------------------------------
  // Browsers may delete a site's storage (Safari after 7 days without a visit, Chromium under
  // disk pressure), outbox included. A cookie, which such clearing leaves, says how many entries
  // were waiting and in which generation of the device's storage (a random id kept in
  // IndexedDB "sj-device"). Entries counted in a generation the device no longer has were
  // deleted by the browser, not sent: the pages say so, once.

  const cookieName = (person) => `sj_waiting_${person}`;

  function writeCookie(person, value) {
    const secure = location.protocol === "https:" ? "; Secure" : "";
    const life = value ? "Max-Age=2592000" : "Max-Age=0";
    document.cookie = `${cookieName(person)}=${value}; Path=/; ${life}; SameSite=Strict${secure}`;
  }

  function markWaiting(person) {
    if (typeof document === "undefined") return Promise.resolve(); // the next page counts
    return Promise.all([SJ.store.count(person, STORE), SJ.device.generation()])
      .then(([count, generation]) => writeCookie(person, count ? `${generation.value}.${count}` : ""))
      .catch(() => {});
  }

  async function wiped(person) {
    if (typeof document === "undefined") return 0;
    const found = document.cookie.split("; ").find((c) => c.startsWith(`${cookieName(person)}=`));
    const [kept, count] = (found ? found.split("=")[1] : "").split(".");
    const expected = parseInt(count, 10) || 0;
    const generation = await SJ.device.generation();
    await markWaiting(person); // counted again now: said once
    return expected && (generation.fresh || generation.value !== kept) ? expected : 0;
  }

  const forget = (person) => {
    if (typeof document !== "undefined") writeCookie(person, "");
  };

  SJ.outbox = {
    SYNC_TAG,
    LONGEST_DELAY,
    list,
    get,
    enqueue,
    remove,
    save,
    syncAll,
    syncFromWorker,
    requestBackgroundSync,
    wiped,
    forget,
    setToken: (value) => {
      token = value || token;
    },
    listen: (listener) => listeners.add(listener),
  };
})((self.SJ = self.SJ || {}));
