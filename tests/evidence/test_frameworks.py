"""Frameworks from JSON or CSV: a good file loads; a bad one is refused whole, with every problem
by line and field; a changed file updates in place and never orphans evidence."""

import json

import pytest
from sqlalchemy import select

from journal.evidence.frameworks import (
    CSV_COLUMNS,
    FrameworkError,
    import_framework,
    read_framework,
    sample_framework,
)
from journal.extensions import db
from journal.models import AuditEvent, ClaimCriterion, Criterion, Decision, Framework
from tests.factories import table_rows

from .portfolio_common import World, build_world, decide, offer


@pytest.fixture
def world(app, make) -> World:
    return build_world(app, make)


SMALL = {
    "code": "L5-TEST",
    "title": "Level 5 test framework",
    "units": [
        {
            "code": "501",
            "title": "Leading people",
            "criteria": [
                {"code": "1.1", "text": "Lead a team through a change."},
                {"code": "1.2", "text": "Give feedback that helps — “kindly”."},
            ],
        },
        {"code": "502", "title": "Planning", "criteria": [{"code": "2.1", "text": "Plan work."}]},
    ],
}
SMALL_CSV = (
    "framework_code,framework_title,unit_code,unit_title,criterion_code,criterion_text\n"
    "L5-TEST,Level 5 test framework,501,Leading people,1.1,Lead a team through a change.\n"
    'L5-TEST,Level 5 test framework,501,Leading people,1.2,"Give feedback that helps — “kindly”."\n'
    "L5-TEST,Level 5 test framework,502,Planning,2.1,Plan work.\n"
)


def as_json(document: dict) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False).encode()


def loaded(app, code: str = "L5-TEST") -> dict:
    """The framework as stored: {unit code: (title, [(criterion code, text)])}, in order."""
    with app.app_context():
        framework = db.session.scalar(select(Framework).where(Framework.code == code))
        return {
            "title": framework.title,
            "units": [
                (u.code, u.title, [(c.code, c.text) for c in u.criteria]) for u in framework.units
            ],
        }


def load(app, content: bytes, kind: str = "json"):
    with app.app_context():
        report = import_framework(read_framework(content, kind))
        db.session.commit()
        return report.summary()


EXPECTED = {
    "title": "Level 5 test framework",
    "units": [
        (
            "501",
            "Leading people",
            [
                ("1.1", "Lead a team through a change."),
                ("1.2", "Give feedback that helps — “kindly”."),
            ],
        ),
        ("502", "Planning", [("2.1", "Plan work.")]),
    ],
}


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (as_json(SMALL), "json"),
        (SMALL_CSV.encode(), "csv"),
        (b"\xef\xbb\xbf" + SMALL_CSV.encode(), "csv"),
    ],
    ids=["json", "csv", "csv with a byte order mark"],
)
def test_a_good_file_loads(app, content, kind):
    summary = load(app, content, kind)

    assert loaded(app) == EXPECTED
    assert (
        summary
        == "Framework L5-TEST (Level 5 test framework) created: 2 units added, 3 criteria added."
    )


def test_the_sample_level_7_framework_ships_with_the_package():
    sample = sample_framework()

    assert sample.code == "L7-SML-SAMPLE"
    assert [u.code for u in sample.units] == ["701", "702", "703", "704"]
    assert sum(len(u.criteria) for u in sample.units) == 11


def unit(code="501", title="Leading people", criteria=None):
    return {
        "code": code,
        "title": title,
        "criteria": criteria or [{"code": "1.1", "text": "Lead."}],
    }


def framework(*units, **top):
    return {"code": "L5-TEST", "title": "Level 5", "units": list(units) or [unit()], **top}


