// Progressive enhancement only: every page works without this file.
"use strict";

// Select the invitation link in one tap, ready to copy.
document.querySelectorAll("input.link-copy").forEach((input) => {
  input.addEventListener("focus", () => input.select());
});
