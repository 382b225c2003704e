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