BAD_JSON = [
    (
        "bad JSON",
        b'{"code": "X",\n  "title": }',
        ["line 2: not valid JSON: Expecting value (column 12)"],
    ),
    (
        "missing field",
        as_json(framework(unit(), {"code": "502", "criteria": [{"code": "2.1", "text": "x"}]})),
        ["line 15, units[1].title: is missing"],
    ),
    (
        "missing criteria",
        as_json(framework({"code": "501", "title": "T"})),
        ["line 5, units[0].criteria: is missing"],
    ),
    (
        "duplicate unit code",
        as_json(framework(unit(), unit(title="Again"))),
        ["line 15, unit code: 501 appears twice (first at line 5)"],
    ),
    (
        "duplicate criterion code",
        as_json(
            framework(unit(criteria=[{"code": "1.1", "text": "a"}, {"code": "1.1", "text": "b"}]))
        ),
        ["line 13, criterion code: 1.1 appears twice in unit 501 (first at line 9)"],
    ),
    (
        "empty text",
        as_json(framework(unit(criteria=[{"code": "1.1", "text": "   "}]))),
        ["line 11, units[0].criteria[0].text: is empty"],
    ),
    (
        "too long",
        as_json(framework(title="T" * 301)),
        ["line 3, title: is 301 characters long; at most 300 are allowed"],
    ),
    (
        "a number for a code",
        as_json(framework(unit(code=701))),
        ['line 6, units[0].code: must be text, in "quotes"'],
    ),
    (
        "wrong type",
        as_json(framework(units={"501": "x"})),
        ["line 4, units: must be a list […]"],
    ),
    (
        "unknown field",
        as_json(framework(unit(criteria=[{"code": "1.1", "text": "a", "txet": "b"}]))),
        ["line 12, txet: unknown field (expected code, text)"],
    ),
    ("no units", as_json(framework(units=[])), ["the file, units: the framework has no units"]),
    (
        "not an object",
        b"[1, 2]",
        ["line 1: the file must hold one JSON object {…} with code, title and units"],
    ),
    (
        "wrong encoding",
        '{"code": "X",\n"title": "Zoë"}'.encode("latin-1"),
        ["line 2: this is not UTF-8 text (byte 0xeb); save the file as UTF-8 and try again"],
    ),
    ("a NUL", b'{"code":\n "X\x00"}', ["line 2: This text contains a null character; remove it."]),
    (
        "an escaped control character",
        as_json(framework(code="L5\u0007")),
        ["line 2, code: contains a control character"],
    ),
    (
        "an escaped lone surrogate",
        as_json(framework(unit(title="Bad @ title"))).replace(b"@", b"\\ud800"),
        [
            "line 7, units[0].title: contains \\ud800, half of a pair of escapes without its"
            " other half; remove it"
        ],
    ),
    (
        "a lone surrogate in a field's name",
        as_json(framework(extra=1)).replace(b"extra", b"\\udfff"),
        ["line 16, \\udfff: unknown field (expected code, title, units)"],
    ),
    (
        "a 5,000-digit number",
        as_json(framework(unit(code=701))).replace(b"701", b"7" * 5_000),
        ['line 6, units[0].code: must be text, in "quotes"'],
    ),
    (
        "a 5,000-digit number where nothing is expected",
        as_json(framework(extra=1)).replace(b"1\n}", b"9" * 5_000 + b"\n}"),
        ["line 16, extra: unknown field (expected code, title, units)"],
    ),
    ("empty file", b"  \n", ["the file: the file is empty"]),
    (
        "nested too deeply",
        b'{"units": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
        ["the file: lists or objects are nested too deeply"],
    ),
]


@pytest.mark.parametrize(
    ("content", "problems"), [b[1:] for b in BAD_JSON], ids=[b[0] for b in BAD_JSON]
)
def test_a_bad_json_file_is_refused_with_every_problem(app, content, problems):
    before = table_rows(app)

    with pytest.raises(FrameworkError) as refused, app.app_context():
        import_framework(read_framework(content, "json"))

    assert [str(p) for p in refused.value.problems] == problems
    assert table_rows(app) == before


