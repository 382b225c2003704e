// The writing form (/reflections/new, /reflections/<id>/edit), with or without a connection.
//
// What is typed is kept on the device as it is typed (IndexedDB, sealed: store.js), so a
// closed tab, a crash or a flat battery loses nothing, and opening the form again brings it
// back. Saving puts the whole reflection in the outbox first (outbox.js), under the id made
// here, then sends it: online it is saved at once and the page opens as before; offline the
// journal shows it "Not yet synced" until the server has it. A 422 comes back to this form,
// its messages beside the fields and the text kept. Without scripts, or without storage, the
// form posts to the server as it always did.
"use strict";
(function (SJ) {
  const form = document.querySelector("form.reflection");
  const editing = location.pathname.match(/^\/reflections\/([0-9a-f-]{36})\/edit$/);
  const writingNew = location.pathname === "/reflections/new";
  // A form with its own action is the "deleted meanwhile" one: the server handles it.
  if (!form || form.hasAttribute("action") || !(editing || writingNew) || !SJ.person) return;

  const person = SJ.person;
  const TEXTS = ["experience", "insight", "next_action"];
  const FIELDS = ["meeting_id", "set_id", ...TEXTS, "action_due", "visibility"];
  const TYPING_PAUSE = 250; // ms: a draft is written this long after the last key
  const SEND_PATIENCE = 8000; // ms: after this the journal shows it waiting, still sending
  const EMPTY = "Write at least one of experience, insight or next action.";
  const ONLY_YOU = "“No set” means only you will read it: choose “Private — only you”, or a set.";
  let target = null; // {id, isNew, base_version, action_status, action_outcome}
  let original = null; // the form as the page came, to tell a draft from no change
  let pending = null;
  let sent = false;
  let queued = false; // in the outbox: from here a failure must never post the form as well

  const newId = () =>
    crypto.randomUUID
      ? crypto.randomUUID()
      : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
          (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16),
        );

  function read() {
    const data = new FormData(form);
    return Object.fromEntries(FIELDS.map((name) => [name, String(data.get(name) || "")]));
  }

  function fill(fields) {
    for (const name of FIELDS) {
      const control = form.elements[name];
      if (control && fields[name] !== undefined) control.value = fields[name];
    }
  }

  const same = (a, b) => FIELDS.every((name) => (a[name] || "") === (b[name] || ""));
  const hasText = (fields) => TEXTS.some((name) => fields[name].trim());

  // --- drafts ---------------------------------------------------------------------------------

  async function saveDraft() {
    clearTimeout(pending);
    pending = null;
    if (sent || !target) return;
    const fields = read();
    if (same(fields, original) || (target.isNew && !hasText(fields))) {
      await SJ.vault.remove(person, "drafts", target.id);
      return;
    }
    await SJ.vault.write(person, "drafts", target.id, { ...target, fields, savedAt: Date.now() });
  }

  function typed() {
    clearTimeout(pending);
    pending = setTimeout(() => saveDraft().catch(() => {}), TYPING_PAUSE);
  }

  async function newestNewDraft() {
    const drafts = (await SJ.vault.list(person, "drafts")).filter((d) => d.isNew);
    return drafts.sort((a, b) => b.savedAt - a.savedAt)[0] || null;
  }

  // An outbox entry the server refused (422) comes back here to be fixed: it becomes the
  // form's draft again (written before the entry leaves, so it is never in neither place).
  async function fromOutbox(id) {
    const entry = await SJ.outbox.get(person, id);
    if (!entry) return null;
    const fields = Object.fromEntries(FIELDS.map((n) => [n, entry.body[n] === null ? "" : String(entry.body[n])]));
    const draft = {
      id,
      isNew: entry.body.base_version === null,
      base_version: entry.body.base_version,
      action_status: entry.body.action_status,
      action_outcome: entry.body.action_outcome,
      fields,
      errors: entry.problem && entry.problem.fields,
      savedAt: Date.now(),
    };
    await SJ.vault.write(person, "drafts", id, draft);
    await SJ.outbox.remove(person, id);
    return draft;
  }

  function restored(draft) {
    const when = new Date(draft.savedAt).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
    const bar = SJ.notice("pwa-restored", `Brought back what you were writing on this phone (kept ${when}). `);
    const discard = SJ.element("button", { type: "button", class: "secondary" }, "Start again");
    discard.addEventListener("click", async () => {
      fill(original);
      if (form.elements.base_version) form.elements.base_version.value = original.base_version || "";
      await SJ.vault.remove(person, "drafts", draft.id);
      bar.remove();
    });
    bar.append(discard);
  }

  // --- errors beside the fields, as the server's form shows them --------------------------------

  function clearErrors() {
    form.querySelectorAll("[data-pwa-error]").forEach((error) => error.remove());
    form.querySelectorAll("[data-pwa-invalid]").forEach((field) => {
      field.classList.remove("invalid");
      field.removeAttribute("data-pwa-invalid");
    });
    document.getElementById("pwa-form-errors")?.remove();
  }

  function showErrors(errors) {
    clearErrors();
    const elsewhere = [];
    let first = null;
    for (const [name, message] of Object.entries(errors || {})) {
      const control = form.elements[name];
      const element = control && (control instanceof RadioNodeList ? control[0] : control);
      const wrapper = element && element.closest(".field");
      if (!wrapper) {
        elsewhere.push(message);
        continue;
      }
      const id = `${name}-error`;
      wrapper.classList.add("invalid");
      wrapper.setAttribute("data-pwa-invalid", "");
      wrapper.append(SJ.element("p", { class: "error", id, "data-pwa-error": "" }, message));
      const described = control instanceof RadioNodeList ? wrapper.querySelector("fieldset") : element;
      const ids = new Set((described.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
      ids.add(id);
      described.setAttribute("aria-describedby", [...ids].join(" "));
      if (!(control instanceof RadioNodeList)) element.setAttribute("aria-invalid", "true");
      first = first || element;
    }
    if (elsewhere.length) {
      const alert = SJ.element("div", { id: "pwa-form-errors", class: "alert", role: "alert" });
      alert.append(SJ.element("p", {}, elsewhere.join(" ")));
      form.before(alert);
    }
    if (first) first.focus();
  }

  // --- saving -----------------------------------------------------------------------------------

  const toId = (text) => (text ? parseInt(text, 10) : null);

  function body(fields) {
    return {
      experience: fields.experience,
      insight: fields.insight,
      next_action: fields.next_action,
      action_due: fields.action_due || null,
      action_status: target.action_status,
      action_outcome: target.action_outcome,
      meeting_id: toId(fields.meeting_id),
      // As chosen: another set than the meeting's is refused by the server, by its field.
      set_id: toId(fields.set_id),
      visibility: fields.visibility,
      base_version: target.isNew ? null : target.base_version,
    };
  }

  function about() {
    const meeting = form.elements.meeting_id;
    const chosen = meeting && meeting.selectedOptions[0];
    return {
      label: chosen ? chosen.textContent.trim() : "Not linked to a meeting",
      isNew: target.isNew,
      path: target.isNew ? `/reflections/new#outbox=${target.id}` : `/reflections/${target.id}/edit#outbox`,
    };
  }

  const patience = () => new Promise((resolve) => setTimeout(resolve, SEND_PATIENCE));

  async function submit(event) {
    event.preventDefault();
    const fields = read();
    if (!hasText(fields)) {
      showErrors({ experience: EMPTY });
      return;
    }
    // "No set: only you will read it" and shared at once: the API would take no set with a
    // meeting as the meeting's, so it is refused here, as the server's form refuses it.
    const kept = !target.isNew && !original.set_id && original.visibility === fields.visibility;
    if (!fields.set_id && fields.visibility !== "private" && !(kept && !fields.meeting_id)) {
      showErrors({ [fields.meeting_id ? "set_id" : "visibility"]: ONLY_YOU });
      return;
    }
    clearErrors();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    sent = true;
    clearTimeout(pending);
    // In the outbox (and on the disk) before anything is sent: from here nothing is lost.
    await SJ.outbox.enqueue(person, target.id, body(fields), about());
    queued = true;
    await SJ.vault.remove(person, "drafts", target.id);
    await Promise.race([SJ.outbox.syncAll(person, { force: true, only: target.id }), patience()]);
    const entry = await SJ.outbox.get(person, target.id);
    if (!entry) {
      sessionStorage.setItem("sj-flash", "Reflection saved.");
      location.assign(`/reflections/${target.id}`);
      return;
    }
    const problem = entry.state === "attention" ? entry.problem : null;
    if (problem && problem.kind === "invalid") {
      await fromOutbox(target.id);
      sent = false;
      button.disabled = false;
      showErrors(Object.keys(problem.fields).length ? problem.fields : { form: problem.error });
      queued = false;
      return;
    }
    if (problem && problem.kind === "conflict" && problem.current) {
      location.assign(`/reflections/${target.id}`); // both versions, side by side
      return;
    }
    location.assign("/reflections"); // at the top, "Not yet synced" (or what it needs)
  }

  // --- the meeting asked for ---------------------------------------------------------------------

  // "Reflect on this meeting" (/reflections/new?meeting_id=N). Offline the service worker answers
  // with the one form kept on this phone, so the meeting is chosen here, as the server does
  // online; one the form does not offer is said, never linked silently to another.
  function chooseAskedMeeting(say) {
    const asked = writingNew && new URLSearchParams(location.search).get("meeting_id");
    const select = form.elements.meeting_id;
    if (!asked || !select) return;
    if ([...select.options].some((option) => option.value === asked)) {
      select.value = asked;
      // As a person's choice would: the page's script then makes the set follow the meeting.
      select.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    if (!say) return;
    const kept = document.body.dataset.offlineCopy !== undefined
      ? " This is the form kept on this phone: a meeting scheduled since it was kept appears once you open the form with a signal."
      : "";
    SJ.notice(
      "pwa-meeting",
      "The meeting you chose is not among the meetings this form offers (your sets’ upcoming meetings and the most recent ones). " +
        `Choose one below, or leave it not linked.${kept}`,
    );
  }

  // --- start ------------------------------------------------------------------------------------

  async function start() {
    chooseAskedMeeting(true);
    if (!(await SJ.ready)) return;
    original = read();
    const hidden = form.elements.base_version;
    original.base_version = hidden ? hidden.value : "";
    const asked = location.hash.match(/^#outbox(?:=([0-9a-f-]{36}))?$/);
    let draft = null;
    if (writingNew) {
      draft = (asked && asked[1] && (await fromOutbox(asked[1]))) || (await newestNewDraft());
      target = draft
        ? { id: draft.id, isNew: true, base_version: null }
        : { id: newId(), isNew: true, base_version: null };
      target.action_status = "open";
      target.action_outcome = "";
    } else {
      const id = editing[1];
      draft = (asked && (await fromOutbox(id))) || (await SJ.vault.read(person, "drafts", id)) || null;
      target = {
        id,
        isNew: false,
        // A draft keeps the version it was written on: a newer one on the server is a conflict
        // to show, never a reason to overwrite it.
        base_version: draft ? draft.base_version : parseInt(original.base_version, 10),
        action_status: draft ? draft.action_status : form.dataset.actionStatus || "open",
        action_outcome: draft ? draft.action_outcome : form.dataset.actionOutcome || "",
      };
    }
    if (draft && !same(draft.fields, original)) {
      fill(draft.fields);
      restored(draft);
      chooseAskedMeeting(false); // the meeting just asked for, with the text being written
    }
    if (draft && draft.errors) showErrors(draft.errors);
    form.addEventListener("input", typed);
    form.addEventListener("change", typed);
    form.addEventListener("submit", (event) => {
      submit(event).catch(() => {
        if (queued) return location.assign("/reflections"); // it is in the outbox: shown there
        // Storage failed under us before it was kept: the server's own form still works.
        sent = false;
        form.submit();
      });
    });
    // Leaving, closing, switching app: what was typed in the last moment is written now.
    addEventListener("pagehide", () => pending && saveDraft());
    document.addEventListener("visibilitychange", () => document.visibilityState === "hidden" && pending && saveDraft());
    SJ.beforeLeaving.push(saveDraft);
    // Said on the form so that whoever drives the page (tests) knows a save now goes through the
    // outbox; a save before this is the server's own form post, which works as well.
    form.dataset.outbox = "ready";
  }

  start().catch(() => {});
})((self.SJ = self.SJ || {}));
