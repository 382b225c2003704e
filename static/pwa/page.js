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
  if (copySavedAt !== undefined) {
    const when = new Date(copySavedAt);
    const saved = isNaN(when)
      ? ""
      : ` from ${when.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" })}`;
    notice("pwa-offline-copy", `You are offline: this is the copy of this page saved on this phone${saved}.`);
    // "Reflection saved." and the like were true when the page was saved, not now.
    document.querySelectorAll(".flash").forEach((flash) => flash.remove());
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

  async function warm() {
    const registration = await navigator.serviceWorker.ready;
    if (registration.active) registration.active.postMessage({ type: "warm", paths: WARM });
  }

  SJ.ready = (async () => {
    if (!self.indexedDB || !self.crypto || !crypto.subtle || !self.caches) return false;
    if (person) {
      await SJ.device.adopt(person);
      if (!(await SJ.vault.has(person)) && copySavedAt === undefined) await fetchKey();
      if (navigator.storage && navigator.storage.persist) {
        // Only a request: a browser may still wipe the site's storage (outbox.js notices).
        navigator.storage.persisted().then((kept) => kept || navigator.storage.persist());
      }
      if ("serviceWorker" in navigator && copySavedAt === undefined) warm();
    } else {
      // The server answered this page for nobody signed in: keep no one's pages or key.
      await SJ.device.signedOut();
    }
    return person ? SJ.vault.has(person) : false;
  })().catch(() => false);
})((self.SJ = self.SJ || {}));
