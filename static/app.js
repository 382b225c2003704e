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
