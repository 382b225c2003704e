// The state of what this device holds, in words, wherever a reflection appears: at the top of
// the journal (/reflections) and on a reflection's own page. "Not yet synced" (saved on this
// phone, waiting), "Syncing", "Synced", "Needs your attention" (and what to do). A conflict
// shows both versions side by side; the person keeps theirs (sent on top of the server's),
// keeps the server's, or merges by hand. Nothing is overwritten without their choice.
"use strict";
(function (SJ) {
  const person = SJ.person;
  const onJournal = location.pathname === "/reflections" && !location.search;
  const viewing = location.pathname.match(/^\/reflections\/([0-9a-f-]{36})$/);
  if (!person || !(onJournal || viewing)) return;

  const PARTS = [
    ["experience", "Experience"],
    ["insight", "Insight"],
    ["next_action", "Next action"],
  ];
  const STATE_WORDS = {
    queued: "Not yet synced",
    syncing: "Syncing",
    synced: "Synced",
    attention: "Needs your attention",
  };
  const live = new Map(); // id -> the latest event about it (syncing, synced)
  const el = SJ.element;
  const when = (moment) =>
    new Date(moment).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });

  function button(text, action, kind) {
    const made = el("button", { type: "button", class: kind || "secondary" }, text);
    made.addEventListener("click", () => {
      made.disabled = true;
      Promise.resolve(action()).finally(() => (made.disabled = false));
    });
    return made;
  }

  // --- what each state says -------------------------------------------------------------------

  function explain(entry, event) {
    const state = event ? event.state : entry.state;
    if (state === "synced") return `saved on the server (version ${event.version}).`;
    if (state === "syncing") return "sending it to the server now…";
    if (state === "queued") {
      const last = entry.lastError ? ` Last try: ${entry.lastError}.` : "";
      return `saved on this phone ${when(entry.queuedAt)}; it is sent as soon as there is a connection.${last}`;
    }
    const problem = entry.problem || {};
    switch (problem.kind) {
      case "signin":
        return "your session has ended. Sign in again to send it; it stays on this phone until then.";
      case "conflict":
        return problem.current
          ? "it was changed somewhere else too. Compare the two versions and choose what to keep."
          : "it was deleted somewhere else. Your text is kept on this phone.";
      case "invalid":
        return `the server could not accept it: ${Object.values(problem.fields || {}).join(" ") || problem.error}`;
      default:
        return `the server refused it${problem.error ? `: ${problem.error}` : ""}. Your text is kept on this phone.`;
    }
  }

  function actions(entry) {
    const problem = entry.state === "attention" ? entry.problem || {} : null;
    const box = el("p", { class: "buttons" });
    if (!problem) return null;
    if (problem.kind === "signin") {
      const next = encodeURIComponent(location.pathname);
      box.append(el("a", { class: "button secondary", href: `/login?next=${next}` }, "Sign in"));
    } else if (problem.kind === "invalid") {
      box.append(el("a", { class: "button secondary", href: entry.about.path }, "Fix it"));
    } else if (problem.kind === "conflict" && problem.current) {
      if (!viewing) box.append(el("a", { class: "button secondary", href: `/reflections/${entry.id}` }, "Compare the two versions"));
      else return null; // the comparison below has the buttons
    } else {
      box.append(button("Save it as a new reflection", () => saveAsNew(entry)), button("Let it go", () => letGo(entry), "danger"));
    }
    return box;
  }

  function card(entry) {
    const event = live.get(entry.id);
    const state = event ? event.state : entry.state;
    const made = el("article", { class: `card pwa-entry pwa-${state}`, "data-id": entry.id });
    const title = el("h3");
    const label = entry.about.label || "Not linked to a meeting";
    title.append(entry.about.isNew && state !== "synced" ? label : el("a", { href: `/reflections/${entry.id}` }, label));
    const status = el("p", { class: "pwa-state" });
    status.append(el("strong", {}, STATE_WORDS[state]), `: ${explain(entry, event)}`);
    made.append(title, status, el("p", { class: "excerpt" }, SJ.excerpt(entry.body)));
    const buttons = actions(entry);
    if (buttons && state === "attention") made.append(buttons);
    return made;
  }

  function draftCard(draft) {
    const made = el("article", { class: "card pwa-entry pwa-draft" });
    const path = draft.isNew ? "/reflections/new" : `/reflections/${draft.id}/edit`;
    made.append(
      el("h3", {}, draft.isNew ? "A reflection you are writing" : "Changes you are writing"),
      el("p", { class: "pwa-state" }, `A draft on this phone, kept ${when(draft.savedAt)}: not sent until you save it.`),
      el("p", { class: "excerpt" }, SJ.excerpt(draft.fields)),
    );
    const more = el("p");
    more.append(el("a", { href: path, class: "standalone" }, "Continue writing"));
    made.append(more);
    return made;
  }

  // --- choices --------------------------------------------------------------------------------

  async function requeue(entry, changes) {
    Object.assign(entry, { state: "queued", problem: null, attempts: 0, nextTry: 0, lastError: null }, changes);
    await SJ.outbox.save(person, entry);
    live.delete(entry.id);
    await render();
    await SJ.syncNow(true);
  }

  // Mine, sent as a new version on top of the server's.
  const keepMine = (entry) =>
    requeue(entry, { body: { ...entry.body, base_version: entry.problem.current.version } });

  async function keepTheirs(entry) {
    await SJ.outbox.remove(person, entry.id);
    await SJ.vault.remove(person, "drafts", entry.id);
    location.reload();
  }

  async function saveAsNew(entry) {
    const id = crypto.randomUUID();
    const about = { ...entry.about, isNew: true, path: `/reflections/new#outbox=${id}` };
    await SJ.outbox.enqueue(person, id, { ...entry.body, base_version: null }, about);
    await SJ.outbox.remove(person, entry.id);
    await render();
    await SJ.syncNow(true);
  }

  async function letGo(entry) {
    if (!confirm(`Delete ${SJ.excerpt(entry.body)} from this phone? It has not reached the server.`)) return;
    await SJ.outbox.remove(person, entry.id);
    await render();
  }

  // --- a conflict, side by side ---------------------------------------------------------------

  function version(title, fields) {
    const made = el("article", { class: "pwa-version" });
    made.append(el("h3", {}, title));
    for (const [name, heading] of PARTS) {
      made.append(el("h4", {}, heading), el("p", { class: "pwa-text" }, fields[name] || "(empty)"));
    }
    return made;
  }

  function mergeForm(entry, box) {
    const current = entry.problem.current;
    const form = el("form", { class: "pwa-merge" });
    for (const [name, heading] of PARTS) {
      const id = `pwa-merge-${name}`;
      const field = el("div", { class: "field" });
      const area = el("textarea", { id, name });
      area.value = entry.body[name];
      field.append(el("label", { for: id }, `${heading}, merged`), area);
      form.append(field);
    }
    const save = el("button", { type: "submit" }, "Save the merged version");
    const buttons = el("p", { class: "buttons" });
    buttons.append(save, button("Cancel", () => form.remove()));
    form.append(buttons);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const merged = Object.fromEntries(PARTS.map(([name]) => [name, form.elements[name].value]));
      requeue(entry, { body: { ...entry.body, ...merged, base_version: current.version } });
    });
    box.append(form);
    form.elements.experience.focus();
  }

  function comparison(entry) {
    const current = entry.problem.current;
    const box = el("section", { id: "pwa-conflict", class: "pwa-warning", "aria-labelledby": "pwa-conflict-title" });
    box.append(
      el("h2", { id: "pwa-conflict-title" }, "Needs your attention: two versions of this reflection"),
      el("p", {}, "It was changed on another device (or in another tab) while this phone kept your changes. Nothing has been overwritten: keep yours, keep the server’s, or merge them."),
    );
    const versions = el("div", { class: "pwa-versions" });
    versions.append(
      version("Yours, on this phone", entry.body),
      version(`On the server: version ${current.version}, changed ${when(current.updated_at)}`, current),
    );
    const buttons = el("p", { class: "buttons" });
    buttons.append(
      button("Keep mine", () => keepMine(entry)),
      button("Keep the server’s", () => keepTheirs(entry)),
      button("Merge by hand", () => box.querySelector(".pwa-merge") || mergeForm(entry, box)),
    );
    box.append(versions, buttons);
    return box;
  }

  // --- the page -------------------------------------------------------------------------------

  async function render() {
    const entries = await SJ.outbox.list(person);
    const shown = viewing ? entries.filter((e) => e.id === viewing[1]) : entries;
    // Synced a moment ago: it stays on screen, saying so, until the page is opened again.
    for (const [id, event] of live) {
      if (event.state === "synced" && event.entry && !shown.some((e) => e.id === id)) shown.push(event.entry);
    }
    const drafts = onJournal ? await SJ.vault.list(person, "drafts") : [];
    document.getElementById("pwa-outbox")?.remove();
    document.getElementById("pwa-conflict")?.remove();
    if (!shown.length && !drafts.length) return;
    const section = el("section", { id: "pwa-outbox", "aria-labelledby": "pwa-outbox-title" });
    // Everything shown has reached the server: the heading says so, not "not yet".
    const sent = !drafts.length && shown.every((e) => (live.get(e.id) || e).state === "synced");
    const title = sent ? "Sent from this phone: now on the server" : viewing ? "On this phone" : "On this phone, not yet on the server";
    section.append(el("h2", { id: "pwa-outbox-title" }, title));
    shown.forEach((entry) => section.append(card(entry)));
    drafts.forEach((draft) => section.append(draftCard(draft)));
    const heading = document.querySelector("main h1");
    heading.after(section);
    const conflict = shown.find((e) => e.state === "attention" && e.problem.kind === "conflict" && e.problem.current && !live.has(e.id));
    if (viewing && conflict) section.after(comparison(conflict));
    // Cards the server drew for reflections this phone holds changes to: say so.
    document.querySelectorAll("main article.card:not(.pwa-entry)").forEach((server) => {
      const link = server.querySelector('a[href^="/reflections/"]');
      const mine = link && entries.find((e) => link.getAttribute("href") === `/reflections/${e.id}`);
      server.querySelector(".pwa-state")?.remove();
      if (mine) server.append(el("p", { class: "pwa-state" }, `Changes on this phone: ${STATE_WORDS[mine.state]}.`));
    });
  }

  async function start() {
    if (!(await SJ.ready)) return;
    const before = new Map((await SJ.outbox.list(person)).map((e) => [e.id, e]));
    SJ.outbox.listen(async (event) => {
      if (event.person !== person) return;
      if (event.state === "syncing" || event.state === "synced") {
        live.set(event.id, { ...event, entry: before.get(event.id) || (live.get(event.id) || {}).entry });
      } else {
        live.delete(event.id);
      }
      (await SJ.outbox.list(person)).forEach((e) => before.set(e.id, e));
      render().catch(() => {});
    });
    await render();
  }

  start().catch(() => {});
})((self.SJ = self.SJ || {}));
