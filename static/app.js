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
