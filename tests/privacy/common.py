"""What the privacy tests share: the portfolio tests' world (cara with evidence, cal beside her,
ada her assessor, fran her facilitator, and outsiders), plus comments on reflections."""

import io
import json
import zipfile
from dataclasses import dataclass

from sqlalchemy import select

from journal.extensions import db
from journal.models import Reflection
from tests.evidence.portfolio_common import World, build_world

# Words on reflections (not claims): fran's on cara's, cara's on cal's, cal's on his own.
FRANS_COMMENT = "Fran asks: what would you try next time?"
CARAS_COMMENT = "Cara on Cal’s reflection: I saw that too."
CALS_OWN = "Cal answers himself on his own reflection."
CALS_WORDS = "Cal’s own evidence."  # his reflection's experience (build_world)
CARAS_PRIVATE = "Cara’s private thoughts, for her alone."
EVERYONE = ["cara", "cal", "lee", "ada", "abe", "fran", "admin"]


@dataclass
class PrivacyWorld:
    world: World
    caras_private: str  # the id of a private reflection of cara's
    cals_reflection: str


def build(app, make) -> PrivacyWorld:
    world = build_world(app, make)
    with app.app_context():
        mine = db.session.scalars(
            select(Reflection).where(Reflection.author_id == world.cara.id)
        ).all()
        (cals,) = db.session.scalars(
            select(Reflection).where(Reflection.author_id == world.cal.id)
        ).all()
        db.session.expunge_all()
    first = min(mine, key=lambda r: r.created_at)
    make.comment(first, world.fran, FRANS_COMMENT)
    make.comment(cals, world.cara, CARAS_COMMENT)
    make.comment(cals, world.cal, CALS_OWN)
    private = make.reflection(world.cara, visibility="private", experience=CARAS_PRIVATE)
    return PrivacyWorld(world, str(private.id), str(cals.id))


def zip_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.data))


def download_data(visitor) -> zipfile.ZipFile:
    """Ask for my data as the page's button does, wait for it (inline) and download it."""
    asked = visitor.client.post("/account/data", data={"csrf_token": visitor.token})
    assert asked.status_code == 302, asked.text
    assert "Ready, " in visitor.client.get(asked.location).text
    return zip_of(visitor.client.get(f"{asked.location}/download"))


def me_of(archive: zipfile.ZipFile) -> dict:
    return json.loads(archive.read("me.json"))
