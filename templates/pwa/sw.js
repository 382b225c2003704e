// Set Journal's service worker, rendered by journal/pwa/views.py at /sw.js: at the root, so it
// controls every page, and served with Cache-Control: no-cache, so the browser compares it on
// every visit. VERSION is a hash of every precached file's contents: any change to a static
// file or the offline page changes these bytes, so a new worker installs, precaches the new
// files under a new name and, once active, deletes the old caches (SECURITY-NOTES.md 9).
//
// Pages: network first, the person's last good copy when the network fails, the offline page
// for a page never opened here. Static files (hashed, immutable): cache first. The JSON API
// and everything else go to the network untouched: the outbox (outbox.js) decides what an
// answer means, never this worker.
"use strict";

const VERSION = {{ version|tojson }};
const SHELL = "sj-shell-" + VERSION;
const SHELL_URLS = {{ shell|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};
// Whose page an answer is (an opaque name), or SIGNED_OUT: journal/pwa/views.py.
const STORAGE_HEADER = {{ storage_header|tojson }};
const SIGNED_OUT = {{ signed_out|tojson }};
// A person whose account was deleted: their storage goes whole, drafts and outbox too.
const ERASE_HEADER = {{ erase_header|tojson }};
const PAGES_KEPT = 100; // per person
// One writing form is kept: "Reflect on this meeting" (/reflections/new?meeting_id=N) opens
// it offline, and writing.js chooses the meeting from the address (issue 22).
const WRITING_FORM = "/reflections/new";

// IndexedDB and sealing (store.js) and the outbox (outbox.js), shared with the pages.
importScripts(...{{ scripts|tojson }});

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      // Without cookies: the shell is the same for whoever holds the phone.
      await cache.addAll(SHELL_URLS.map((url) => new Request(url, { credentials: "omit" })));
      // The first worker has no page to disturb and takes over at once. A new version waits
      // until the person chooses "Reload to update" (page.js): taking over a page while they
      // type would mix old pages with new files.
      if (!self.registration.active) await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("sj-shell-") && name !== SHELL) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "skip-waiting") self.skipWaiting();
  // A page that loaded while this worker was activating escaped claim(): it asks again.
  if (message.type === "claim") event.waitUntil(self.clients.claim());
  if (message.type === "warm") event.waitUntil(warm(message.paths || [], message.meetings || []));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
  } else if (request.method === "GET" && url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  }
});

// Background Sync, where the browser has it: the outbox is sent even with no page open.
self.addEventListener("sync", (event) => {
  if (event.tag === SJ.outbox.SYNC_TAG) event.waitUntil(SJ.outbox.syncFromWorker());
});

async function navigate(event) {
  const request = event.request;
  if (request.method !== "GET") {
    // A form sent with no connection (delete, an action's status, a comment, evidence): the
    // offline page says it needs one and nothing was changed, with a 503, rather than the
    // browser's error. Nothing is queued: only reflections have an outbox, with versions to
    // settle conflicts. (The writing form never comes here when scripts run.)
    return fetch(request).catch(() => offlinePage("data-not-sent", sameOrigin(request.referrer)));
  }
  try {
    const response = await fetch(request);
    event.waitUntil(remember(request.url, response.clone()).catch(() => {}));
    return response;
  } catch (error) {
    return (await lastGoodCopy(keptAs(request.url))) || offlinePage();
  }
}

// The address a page is kept under: the writing form whatever its query (the meeting).
function keptAs(address) {
  const url = new URL(withoutFragment(address));
  return url.pathname === WRITING_FORM ? url.origin + WRITING_FORM : url.href;
}

