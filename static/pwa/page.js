// Every page: installs the service worker, offers a new version without ever reloading under
// someone's typing, says when a page is the copy kept on this phone, and ties the device's
// storage to the person signed in (store.js). Progressive enhancement: pages work without it.
"use strict";
(function (SJ) {
  const meta = document.querySelector('meta[name="journal-storage"]');
  // The opaque name of the signed-in person's storage; null on a page for nobody signed in.
  const person = meta ? meta.content : null;
  const copySavedAt = document.body.dataset.offlineCopy;
  // Pages opened once after signing in, so the journal and the writing form work offline.
  const WARM = ["/", "/reflections", "/reflections/new"];
  SJ.person = person;
  // Things to finish before the page goes away on purpose (writing.js saves the draft).
  SJ.beforeLeaving = [];

  function element(tag, attributes, text) {
    const made = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) made.setAttribute(name, value);
    if (text) made.textContent = text;
    return made;
  }
  SJ.element = element;

  // A line at the top of the page, in words (role=status: read out, never stealing focus).
  function notice(id, text) {
    let bar = document.getElementById(id);
    if (!bar) {
      bar = element("div", { id, class: "pwa-bar", role: "status" });
      document.getElementById("main")?.prepend(bar);
    }
    bar.textContent = text;
    return bar;
  }
  SJ.notice = notice;

  // --- a copy kept on this phone ---------------------------------------------------------
  const when = new Date(copySavedAt);
  const from = isNaN(when)
    ? ""
    : ` from ${when.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" })}`;

  function offline() {
    notice("pwa-offline-copy", `You are offline: this is the copy of this page saved on this phone${from}.`).classList.remove("pwa-online");
  }

  // The connection is back (the server answered: a sync, or the manifest after `online`): the
  // banner says so, and the page is opened again only when the person chooses (they may be
  // typing; the draft is kept first).
  function onlineAgain() {
    if (copySavedAt === undefined) return;
    const bar = notice("pwa-offline-copy", `You are online again. This page is still the copy saved on this phone${from}: reload it for the latest. `);
    bar.classList.add("pwa-online");
    const reload = element("button", { type: "button", class: "secondary" }, "Reload");
    reload.addEventListener("click", async () => {
      reload.disabled = true;
      await Promise.all(SJ.beforeLeaving.map((finish) => finish().catch(() => {})));
      location.reload();
    });
    bar.append(reload);
  }
  SJ.onlineAgain = onlineAgain;

  // `online` means a network, not this server (a portal): its manifest answers first.
  async function serverAnswers() {
    try {
      const response = await fetch("/manifest.webmanifest", { cache: "no-store", credentials: "omit" });
      const type = response.headers.get("Content-Type") || "";
      return response.ok && type.startsWith("application/manifest+json") && "start_url" in (await response.json());
    } catch (error) {
      return false;
    }
  }

  let probing = null;
  async function probe(wait) {
    clearTimeout(probing);
    if (!navigator.onLine) return;
    if (await serverAnswers()) return onlineAgain();
    probing = setTimeout(() => probe(Math.min(wait * 2, 30000)), wait);
  }

  if (copySavedAt !== undefined) {
    offline();
    // "Reflection saved." and the like were true when the page was saved, not now.
    document.querySelectorAll(".flash").forEach((flash) => flash.remove());
    addEventListener("online", () => probe(2000));
    // "Online" with no answer (a weak signal, a server down): asked again until it answers.
    if (navigator.onLine) probing = setTimeout(() => probe(4000), 2000);
    addEventListener("offline", () => {
      clearTimeout(probing);
      offline();
    });
  }

  // --- "Reflection saved." after a save through the outbox (writing.js) ----------------------
  try {
    const saved = sessionStorage.getItem("sj-flash");
    if (saved) {
      sessionStorage.removeItem("sj-flash");
      if (copySavedAt === undefined) {
        document.getElementById("main")?.prepend(element("p", { class: "flash", role: "status" }, saved));
      }
    }
  } catch (error) {
    // Storage switched off: the page is the same without the message.
  }

  // --- the service worker and new versions ------------------------------------------------
  let updating = false;

  function offerUpdate(registration) {
    const bar = notice("pwa-update", "A new version of Set Journal is ready. ");
    if (bar.querySelector("button")) return;
    const button = element("button", { type: "button", class: "secondary" }, "Reload to update");
    button.addEventListener("click", async () => {
      button.disabled = true;
      // The reload comes only from this button, after the draft being typed is saved.
      await Promise.all(SJ.beforeLeaving.map((finish) => finish().catch(() => {})));
      updating = true;
      const waiting = registration.waiting;
      if (waiting) waiting.postMessage({ type: "skip-waiting" });
      else location.reload(); // another tab updated already
    });
    bar.append(button);
  }

  function watchForUpdates(registration) {
    if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration);
    registration.addEventListener("updatefound", () => {
      const worker = registration.installing;
      if (!worker) return;
      worker.addEventListener("statechange", () => {
        if (worker.state === "installed" && navigator.serviceWorker.controller) {
          offerUpdate(registration);
        }
      });
    });
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      // Another tab chose to update: this one keeps its page (and whatever is being typed).
      if (updating) location.reload();
    });
    navigator.serviceWorker
      .register("/sw.js", { scope: "/", updateViaCache: "none" })
      .then(watchForUpdates, () => {});
    // The first worker claims the pages open when it activates; a page whose navigation began
    // just before that is not among them, and asks to be claimed (it would else wait a visit).
    navigator.serviceWorker.ready.then((registration) => {
      if (!navigator.serviceWorker.controller && registration.active) {
        registration.active.postMessage({ type: "claim" });
      }
    });
  }

  // --- whose this device is ---------------------------------------------------------------
  async function fetchKey() {
    const response = await fetch("/pwa/storage", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return;
    const answer = await response.json();
    if (answer.storage === person) await SJ.vault.saveKey(person, answer.key);
  }

  // With the meetings this page offers to reflect on: a kept writing form lacking one of them
  // (scheduled since) is fetched again, so the link works offline (templates/pwa/sw.js).
  async function warm() {
    const meetings = [...document.querySelectorAll('a[href^="/reflections/new?"]')]
      .map((link) => new URL(link.href).searchParams.get("meeting_id"))
      .filter((id) => /^[0-9]+$/.test(id || ""));
    const registration = await navigator.serviceWorker.ready;
    if (registration.active) registration.active.postMessage({ type: "warm", paths: WARM, meetings });
  }

  // --- signing out on a shared phone -------------------------------------------------------
  // Signing out clears what the device holds of this person: pages, drafts, outbox, key. First
  // it sends the outbox; when something cannot be sent, it says what would be lost and lets the
  // person stay signed in. Without scripts the form signs out as it always did.

  const excerpt = (fields) => {
    const text = ["experience", "insight", "next_action"].map((n) => (fields[n] || "").trim()).find(Boolean) || "";
    return text.length > 60 ? `“${text.slice(0, 60)}…”` : `“${text}”`;
  };
  SJ.excerpt = excerpt;

  async function unsent() {
    const found = [];
    for (const entry of await SJ.outbox.list(person)) {
      const when = new Date(entry.queuedAt).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
      found.push(`${excerpt(entry.body)}, saved on this phone ${when}, not yet synced`);
    }
    for (const draft of await SJ.vault.list(person, "drafts")) {
      found.push(`${excerpt(draft.fields)}, a reflection you were writing and have not saved`);
    }
    return found;
  }

  function warnBeforeSigningOut(form, lost) {
    document.getElementById("pwa-signout")?.remove();
    const box = element("section", { id: "pwa-signout", class: "pwa-warning", role: "alert", "aria-labelledby": "pwa-signout-title" });
    box.append(
      element("h2", { id: "pwa-signout-title", tabindex: "-1" }, "Signing out now would delete writing that has not reached the server"),
      element("p", {}, "It could not be sent (no connection, or the server did not take it). It is only on this phone:"),
    );
    const items = element("ul");
    lost.forEach((what) => items.append(element("li", {}, what)));
    const stay = element("button", { type: "button" }, "Stay signed in");
    const leave = element("button", { type: "button", class: "danger" }, "Sign out and delete it");
    const buttons = element("p", { class: "buttons" });
    buttons.append(stay, leave);
    box.append(items, element("p", {}, "Stay signed in and try again when you have a signal, or sign out and lose it."), buttons);
    stay.addEventListener("click", () => box.remove());
    leave.addEventListener("click", () => eraseAndSignOut(form));
    document.getElementById("main").prepend(box);
    box.querySelector("h2").focus();
  }

  // The server ends the session first; only then does the device forget the person. Offline,
  // nothing is deleted and the person is told they are still signed in.
  async function eraseAndSignOut(form) {
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        redirect: "manual",
      });
    } catch (error) {
      document.getElementById("pwa-signout")?.remove();
      notice("pwa-signout-offline", "You are still signed in: signing out needs a connection, and this phone has none right now. Nothing has been deleted.");
      return;
    }
    if (response.type !== "opaqueredirect") return form.submit(); // refused: the server says why
    await SJ.device.erase(person).catch(() => {});
    SJ.outbox.forget(person);
    location.replace("/login");
  }

  async function signOut(event) {
    const form = event.target;
    event.preventDefault();
    const button = form.querySelector("button");
    if (button) button.disabled = true;
    try {
      // Nothing this page can read (no storage, or no key): sign out; the worker drops the
      // pages, and sealed copies stay sealed for their writer.
      if (!(await SJ.ready)) return form.submit();
      await Promise.all(SJ.beforeLeaving.map((finish) => finish().catch(() => {})));
      notice("pwa-signing-out", "Signing out: sending what is waiting on this phone first…");
      await SJ.outbox.syncAll(person, { force: true });
      const lost = await unsent();
      document.getElementById("pwa-signing-out")?.remove();
      if (lost.length === 0) return eraseAndSignOut(form);
      warnBeforeSigningOut(form, lost);
    } catch (error) {
      return form.submit(); // as above: nothing deleted that was not looked at
    } finally {
      if (button) button.disabled = false;
    }
  }

  if (person) {
    document.querySelectorAll('form[action="/logout"]').forEach((form) => form.addEventListener("submit", signOut));
  }

  // --- sending the outbox (outbox.js) -----------------------------------------------------
  const DAY = 24 * 60 * 60 * 1000;
  const WAITED_TOO_LONG = 2 * DAY;
  let timer = null;

  // Now, and again when the next entry is due (never more than 30 s while any waits).
  async function syncNow(force) {
    clearTimeout(timer);
    timer = null;
    const result = await SJ.outbox.syncAll(person, { force });
    clearTimeout(timer);
    if (result.next !== null && result.next !== undefined) {
      const wait = Math.min(Math.max(0, result.next - Date.now()), SJ.outbox.LONGEST_DELAY);
      timer = setTimeout(() => syncNow(false).catch(() => {}), wait);
    }
    return result;
  }
  SJ.syncNow = syncNow;

  function askToSignIn() {
    const bar = notice("pwa-sign-in", "Your session has ended. What you wrote stays on this phone and is sent once you sign in again. ");
    if (bar.querySelector("a")) return;
    const next = encodeURIComponent(location.pathname + location.search);
    bar.append(element("a", { href: `/login?next=${next}`, class: "button secondary" }, "Sign in"));
  }

  async function sayWhatWaits() {
    const lost = await SJ.outbox.wiped(person);
    if (lost) {
      notice(
        "pwa-wiped",
        `This phone’s browser deleted ${lost === 1 ? "a reflection" : `${lost} reflections`} saved here that had not reached the server. ` +
          "It cannot be brought back: please write it again. (Browsers delete what a site keeps when space runs low or the site has not been opened for a while.)",
      );
    }
    const entries = await SJ.outbox.list(person);
    const oldest = Math.min(...entries.map((e) => e.queuedAt));
    if (entries.length && Date.now() - oldest > WAITED_TOO_LONG) {
      const since = new Date(oldest).toLocaleDateString("en-GB", { dateStyle: "full" });
      notice(
        "pwa-waiting",
        `Something you wrote has waited on this phone since ${since} without reaching the server. ` +
          "Open Set Journal with a signal to send it: a browser may delete what a site keeps when it is not used for a while.",
      );
    }
    if (entries.some((e) => e.problem && e.problem.kind === "signin")) askToSignIn();
  }

  async function startSending() {
    const token = document.querySelector('meta[name="csrf-token"]');
    // A copy's token may have rotated since: then the server says "csrf" and a fresh one comes.
    if (token) SJ.outbox.setToken(token.content);
    SJ.outbox.listen((event) => {
      if (event.person !== person) return;
      if (event.state === "synced" && navigator.onLine) onlineAgain(); // the server answered
      if (event.state === "attention" && event.problem.kind === "signin") askToSignIn();
      // Written in another tab: send it from here too if that tab closes.
      if (event.state === "queued" && !timer) timer = setTimeout(() => syncNow(false).catch(() => {}), SJ.outbox.LONGEST_DELAY);
    });
    addEventListener("online", () => syncNow(true).catch(() => {}));
    await sayWhatWaits();
    await syncNow(true);
  }

  SJ.ready = (async () => {
    if (!self.indexedDB || !self.crypto || !crypto.subtle || !self.caches) return false;
    if (person) {
      await SJ.device.adopt(person);
      if (!(await SJ.vault.has(person)) && copySavedAt === undefined) await fetchKey();
      if (navigator.storage && navigator.storage.persist) {
        // Only a request: a browser may still wipe the site's storage (outbox.js notices).
        navigator.storage
          .persisted()
          .then((kept) => kept || navigator.storage.persist())
          .catch(() => {});
      }
      if ("serviceWorker" in navigator && copySavedAt === undefined) warm();
      if (await SJ.vault.has(person)) startSending().catch(() => {});
    } else {
      // The server answered this page for nobody signed in: keep no one's pages or key.
      await SJ.device.signedOut();
    }
    return person ? SJ.vault.has(person) : false;
  })().catch(() => false);
})((self.SJ = self.SJ || {}));
