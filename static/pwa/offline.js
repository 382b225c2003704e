// The offline page, after a form that could not be sent (templates/pwa/offline.html). "Back to
// the page you were on" goes back in the tab's history rather than opening the page afresh:
// going back, the browser puts back what was typed in the form (an action's outcome, a
// comment), so nothing typed is lost. Without this script the link opens the page again.
"use strict";
document.querySelectorAll("a[data-back]").forEach((link) => {
  link.addEventListener("click", (event) => {
    if (history.length < 2) return;
    event.preventDefault();
    history.back();
  });
});