// File a page under its person's name; forget every page when the server says nobody is
// signed in (signed out, session ended): the next person finds none of them.
async function remember(url, response) {
  const person = response.headers.get(STORAGE_HEADER);
  const erased = response.headers.get(ERASE_HEADER);
  if (erased) await SJ.device.erase(erased);
  // A redirect (or an answer that followed one) is not a page to open offline.
  if (!person || response.redirected) return;
  if (person === SIGNED_OUT) {
    await SJ.device.signedOut();
    return;
  }
  await SJ.device.adopt(person);
  if (response.status !== 200 || response.type !== "basic") return;
  // The form as the server chose a meeting in it is not the form for every meeting.
  if (keptAs(url) !== withoutFragment(url)) return;
  const cache = await caches.open(SJ.device.pagesOf(person));
  await cache.put(withoutFragment(url), response);
  // The most recent pages are enough offline. Keys come oldest first: put() replaces an entry
  // by removing it and adding the new one at the end.
  const kept = await cache.keys();
  for (const old of kept.slice(0, Math.max(0, kept.length - PAGES_KEPT))) await cache.delete(old);
}

async function lastGoodCopy(url) {
  const person = await SJ.device.current().catch(() => null);
  if (!person) return null;
  const found = await caches.match(withoutFragment(url), {
    cacheName: SJ.device.pagesOf(person),
    ignoreVary: true,
  });
  return found ? markedAsCopy(found) : null;
}

// The page says it is a copy, and from when (page.js shows that and hides stale messages).
async function markedAsCopy(response) {
  const html = await response.text();
  const saved = response.headers.get("Date") || "";
  const marked = html.replace("<body", `<body data-offline-copy="${saved.replace(/"/g, "")}"`);
  // The same headers (the CSP above all), less those that described the old body's bytes.
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  headers.delete("Content-Encoding");
  return new Response(marked, { status: response.status, headers });
}

// `mark`: a flag on <body> choosing which of the page's explanations shows (offline.html);
// `back`: where its "Back to the page you were on" leads (the form's page).
async function offlinePage(mark, back) {
  const page = await caches.match(OFFLINE_URL, { cacheName: SHELL });
  if (!page) {
    return new Response("You are offline.", {
      status: 503,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  }
  if (!mark) return page;
  let html = (await page.text()).replace("<body", `<body ${mark}`);
  if (back) html = html.replace(/data-back href="[^"]*"/, `data-back href="${escapeAttribute(back)}"`);
  return new Response(html, { status: 503, headers: page.headers });
}

// A page of this app, or nothing (a referrer may be empty or, in principle, elsewhere).
function sameOrigin(address) {
  try {
    const url = new URL(address);
    return url.origin === self.location.origin ? url.href : null;
  } catch (error) {
    return null;
  }
}

function escapeAttribute(text) {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

async function cacheFirst(request) {
  return (await caches.match(request, { cacheName: SHELL })) || fetch(request);
}

// The pages someone needs to write with no signal (the journal, the writing form), fetched
// once after they sign in unless they have opened them already. `meetings`: those the open
// page links the writing form to; a kept form offering none of one of them (scheduled since
// it was kept) is fetched again, so that "Reflect on this meeting" works offline too.
async function warm(paths, meetings) {
  const person = await SJ.device.current();
  if (!person) return;
  const cache = await caches.open(SJ.device.pagesOf(person));
  for (const path of paths) {
    const url = new URL(path, self.location.origin).href;
    const kept = await cache.match(url, { ignoreVary: true });
    if (kept && !(path === WRITING_FORM && (await lacksMeetings(kept, meetings)))) continue;
    const response = await fetch(url, { credentials: "same-origin", redirect: "manual" }).catch(
      () => null,
    );
    if (response && response.headers.get(STORAGE_HEADER) === person) {
      await remember(url, response);
    }
  }
}

async function lacksMeetings(form, meetings) {
  if (!meetings.length) return false;
  const select = (await form.text()).match(/<select[^>]*name="meeting_id"[^>]*>([\s\S]*?)<\/select>/);
  return select !== null && meetings.some((id) => !select[1].includes(`value="${id}"`));
}

function withoutFragment(url) {
  return url.split("#")[0];
}
