"""The hint under an action's status explains the choices (issue 22, item 15): it must not read
like a status the action already has ("Carried forward: …" under an open action)."""

import pytest

from tests.reflections.test_pages import parse


@pytest.mark.parametrize("status", ["open", "done", "carried"])
def test_the_status_hint_explains_what_carrying_forward_does(auth, make, client, status):
    cara = make.user("Cara Candidate")
    glasgow = make.set("Glasgow 3", candidates=[cara])
    reflection = make.reflection(cara, make.meeting(glasgow, -7), action_status=status)
    auth.login(cara.email)

    page = parse(client.get(f"/actions/{reflection.id}").text)
    select = page.one("select", name=f"a{reflection.id.hex}-action_status")
    hint = page.one("p", id=select.attrs["aria-describedby"].split()[0]).text

    assert hint == "Choose “Carried forward” to report on it again at your set’s next meeting."
