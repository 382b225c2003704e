// Copy and Share buttons beside a link shown once (an invitation, a calendar address).
// Progressive enhancement: the buttons stay hidden without this file, and the link can still
// be selected and copied by hand (app.js selects it in one tap).
"use strict";

function sayDone(button, words) {
  const status = button.parentElement.querySelector(".copied");
  if (status) status.textContent = words;
}

async function copyFrom(field) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(field.value);
    return;
  }
  // Without the Clipboard API (plain HTTP): the older way, from the selected field.
  field.select();
  if (!document.execCommand("copy")) throw new Error("copy refused");
}

document.querySelectorAll("button[data-copy]").forEach((button) => {
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await copyFrom(field);
      sayDone(button, "Copied.");
    } catch {
      field.select();
      sayDone(button, "Could not copy: the link is selected, copy it from the menu.");
    }
  });
});

document.querySelectorAll("button[data-share]").forEach((button) => {
  const field = document.getElementById(button.dataset.share);
  if (!field || typeof navigator.share !== "function") return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.share({ title: button.dataset.shareTitle || document.title, url: field.value });
    } catch (error) {
      // Closing the share sheet is no failure worth a word.
      if (error.name !== "AbortError") sayDone(button, "Could not share: copy the link instead.");
    }
  });
});
