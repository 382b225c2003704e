// Progressive enhancement only: every page works without this file.
"use strict";

// Select the invitation link in one tap, ready to copy.
document.querySelectorAll("input.link-copy").forEach((input) => {
  input.addEventListener("focus", () => input.select());
});

// A Print button where a page offers one (the facilitator's brief): hidden until this runs, since
// without JavaScript it could do nothing; the browser's own Print works either way.
document.querySelectorAll("button[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

// The writing form: the set follows the meeting (a reflection linked to a meeting reaches that
// meeting's set, and the hint says which), and "No set" means private, so the choices never
// contradict each other. Without this the server refuses a contradiction by its field.
const writing = document.querySelector("form.reflection");
if (writing && writing.elements.meeting_id && writing.elements.set_id) {
  const meeting = writing.elements.meeting_id;
  const set = writing.elements.set_id;
  const visibility = writing.elements.visibility;
  const hint = document.getElementById("set_id-hint");
  const unlinkedHint = hint ? hint.textContent : "";
  // Drafts brought back and meetings chosen on the device change fields without events: look
  // again whenever the person touches the form.
  const privately = [...visibility].find((radio) => radio.value === "private");
  const follow = (event) => {
    const chosen = meeting.selectedOptions[0];
    const meetingSet = chosen ? chosen.dataset.setId : undefined;
    const linked = [...set.options].find((option) => option.value === meetingSet);
    for (const option of set.options) option.disabled = Boolean(linked) && option !== linked;
    if (linked) set.value = linked.value;
    if (hint) {
      hint.textContent = linked
        ? `Linked to a meeting of ${linked.textContent}, it reaches ${linked.textContent}. To keep it to yourself, choose “Private — only you” below.`
        : unlinkedHint;
    }
    // An edited reflection saved with no set and shared (through the API) reaches its author
    // alone: it keeps its choice until the set is chosen again.
    const alone = set.value === "";
    const kept = alone && !privately.checked && !(event && event.target === set);
    if (alone && !kept) privately.checked = true;
    for (const radio of visibility) radio.disabled = alone && !kept && radio !== privately;
  };
  for (const type of ["change", "input", "focusin"]) writing.addEventListener(type, follow);
  follow(null);
}

// "More" in the navigation opens without JavaScript (a <details>); with it, it also closes as a
// menu does: on a tap elsewhere, or on Escape, which gives the focus back to "More".
document.querySelectorAll("details.more").forEach((more) => {
  document.addEventListener("click", (event) => {
    if (more.open && !more.contains(event.target)) more.open = false;
  });
  // Signing out may stop to warn first (pwa/page.js), at the top of the page: out of the way.
  more.addEventListener("submit", () => {
    more.open = false;
  });
  more.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !more.open) return;
    more.open = false;
    more.querySelector("summary").focus();
  });
});

// A refused form: the summary of its problems at the top takes the focus, so that it is read
// out and seen first; each of its links leads to the field's control, not only to its message.
const errorSummary = document.getElementById("error-summary");
if (errorSummary) {
  errorSummary.focus();
  errorSummary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const field = link && document.getElementById(link.hash.slice(1))?.closest(".field");
    const control = field?.querySelector("input:not([type=hidden]), select, textarea");
    if (!control) return;
    event.preventDefault();
    field.scrollIntoView({ block: "start" });
    control.focus({ preventScroll: true });
  });
}
