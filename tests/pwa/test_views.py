"""Installable and offline, on the server side (journal/pwa/): the manifest, the service worker
and its version, the offline page, the icons and favicon, and the opaque name and key under
which a device keeps each person's copies. What the browser does with them is specified in
tests/browser/test_offline.py."""

import base64
import hashlib
import json
import re
import shutil
import struct
import uuid
from pathlib import Path

import pytest
from flask import Flask

from journal import assets
from journal.extensions import db
from journal.pwa import icons, views
from tests.helpers import AuthActions, csrf_token_of, new_body
from tests.test_security import assert_browser_wall

STATIC = Path(__file__).resolve().parents[2] / "static"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def cara(make):
    person = make.user("Cara", email="cara@example.org")
    make.set(candidates=[person])
    return person


@pytest.fixture
def cal(make):
    return make.user("Cal", email="cal@example.org")


def signed_in(app: Flask, person):
    client = app.test_client()
    assert AuthActions(client).login(person.email).status_code == 302
    return client


# The manifest ---------------------------------------------------------------------------------


def test_the_manifest_says_what_an_installed_app_needs(client):
    response = client.get("/manifest.webmanifest")
    manifest = json.loads(response.data)

    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    assert response.headers["Cache-Control"] == "no-cache"
    assert_browser_wall(response)
    assert manifest["name"] == "Set Journal"
    assert 0 < len(manifest["short_name"]) <= 12  # what fits under an icon
    assert manifest["description"]
    assert manifest["start_url"] == manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])


def test_the_manifest_has_icons_of_192_and_512_px_and_a_maskable_one(client):
    manifest = client.get("/manifest.webmanifest").json
    found = set()

    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == icon["type"] == "image/png"
        width, height = png_size(image.data)
        assert icon["sizes"] == f"{width}x{height}"
        found.add((icon["sizes"], icon.get("purpose", "any")))

    assert found == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}


def test_every_page_links_the_manifest_icons_and_theme_colour(client, cara, app):
    for page in (client.get("/login").text, signed_in(app, cara).get("/reflections").text):
        assert '<link rel="manifest" href="/manifest.webmanifest">' in page
        assert re.search(r'<link rel="icon" href="/static/icons/icon\.[0-9a-f]{10}\.svg"', page)
        assert re.search(r'<link rel="apple-touch-icon" href="/static/icons/apple-touch', page)
        assert '<meta name="theme-color" content="#1f5f8b">' in page


# Icons and the favicon -------------------------------------------------------------------------