HEADER = ",".join(CSV_COLUMNS)
ROW = "L5,Level 5,501,Leading people,1.1,Lead."
BAD_CSV = [
    (
        "missing column",
        "framework_code,framework_title,unit_code,criterion_code,criterion_text\nL5,T,501,1.1,x\n",
        ["line 1, unit_title: column missing from the header row"],
    ),
    (
        "unknown column",
        HEADER + ",notes\n" + ROW + ",x\n",
        [f"line 1, notes: unknown column (expected {', '.join(CSV_COLUMNS)})"],
    ),
    (
        "short row",
        f"{HEADER}\n{ROW}\nL5,Level 5,501\n",
        ["line 3: has 3 columns; the header has 6"],
    ),
    (
        "empty text",
        f"{HEADER}\n{ROW}\nL5,Level 5,501,Leading people,1.2, \n",
        ["line 3, criterion_text: is empty"],
    ),
    (
        "duplicate code",
        f"{HEADER}\n{ROW}\n{ROW}\n",
        ["line 3, criterion code: 1.1 appears twice in unit 501 (first at line 2)"],
    ),
    (
        "another framework's row",
        f"{HEADER}\n{ROW}\nL6,Level 5,501,Leading people,1.2,x\n",
        ["line 3, framework_code: L6 is not L5"],
    ),
    (
        "a unit's title differs",
        f"{HEADER}\n{ROW}\nL5,Level 5,501,Leading,1.2,x\n",
        ["line 3, unit_title: differs from unit 501's title at line 2"],
    ),
    (
        "too long",
        f"{HEADER}\n{ROW}\nL5,Level 5,502,Plan,{'9' * 65},x\n",
        ["line 3, criterion_code: is 65 characters long; at most 64 are allowed"],
    ),
    ("header only", f"{HEADER}\n", ["the file: the file has no criteria rows"]),
    (
        "broken quoting",
        f'{HEADER}\n{ROW}\nL5,"Level 5"x,501\n',
        ["line 3: not valid CSV: ',' expected after '\"'"],
    ),
]


@pytest.mark.parametrize(
    ("content", "problems"), [b[1:] for b in BAD_CSV], ids=[b[0] for b in BAD_CSV]
)
def test_a_bad_csv_file_is_refused_with_every_problem(app, content, problems):
    before = table_rows(app)

    with pytest.raises(FrameworkError) as refused, app.app_context():
        import_framework(read_framework(content.encode(), "csv"))

    assert [str(p) for p in refused.value.problems] == problems
    assert table_rows(app) == before


def test_a_csv_file_cannot_carry_a_lone_surrogate_either():
    """CSV has no escapes: a surrogate could only come as its three UTF-8 bytes, which are
    not UTF-8 text."""
    content = f"{HEADER}\n{ROW}\n".encode() + b"L5,Level 5,502,Bad \xed\xa0\x80,2.1,x\n"

    with pytest.raises(FrameworkError) as refused:
        read_framework(content, "csv")

    assert [str(p) for p in refused.value.problems] == [
        "line 3: this is not UTF-8 text (byte 0xed); save the file as UTF-8 and try again"
    ]


def test_every_problem_is_reported_not_only_the_first():
    content = f"{HEADER}\nL5,,501,Leading people,1.1,\nL5,Level 5,,Leading people,1.2,x\n{ROW}\n"

    with pytest.raises(FrameworkError) as refused:
        read_framework(content.encode(), "csv")

    assert [str(p) for p in refused.value.problems] == [
        "line 2, framework_title: is empty",
        "line 2, criterion_text: is empty",
        "line 3, unit_code: is empty",
        "line 4, criterion code: 1.1 appears twice in unit 501 (first at line 2)",
    ]


# Importing a changed file --------------------------------------------------------------------


def changed_sample(change) -> bytes:
    document = json.loads(as_json_sample())
    change(document)
    return as_json(document)


def as_json_sample() -> bytes:
    sample = sample_framework()
    return as_json(
        {
            "code": sample.code,
            "title": sample.title,
            "units": [
                {
                    "code": u.code,
                    "title": u.title,
                    "criteria": [{"code": c.code, "text": c.text} for c in u.criteria],
                }
                for u in sample.units
            ],
        }
    )


def claims_state(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(ClaimCriterion).order_by(ClaimCriterion.id))
        return [(r.claim_id, r.criterion_id, r.decision, r.feedback) for r in rows]


def test_a_changed_file_updates_texts_and_adds_without_breaking_claims(app, world):
    before = claims_state(app)

    def change(document):
        document["title"] = "Level 7 (2027 edition)"
        document["units"][0]["criteria"][1]["text"] = "Seek and act on feedback (reworded)."
        document["units"][2]["criteria"].append({"code": "3.4", "text": "Coach a peer."})
        document["units"].append(
            {"code": "705", "title": "Ethics", "criteria": [{"code": "5.1", "text": "Act."}]}
        )

    summary = load(app, changed_sample(change))

    assert summary == (
        "Framework L7-SML-SAMPLE (Level 7 (2027 edition)) updated: 1 unit added,"
        " 2 criteria added, 1 criterion changed."
    )
    assert claims_state(app) == before  # same criteria, same decisions
    with app.app_context():
        texts = {c.code: c.text for c in db.session.scalars(select(Criterion))}
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "framework.imported")
        ).all()
    assert texts["1.2"] == "Seek and act on feedback (reworded)."
    assert {"3.4", "5.1"} <= texts.keys()
    assert event[-1].detail["criteria_added"] == 2


