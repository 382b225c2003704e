// Where this device keeps one person's offline copies. Shared by the pages and the service
// worker (importScripts), so a classic script adding SJ.store, SJ.vault and SJ.device to the
// global object; no framework, no library.
//
// A phone may be shared (journal/pwa/storage.py). Everything personal lives under an opaque
// name the server gives each person (their "storage id", never the e-mail address):
//   - Cache Storage "sj-pages-<id>": the pages they opened on this device;
//   - IndexedDB "sj-person-<id>": their drafts and outbox, each record sealed with AES-GCM
//     under a key that only their session can fetch (GET /pwa/storage), and that key itself,
//     kept non-extractable.
// IndexedDB "sj-device" only says whose pages the device holds now and which people have a
// database here: no one's words.
"use strict";
(function (SJ) {
  const DEVICE = "sj-device";
  const DEVICE_STORES = ["state", "people"];
  const PAGES = "sj-pages-";
  const PERSON = "sj-person-";
  const PERSON_STORES = ["key", "drafts", "outbox"];
  const connections = new Map();

  // --- IndexedDB, as promises ------------------------------------------------------------

  function connect(name, stores) {
    if (!connections.has(name)) {
      const opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(name, 1);
        request.onupgradeneeded = () => {
          for (const store of stores) request.result.createObjectStore(store);
        };
        request.onsuccess = () => {
          const db = request.result;
          // Another tab or the worker wants to delete this database (signing out): let go.
          db.onversionchange = () => {
            db.close();
            connections.delete(name);
          };
          db.onclose = () => connections.delete(name);
          resolve(db);
        };
        request.onerror = () => reject(request.error);
      });
      connections.set(name, opening);
      opening.catch(() => connections.delete(name));
    }
    return connections.get(name);
  }

  // One request in its own transaction, resolved once the transaction has committed: a draft
  // is on the disk when the promise resolves ("strict": flushed, not only handed to the OS).
  async function run(name, stores, store, mode, makeRequest) {
    const db = await connect(name, stores);
    const options = mode === "readwrite" ? { durability: "strict" } : {};
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(store, mode, options);
      const request = makeRequest(transaction.objectStore(store));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = transaction.onabort = () =>
        reject(transaction.error || request.error || new Error("IndexedDB transaction failed"));
    });
  }

  function deleteDatabase(name) {
    const open = connections.get(name);
    connections.delete(name);
    return Promise.resolve(open && open.then((db) => db.close(), () => {})).then(
      () =>
        new Promise((resolve, reject) => {
          const request = indexedDB.deleteDatabase(name);
          request.onsuccess = () => resolve();
          request.onerror = () => reject(request.error);
        }),
    );
  }

  const personDb = (id) => PERSON + id;
  const store = {
    get: (id, where, key) =>
      run(personDb(id), PERSON_STORES, where, "readonly", (s) => s.get(key)),
    put: (id, where, key, value) =>
      run(personDb(id), PERSON_STORES, where, "readwrite", (s) => s.put(value, key)),
    remove: (id, where, key) =>
      run(personDb(id), PERSON_STORES, where, "readwrite", (s) => s.delete(key)),
    count: (id, where) => run(personDb(id), PERSON_STORES, where, "readonly", (s) => s.count()),
    keys: (id, where) =>
      run(personDb(id), PERSON_STORES, where, "readonly", (s) => s.getAllKeys()),
  };

  // --- sealing: AES-GCM under the person's key ------------------------------------------

  class Locked extends Error {
    constructor() {
      super("The key to this person's drafts is not on this device: sign in again.");
      this.name = "Locked";
    }
  }

  function fromBase64url(text) {
    const plain = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(plain, (c) => c.charCodeAt(0));
  }

  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  async function keyOf(id) {
    const key = await store.get(id, "key", "key");
    if (!key) throw new Locked();
    return key;
  }

  async function seal(key, value) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = encoder.encode(JSON.stringify(value));
    const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plain);
    return { iv, data };
  }

  async function unseal(key, sealed) {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, key, sealed.data);
    return JSON.parse(decoder.decode(plain));
  }

  const vault = {
    Locked,
    has: async (id) => Boolean(await store.get(id, "key", "key")),
    async saveKey(id, text) {
      // Non-extractable: scripts may use it while it is here, never copy it out.
      const key = await crypto.subtle.importKey("raw", fromBase64url(text), "AES-GCM", false, [
        "encrypt",
        "decrypt",
      ]);
      await store.put(id, "key", "key", key);
      await device.known(id);
    },
    async read(id, where, name) {
      const key = await keyOf(id);
      const sealed = await store.get(id, where, name);
      return sealed === undefined ? undefined : unseal(key, sealed);
    },
    async write(id, where, name, value) {
      const key = await keyOf(id);
      await device.known(id);
      await store.put(id, where, name, await seal(key, value));
    },
    remove: (id, where, name) => store.remove(id, where, name),
    async list(id, where) {
      const key = await keyOf(id);
      const names = await store.keys(id, where);
      const found = [];
      for (const name of names) {
        const sealed = await store.get(id, where, name);
        if (sealed !== undefined) found.push(await unseal(key, sealed));
      }
      return found;
    },
  };

  // --- whose the device is ---------------------------------------------------------------

  const deviceRun = (where, mode, makeRequest) => run(DEVICE, DEVICE_STORES, where, mode, makeRequest);

  const device = {
    pagesOf: (id) => PAGES + id,
    current: async () => (await deviceRun("state", "readonly", (s) => s.get("current"))) || null,
    known: (id) => deviceRun("people", "readwrite", (s) => s.put(true, id)),

    // A random name for this generation of the device's storage (outbox.js: a wiped outbox).
    async generation() {
      const value = await deviceRun("state", "readonly", (s) => s.get("generation"));
      if (value) return { value, fresh: false };
      const made = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16)).join("");
      await deviceRun("state", "readwrite", (s) => s.put(made, "generation"));
      return { value: made, fresh: true };
    },
    people: () => deviceRun("people", "readonly", (s) => s.getAllKeys()),

    // The signed-in person is `id`: anyone else's pages and key leave the device.
    async adopt(id) {
      await device.known(id);
      if ((await device.current()) === id) return;
      await device.leaveAllBut(id);
      await deviceRun("state", "readwrite", (s) => s.put(id, "current"));
    },

    // Nobody is signed in (the server said so): every page and key leaves the device.
    async signedOut() {
      await device.leaveAllBut(null);
      await deviceRun("state", "readwrite", (s) => s.delete("current"));
    },

    // Pages can be fetched again and go. So does each key, so the text a person could not
    // send yet stays sealed until they sign in again; a database with nothing unsent goes.
    async leaveAllBut(keep) {
      for (const name of await caches.keys()) {
        if (name.startsWith(PAGES) && name !== PAGES + keep) await caches.delete(name);
      }
      for (const id of await device.people()) {
        if (id === keep) continue;
        await store.remove(id, "key", "key");
        const waiting = (await store.count(id, "drafts")) + (await store.count(id, "outbox"));
        if (waiting === 0) await device.erase(id);
      }
    },

    // Everything of one person: their pages, drafts, outbox and key (signing out).
    async erase(id) {
      await caches.delete(PAGES + id);
      await deleteDatabase(personDb(id));
      await deviceRun("people", "readwrite", (s) => s.delete(id));
      if ((await device.current()) === id) {
        await deviceRun("state", "readwrite", (s) => s.delete("current"));
      }
    },
  };

  SJ.store = store;
  SJ.vault = vault;
  SJ.device = device;
})((self.SJ = self.SJ || {}));
