// Today, for a candidate (templates/pwa/_head.html): said once on this phone, until "Got it" or
// an install, that Set Journal opens like an app and writes with no signal (issue 22). Only with
// scripts, and only where this browser can keep what is written (SJ.ready): without them nothing
// works offline, so nothing is promised. The browser's own install prompt (beforeinstallprompt,
// Chromium's) where it offers one; elsewhere, the words for adding it to the home screen.
// Remembered for the device, not the person: installing is the phone's, and the flag names nobody.
"use strict";
(function (SJ) {
  const KEY = "sj-install-note";
  const HOW =
    "To open it like an app, add it to your home screen: on an iPhone, Safari’s Share button, then Add to Home Screen; " +
    "on Android, the browser’s menu, then Install app or Add to Home screen.";
  let offer = null; // the browser's install prompt, kept until the person asks for it
  let box = null;

  function said() {
    try {
      return localStorage.getItem(KEY) !== null;
    } catch (error) {
      return true; // storage switched off: it could not be dismissed, so it is not said
    }
  }

  function remember(why) {
    try {
      localStorage.setItem(KEY, why);
    } catch (error) {
      // Said again next time, which is all that is lost.
    }
    box?.remove();
    box = null;
  }

  const installed = () =>
    matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;

  function how() {
    const made = SJ.element("p", { class: "pwa-install-how" });
    if (!offer) {
      made.textContent = HOW;
      return made;
    }
    const install = SJ.element("button", { type: "button" }, "Install Set Journal");
    install.addEventListener("click", async () => {
      const asked = offer;
      offer = null; // a prompt is shown once; the browser offers again if it may
      install.disabled = true;
      await asked.prompt();
      const choice = await asked.userChoice;
      if (choice.outcome === "accepted") remember("installed");
      else box?.querySelector(".pwa-install-how")?.replaceWith(how());
    });
    made.append(install);
    return made;
  }

  function show() {
    const heading = document.querySelector("main h1");
    if (!heading || said()) return;
    box = SJ.element("section", { id: "pwa-install-note", class: "pwa-note", "aria-labelledby": "pwa-install-title" });
    const gotIt = SJ.element("button", { type: "button", class: "secondary" }, "Got it");
    gotIt.addEventListener("click", () => remember("dismissed"));
    const buttons = SJ.element("p", { class: "buttons" });
    buttons.append(gotIt);
    box.append(
      SJ.element("h2", { id: "pwa-install-title" }, "Set Journal on this phone"),
      SJ.element("p", {}, "You can write a reflection with no signal (on the train, after the set): it is kept on this phone and sent by itself when the signal returns."),
    );
    if (!installed()) box.append(how());
    box.append(buttons);
    heading.after(box);
  }

  addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault(); // asked from the note's button, when the person chooses
    offer = event;
    box?.querySelector(".pwa-install-how")?.replaceWith(how());
  });
  addEventListener("appinstalled", () => remember("installed"));

  SJ.ready.then((ready) => ready && show()).catch(() => {});
})((self.SJ = self.SJ || {}));
