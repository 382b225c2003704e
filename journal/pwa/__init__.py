"""Installable and offline: the web app manifest, the service worker, the offline page, icons,
and the opaque name and key under which a device keeps one person's pages and drafts."""
