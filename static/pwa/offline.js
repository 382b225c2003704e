// The offline page (templates/pwa/offline.html). "Back to the page you were on" goes back in
// the tab's history rather than opening the page afresh: going back, the browser puts back what
// was typed in the form (an action's outcome, a comment), so nothing typed is lost. Without
// this script the link opens the page again.
//
// When the connection returns, a page never opened here opens by itself; after a form that
// could not be sent, the page only says so (opening it again would send the form). `online`
// only means a network, not this server (a portal, a dead wifi): the server's manifest must
// answer first, tried again after 2, 4 ... s, never more than 30 s apart.
"use strict";
(function () {
  const PROBE = "/manifest.webmanifest";
  const LONGEST_WAIT = 30000;
  const formNotSent = document.body.hasAttribute("data-not-sent");
  let wait = 2000;
  let timer = null;

  document.querySelectorAll("a[data-back]").forEach((link) => {
    link.addEventListener("click", (event) => {
      if (history.length < 2) return;
      event.preventDefault();
      history.back();
    });
  });

  async function serverAnswers() {
    try {
      const response = await fetch(PROBE, { cache: "no-store", credentials: "omit" });
      const type = response.headers.get("Content-Type") || "";
      return response.ok && type.startsWith("application/manifest+json") && "start_url" in (await response.json());
    } catch (error) {
      return false;
    }
  }

  function connected() {
    if (!formNotSent) return location.reload();
    const heading = document.querySelector("main h1");
    if (heading) heading.textContent = "You are online again";
  }

  async function probe() {
    clearTimeout(timer);
    if (!navigator.onLine) return; // `online` comes first
    if (await serverAnswers()) return connected();
    timer = setTimeout(probe, wait);
    wait = Math.min(wait * 2, LONGEST_WAIT);
  }

  addEventListener("online", () => {
    wait = 2000;
    probe();
  });
  // Online already: the server was out of reach, not the network.
  if (navigator.onLine) timer = setTimeout(probe, wait);
})();