def test_the_favicon_is_answered_at_its_usual_address(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response.mimetype == "image/x-icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert png_size(response.data[22:]) == (32, 32)
    assert response.data == (STATIC / "icons" / "favicon.ico").read_bytes()


def test_the_apple_touch_icon_is_180_px_and_opaque():
    data = (STATIC / "icons" / "apple-touch-icon.png").read_bytes()

    assert png_size(data) == (180, 180)


def test_the_committed_icons_are_what_the_script_draws():
    small = icons.ico(32, icons.png(32, icons.draw(32, 1.1, 0.18)))

    assert (STATIC / "icons" / "favicon.ico").read_bytes() == small
    assert (STATIC / "icons" / "icon.svg").read_text() == icons.svg()


# The service worker ------------------------------------------------------------------------------


def test_the_service_worker_is_served_from_the_root_and_revalidated_every_time(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Set-Cookie" not in response.headers
    assert_browser_wall(response)


def _constant(script: str, name: str):
    found = re.search(rf"^const {name} = (.+);$", script, re.MULTILINE)
    assert found, f"no {name} in sw.js"
    return json.loads(found[1])


def test_the_service_worker_precaches_every_static_file_and_the_offline_page(client, app):
    script = client.get("/sw.js").text
    with app.test_request_context():
        hashed = assets.manifest().urls()

    precached = _constant(script, "SHELL_URLS")

    assert sorted(precached) == sorted([*hashed, "/offline"])
    for url in precached:
        assert client.get(url).status_code == 200, url


def test_the_cache_version_follows_the_contents_of_the_precached_files(app, tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    with app.test_request_context():
        app.extensions["assets"] = assets.Manifest(str(folder))
        _, first = views.shell()
        again = views.shell()[1]
        (folder / "style.css").write_text("p { color: blue }")
        app.extensions["assets"] = assets.Manifest(str(folder))
        urls, second = views.shell()

    assert first == again  # the same files, the same version
    assert first != second
    assert re.fullmatch(r"[0-9a-f]{10}", first)
    digest = hashlib.sha256(b"p { color: blue }").hexdigest()[:10]
    assert f"/static/style.{digest}.css" in urls


def test_the_service_worker_names_its_cache_after_the_version(client):
    script = client.get("/sw.js").text

    version = _constant(script, "VERSION")

    assert 'const SHELL = "sj-shell-" + VERSION;' in script
    with client.application.test_request_context():
        assert version == views.shell()[1]


# The offline page ------------------------------------------------------------------------------


def test_the_offline_page_names_nobody_and_holds_no_token(app, cara):
    client = signed_in(app, cara)

    response = client.get("/offline")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert "You are offline" in response.text
    assert "Cara" not in response.text and "cara@" not in response.text
    assert 'name="csrf-token"' not in response.text
    assert 'name="journal-storage"' not in response.text
    assert "Set-Cookie" not in response.headers
    assert_browser_wall(response)


# Each person's storage on a device ---------------------------------------------------------------


def _storage_of(page: str) -> str:
    found = re.search(r'<meta name="journal-storage" content="([0-9a-f]+)">', page)
    assert found, "no journal-storage meta tag"
    return found[1]


def test_each_page_says_whose_storage_it_belongs_to_and_signed_out_pages_say_nobody(
    app, client, cara
):
    signed_out = client.get("/login")
    page = signed_in(app, cara).get("/reflections")

    assert signed_out.headers[views.STORAGE_HEADER] == views.SIGNED_OUT
    assert 'name="journal-storage"' not in signed_out.text
    assert page.headers[views.STORAGE_HEADER] == _storage_of(page.text)


def test_the_storage_name_and_key_come_only_to_their_person(app, client, cara, cal):
    refused = client.get("/pwa/storage")
    caras = signed_in(app, cara).get("/pwa/storage")
    cals = signed_in(app, cal).get("/pwa/storage")

    assert refused.status_code == 401 and refused.is_json
    assert caras.status_code == 200 and caras.headers["Cache-Control"] == "no-store"
    assert caras.json["storage"] != cals.json["storage"]
    assert caras.json["key"] != cals.json["key"]
    key = base64.urlsafe_b64decode(caras.json["key"] + "=")
    assert len(key) == 32  # AES-256
    for answer in (caras.json["storage"], caras.json["key"]):
        assert "cara" not in answer.lower()


def test_the_storage_name_and_key_stay_the_same_after_signing_out_and_in_again(app, cara):
    first = signed_in(app, cara)
    before = first.get("/pwa/storage").json
    AuthActions(first).logout()

    after = signed_in(app, cara).get("/pwa/storage").json

    assert after == before  # a queue written before the session ended is found again


def test_the_storage_name_and_key_depend_on_the_secret_key(app, cara):
    from tests.helpers import make_app

    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="another-secret")
    ours = signed_in(app, cara).get("/pwa/storage").json

    try:
        theirs = signed_in(other, cara).get("/pwa/storage").json
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()  # its connections closed now, not when collected

    assert theirs["storage"] != ours["storage"] and theirs["key"] != ours["key"]


# Saved only in its writer's journal ---------------------------------------------------------

WRITTEN = new_body(experience="Written on a shared phone.")


@pytest.mark.parametrize(
    ("queue_of", "status"),
    [(None, 201), ("cara", 201), ("cal", 403), ("nobody known", 403)],
)
def test_a_put_from_someone_elses_queue_is_refused_and_saves_nothing(
    app, cara, cal, queue_of, status
):
    storages = {
        "cara": signed_in(app, cara).get("/pwa/storage").json["storage"],
        "cal": signed_in(app, cal).get("/pwa/storage").json["storage"],
        "nobody known": "0" * 24,
    }
    caras_session = signed_in(app, cara)
    headers = {"X-CSRFToken": caras_session.get("/api/v1/me").json["csrf_token"]}
    if queue_of:
        headers[views.STORAGE_HEADER] = storages[queue_of]
    address = f"/api/v1/reflections/{uuid.uuid4()}"

    answer = caras_session.put(address, json=WRITTEN, headers=headers)

    assert answer.status_code == status
    if status == 403:
        assert answer.json["reason"] == views.STORAGE_REASON
        for person in (cara, cal):
            assert signed_in(app, person).get(address).status_code == 404


def test_a_put_naming_a_storage_with_nobody_signed_in_is_the_apis_own_401(app, client, cara):
    storage = signed_in(app, cara).get("/pwa/storage").json["storage"]

    answer = client.put(
        f"/api/v1/reflections/{uuid.uuid4()}",
        json=WRITTEN,
        headers={views.STORAGE_HEADER: storage},
    )

    assert answer.status_code == 401 and "reason" not in answer.json


# Pages are never kept by the browser's HTTP cache for the next person -------------------------


@pytest.mark.parametrize("path", ["/", "/reflections", "/reflections/new", "/actions", "/account"])
def test_personal_pages_are_not_stored_by_any_http_cache(app, cara, path):
    response = signed_in(app, cara).get(path)

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert csrf_token_of(response.text)


# What the offline client reads from the pages -----------------------------------------------


def test_the_edit_form_carries_the_action_fields_an_offline_put_must_send(app, make, cara):
    from journal.models import ActionStatus

    reflection = make.reflection(
        cara, action_status=ActionStatus.CARRIED.value, action_outcome="Tried it; it helped."
    )
    page = signed_in(app, cara).get(f"/reflections/{reflection.id}/edit").text

    form = re.search(r'<form method="post" novalidate class="reflection"([^>]*)>', page)

    assert form is not None
    assert 'data-action-status="carried"' in form[1]
    assert 'data-action-outcome="Tried it; it helped."' in form[1]


def test_the_offline_page_explains_a_form_that_could_not_be_sent_too(client):
    page = client.get("/offline").text

    assert 'class="not-visited"' in page and 'class="not-sent"' in page
    # The service worker shows the second (data-not-sent) for a form sent with no connection
    # and points "Back" at the form's page (tests/browser/test_offline.py).
    not_sent = re.search(r'<div class="not-sent">(.*?)</div>', page, re.S)
    assert not_sent is not None
    words = " ".join(not_sent[1].split())
    assert "This needs a connection" in words and "so nothing was changed" in words
    # The worker finds the link by `data-back href="…"` (templates/pwa/sw.js).
    assert '<a class="button" data-back href="/">Back to the page you were on</a>' in words


@pytest.mark.parametrize(
    ("path", "script"),
    [
        ("/reflections/new", "writing"),
        ("/reflections/{id}/edit", "writing"),
        ("/reflections", "journal"),
        ("/reflections/{id}", "journal"),
        ("/actions", None),
        ("/", "welcome"),
    ],
)
def test_the_writing_and_journal_scripts_load_only_where_they_act(app, make, cara, path, script):
    reflection = make.reflection(cara)
    page = signed_in(app, cara).get(path.format(id=reflection.id)).text

    loaded = set(re.findall(r'<script src="/static/pwa/(\w+)\.[0-9a-f]{10}\.js"', page))

    assert loaded == {"store", "outbox", "page"} | ({script} if script else set())


def test_a_facilitators_today_loads_no_note_on_installing(app, make, cal):
    make.set(facilitators=[cal])

    today = signed_in(app, cal).get("/").text

    assert "Hello, Cal" in today and "/static/pwa/welcome." not in today


@pytest.mark.parametrize(
    ("path", "statements"),
    [("/sw.js", 0), ("/manifest.webmanifest", 0), ("/offline", 0), ("/pwa/storage", 1)],
)
def test_what_the_worker_and_the_browser_fetch_costs_at_most_the_signed_in_user(
    app, cara, count_queries, path, statements
):
    client = signed_in(app, cara)

    with count_queries() as counted:
        assert client.get(path).status_code == 200

    assert len(counted) == statements  # the signed-in user, with their memberships, at most
