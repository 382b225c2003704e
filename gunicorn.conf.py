"""gunicorn's settings, read by `gunicorn wsgi:app` from this folder: production's, and what
`make bench` serves both the app and its bare yardstick route with.

Settings given on the command line or in GUNICORN_CMD_ARGS win over these.
"""

import multiprocessing

# gunicorn's own rule of thumb, two workers a core and one more: a page spends part of its
# time waiting on PostgreSQL, and a spare worker uses the core meanwhile.
workers = multiprocessing.cpu_count() * 2 + 1
# Sync workers behind a buffering proxy (nginx or the host's): the app does no long polling.
worker_class = "sync"
# Forwarded headers are trusted by the app alone, when PROXY_HOPS says how many proxies set
# them (README, "Behind a proxy"): gunicorn's own default would believe X-Forwarded-Proto from
# any local process, and make plain http look like HTTPS whatever PROXY_HOPS says.
forwarded_allow_ips = ""
