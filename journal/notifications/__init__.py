"""Telling people by e-mail what happened to their reflections and evidence (README: "What you
are told by e-mail"): a comment on my reflection (and the author's answer, to those who had
commented), an offer, decision or comment on a claim. Who, what kind and a link, never the words.

A page that makes an event calls `events.later(...)` once it has committed: the job (on the
queue, or after the response) works out who may be told, then e-mails each at once or keeps the
event for their daily digest (`flask send-digests`), as each person chose on Account.
"""