def test_removing_a_criterion_with_evidence_is_refused_naming_it(app, world):
    before = table_rows(app)

    def change(document):
        document["units"][0]["criteria"] = document["units"][0]["criteria"][:1]  # drops 1.2, 1.3
        document["units"][3]["criteria"] = document["units"][3]["criteria"][1:]  # drops 4.1

    with pytest.raises(FrameworkError) as refused, app.app_context():
        import_framework(read_framework(changed_sample(change), "json"))

    assert [str(p) for p in refused.value.problems] == [
        "the file, unit 701, criterion 1.2: is not in the file but 1 claim of evidence names it,"
        " so it cannot be removed; keep it in the file",
        # A withdrawn claim still counts: its record points at the criterion.
        "the file, unit 704, criterion 4.1: is not in the file but 1 claim of evidence names it,"
        " so it cannot be removed; keep it in the file",
    ]
    assert table_rows(app) == before


def test_removing_criteria_and_units_without_evidence_is_allowed(app, world):
    def change(document):
        document["units"][0]["criteria"] = document["units"][0]["criteria"][:2]  # drops 1.3

    summary = load(app, changed_sample(change))

    assert summary.endswith("updated: 1 criterion removed.")
    with app.app_context():
        assert "1.3" not in {c.code for c in db.session.scalars(select(Criterion))}


def test_the_same_file_again_changes_nothing(app, world):
    before = table_rows(app)

    summary = load(app, as_json_sample())

    assert summary.endswith("updated: nothing changed.")
    assert table_rows(app) == before


# The command -----------------------------------------------------------------------------------


def test_the_command_imports_a_file(runner, app, tmp_path):
    path = tmp_path / "level5.csv"
    path.write_text(SMALL_CSV)

    result = runner.invoke(args=["framework", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "Framework L5-TEST (Level 5 test framework) created" in result.output
    assert loaded(app) == EXPECTED


def test_the_command_lists_every_problem_and_loads_nothing(runner, app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(f"{HEADER}\nL5,,501,Leading people,1.1,\n")
    before = table_rows(app)

    result = runner.invoke(args=["framework", "import", str(path)])

    assert result.exit_code == 1
    assert "bad.csv was not imported; 2 problems:" in result.output
    assert "line 2, framework_title: is empty" in result.output
    assert "line 2, criterion_text: is empty" in result.output
    assert table_rows(app) == before


def test_the_command_names_a_lone_surrogate_and_loads_nothing(runner, app, tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(json.dumps(framework(unit(title="Bad \ud800 title"))).encode())
    before = table_rows(app)

    result = runner.invoke(args=["framework", "import", str(path)])

    assert result.exit_code == 1
    assert "units[0].title: contains \\ud800, half of a pair of escapes" in result.output
    assert table_rows(app) == before


def test_a_surrogate_pair_is_the_character_it_encodes():
    content = json.dumps(framework(unit(title="Smile \U0001f600"))).encode()
    assert b"\\ud83d\\ude00" in content

    assert read_framework(content, "json").units[0].title == "Smile \U0001f600"


def test_the_command_asks_for_a_format_it_cannot_tell(runner, app, tmp_path):
    path = tmp_path / "framework.txt"
    path.write_bytes(as_json(SMALL))

    refused = runner.invoke(args=["framework", "import", str(path)])
    accepted = runner.invoke(args=["framework", "import", "--format", "json", str(path)])

    assert refused.exit_code == 1
    assert "Say --format json or --format csv" in refused.output
    assert accepted.exit_code == 0, accepted.output


def test_a_decided_criterion_keeps_its_decision_through_a_reimport(app, world, make):
    claim = offer(app, make.reflection(world.cara), world.enrolment, ["1.3"])
    decide(app, claim, "1.3", Decision.ACCEPTED, "Yes.")

    load(app, changed_sample(lambda d: d["units"][0]["criteria"].reverse()))

    with app.app_context():
        kept = db.session.scalar(select(ClaimCriterion).where(ClaimCriterion.claim_id == claim))
        assert (kept.criterion.code, kept.decision, kept.criterion.position) == (
            "1.3",
            "accepted",
            0,
        )
