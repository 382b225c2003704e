"""Qualification frameworks: units and assessment criteria loaded from a JSON or CSV file.

Reading a file (`read_framework`) checks all of it and reports every problem with its line and
field, so an admin fixes a file in one go. Importing (`import_framework`) creates the framework,
or updates one with the same code: codes are the keys, so titles, texts and order change in
place, new units and criteria are added, and a criterion the file no longer has is removed only
when no claim names it (evidence is never orphaned). Nothing is written until every check has
passed; the caller commits, so a refusal leaves the database as it was.

The two formats (README.md, "Qualification frameworks"):

- JSON: `{"code", "title", "units": [{"code", "title", "criteria": [{"code", "text"}]}]}`.
- CSV: a header row naming the columns `framework_code, framework_title, unit_code, unit_title,
  criterion_code, criterion_text` (any order), then one row per criterion; units come in the
  order they first appear, and every row of a unit repeats its title.
"""

import bisect
import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..models import ClaimCriterion, Criterion, Framework, Unit, User
from ..text import unstorable

SAMPLE = "data/sample-framework.json"
CODE_LIMIT = 64  # Framework.code, Unit.code, Criterion.code
TITLE_LIMIT = 300  # Framework.title, Unit.title
CRITERION_TEXT_LIMIT = 2_000
CSV_COLUMNS = (
    "framework_code",
    "framework_title",
    "unit_code",
    "unit_title",
    "criterion_code",
    "criterion_text",
)
FORMATS = ("json", "csv")
# Integers in JSON become Decimals: Python's int() refuses more than 4,300 digits (a ValueError,
# not a message), and no field takes a number anyway ("must be text").
JSON_NUMBERS = {"parse_int": Decimal}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: where (line, field) and what."""

    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "the file"
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class FrameworkError(Exception):
    """The file cannot be imported; `problems` says every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


@dataclass
class CriterionData:
    code: str
    text: str
    line: int | None = None


@dataclass
class UnitData:
    code: str
    title: str
    criteria: list[CriterionData] = field(default_factory=list)
    line: int | None = None


@dataclass
class FrameworkData:
    code: str
    title: str
    units: list[UnitData] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import did, for the command's output and the admin's flash message."""

    framework: Framework
    created: bool
    units_added: int = 0
    criteria_added: int = 0
    criteria_changed: int = 0
    units_removed: int = 0
    criteria_removed: int = 0

    def summary(self) -> str:
        verb = "created" if self.created else "updated"
        parts = [
            _counted(self.units_added, "unit", "units", "added"),
            _counted(self.criteria_added, "criterion", "criteria", "added"),
            _counted(self.criteria_changed, "criterion", "criteria", "changed"),
            _counted(self.units_removed, "unit", "units", "removed"),
            _counted(self.criteria_removed, "criterion", "criteria", "removed"),
        ]
        done = ", ".join(p for p in parts if p) or "nothing changed"
        return f"Framework {self.framework.code} ({self.framework.title}) {verb}: {done}."


def _counted(count: int, one: str, many: str, what: str) -> str:
    return f"{count} {one if count == 1 else many} {what}" if count else ""


# Reading a file -----------------------------------------------------------------------------


def format_of(filename: str) -> str | None:
    """ "json" or "csv" by the file's extension, or None."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return extension if extension in FORMATS else None


def read_framework(content: bytes, kind: str) -> FrameworkData:
    """The framework a file describes, or FrameworkError listing everything wrong with it."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise FrameworkError(
            [
                Problem(
                    line,
                    "",
                    f"this is not UTF-8 text (byte 0x{content[error.start]:02x}); save the file"
                    " as UTF-8 and try again",
                )
            ]
        ) from None
    problem = unstorable(text)
    if problem is not None:
        line = text[: text.find("\x00")].count("\n") + 1 if "\x00" in text else None
        raise FrameworkError([Problem(line, "", problem)])
    if not text.strip():
        raise FrameworkError([Problem(None, "", "the file is empty")])
    return _read_json(text) if kind == "json" else _read_csv(text)


def shown(text: str) -> str:
    """`text` as a message may quote it: a lone surrogate as its escape, which pages, terminals
    and logs can all print."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class _Checker:
    """Collects problems while values are checked, so that every one is reported."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, line: int | None, where: str, message: str) -> None:
        self.problems.append(Problem(line, where, message))

    def text(self, value: Any, line: int | None, where: str, limit: int) -> str:
        if value is None:
            self.add(line, where, "is missing")
            return ""
        if not isinstance(value, str):
            self.add(line, where, 'must be text, in "quotes"')
            return ""
        value = value.strip()
        if not value:
            self.add(line, where, "is empty")
        elif len(value) > limit:
            self.add(line, where, f"is {len(value)} characters long; at most {limit} are allowed")
        elif any(ord(c) < 32 and c not in "\t\n\r" for c in value):
            self.add(line, where, "contains a control character")
        elif half := next((c for c in value if "\ud800" <= c <= "\udfff"), None):
            # JSON may escape one half of a UTF-16 pair alone ("\ud800"): no UTF-8 text, so no
            # database, can hold it.
            self.add(
                line,
                where,
                f"contains {shown(half)}, half of a pair of escapes without its other half;"
                " remove it",
            )
        return value

    def done(self, data: FrameworkData) -> FrameworkData:
        units = {}
        said = {(p.line, p.field.rsplit(".", 1)[-1]) for p in self.problems}
        if not data.units and not any(where == "units" for _, where in said):
            self.add(None, "units", "the framework has no units")
        for unit in data.units:
            if unit.code and unit.code in units:
                first = units[unit.code].line
                self.add(
                    unit.line,
                    "unit code",
                    f"{unit.code} appears twice (first at line {first})",
                )
            units.setdefault(unit.code, unit)
            if not unit.criteria and (unit.line, "criteria") not in said:
                self.add(unit.line, "criteria", f"unit {unit.code} has no criteria")
            seen: dict[str, int | None] = {}
            for criterion in unit.criteria:
                if criterion.code and criterion.code in seen:
                    self.add(
                        criterion.line,
                        "criterion code",
                        f"{criterion.code} appears twice in unit {unit.code}"
                        f" (first at line {seen[criterion.code]})",
                    )
                seen.setdefault(criterion.code, criterion.line)
        if self.problems:
            self.problems.sort(key=lambda p: p.line or 0)
            raise FrameworkError(self.problems)
        return data


def _read_json(text: str) -> FrameworkData:
    try:
        document = json.loads(text, **JSON_NUMBERS)
        if not isinstance(document, dict):
            message = "the file must hold one JSON object {…} with code, title and units"
            raise FrameworkError([Problem(1, "", message)])
        lines = _json_lines(text)
    except json.JSONDecodeError as error:
        raise FrameworkError(
            [Problem(error.lineno, "", f"not valid JSON: {error.msg} (column {error.colno})")]
        ) from None
    except RecursionError:
        raise FrameworkError(
            [Problem(None, "", "lists or objects are nested too deeply")]
        ) from None
    check = _Checker()

    def line(*path: str | int) -> int | None:
        return lines.get(path)

    def obj(value: Any, path: tuple, where: str, keys: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            check.add(line(*path), where, "must be an object {…}")
            return {}
        for key in value.keys() - set(keys):
            check.add(line(*path, key), shown(key), f"unknown field (expected {', '.join(keys)})")
        return value

    def listed(value: Any, path: tuple, where: str) -> list:
        if value is None:
            check.add(line(*path[:-1]), where, "is missing")
            return []
        if not isinstance(value, list):
            check.add(line(*path), where, "must be a list […]")
            return []
        return value

    top = obj(document, (), "", ("code", "title", "units"))
    data = FrameworkData(
        code=check.text(top.get("code"), line("code") or 1, "code", CODE_LIMIT),
        title=check.text(top.get("title"), line("title") or 1, "title", TITLE_LIMIT),
    )
    for u, unit_value in enumerate(listed(top.get("units"), ("units",), "units")):
        at = ("units", u)
        unit_doc = obj(unit_value, at, f"units[{u}]", ("code", "title", "criteria"))
        unit = UnitData(
            code=check.text(
                unit_doc.get("code"), line(*at, "code") or line(*at), f"units[{u}].code", CODE_LIMIT
            ),
            title=check.text(
                unit_doc.get("title"),
                line(*at, "title") or line(*at),
                f"units[{u}].title",
                TITLE_LIMIT,
            ),
            line=line(*at),
        )
        data.units.append(unit)
        criteria = listed(unit_doc.get("criteria"), (*at, "criteria"), f"units[{u}].criteria")
        for c, criterion_value in enumerate(criteria):
            where = f"units[{u}].criteria[{c}]"
            cat = (*at, "criteria", c)
            criterion_doc = obj(criterion_value, cat, where, ("code", "text"))
            unit.criteria.append(
                CriterionData(
                    code=check.text(
                        criterion_doc.get("code"),
                        line(*cat, "code") or line(*cat),
                        f"{where}.code",
                        CODE_LIMIT,
                    ),
                    text=check.text(
                        criterion_doc.get("text"),
                        line(*cat, "text") or line(*cat),
                        f"{where}.text",
                        CRITERION_TEXT_LIMIT,
                    ),
                    line=line(*cat),
                )
            )
    return check.done(data)


def _json_lines(text: str) -> dict[tuple, int]:
    """The line each value of a (valid) JSON document starts on, by its path of keys and
    indexes: Python's json module parses without keeping positions."""
    newlines = [i for i, char in enumerate(text) if char == "\n"]
    decoder = json.JSONDecoder(**JSON_NUMBERS)
    found: dict[tuple, int] = {}

    def skip(at: int) -> int:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        return at

    def value(at: int, path: tuple) -> int:
        at = skip(at)
        found[path] = bisect.bisect_left(newlines, at) + 1
        if text[at] == "{":
            at = skip(at + 1)
            while text[at] != "}":
                key, at = json.decoder.scanstring(text, at + 1)
                at = skip(skip(at) + 1)  # past the colon
                at = skip(value(at, (*path, key)))
                if text[at] == ",":
                    at = skip(at + 1)
            return at + 1
        if text[at] == "[":
            at, index = skip(at + 1), 0
            while text[at] != "]":
                at = skip(value(at, (*path, index)))
                index += 1
                if text[at] == ",":
                    at = skip(at + 1)
            return at + 1
        return decoder.raw_decode(text, at)[1]

    value(0, ())
    return found


def _read_csv(text: str) -> FrameworkData:
    check = _Checker()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []  # (the line a row starts on, its cells)
    try:
        start = 1
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as error:
        raise FrameworkError([Problem(reader.line_num, "", f"not valid CSV: {error}")]) from None
    header = [name.strip().lower() for name in rows[0][1]]
    missing = [name for name in CSV_COLUMNS if name not in header]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    repeated = sorted({name for name in header if header.count(name) > 1})
    for name in missing:
        check.add(1, name, "column missing from the header row")
    for name in unknown:
        check.add(1, name or "(blank)", f"unknown column (expected {', '.join(CSV_COLUMNS)})")
    for name in repeated:
        check.add(1, name, "column named twice")
    if check.problems:
        raise FrameworkError(check.problems)
    data: FrameworkData | None = None
    units: dict[str, UnitData] = {}
    for number, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue  # a blank line, as spreadsheets leave at the end
        if len(row) != len(header):
            check.add(number, "", f"has {len(row)} columns; the header has {len(header)}")
            continue
        cells = dict(zip(header, row, strict=True))

        def cell(name: str, limit: int, number: int = number, cells: dict = cells) -> str:
            return check.text(cells[name], number, name, limit)

        framework_code = cell("framework_code", CODE_LIMIT)
        framework_title = cell("framework_title", TITLE_LIMIT)
        if data is None:
            data = FrameworkData(code=framework_code, title=framework_title)
        else:
            if framework_code and data.code and framework_code != data.code:
                check.add(number, "framework_code", f"{framework_code} is not {data.code}")
            if framework_title and data.title and framework_title != data.title:
                check.add(number, "framework_title", "differs from the first row's")
        unit_code, unit_title = cell("unit_code", CODE_LIMIT), cell("unit_title", TITLE_LIMIT)
        unit = units.get(unit_code)
        if unit is None:
            unit = units[unit_code] = UnitData(code=unit_code, title=unit_title, line=number)
            data.units.append(unit)
        elif unit_title and unit.title and unit_title != unit.title:
            check.add(
                number, "unit_title", f"differs from unit {unit_code}'s title at line {unit.line}"
            )
        unit.criteria.append(
            CriterionData(
                code=cell("criterion_code", CODE_LIMIT),
                text=cell("criterion_text", CRITERION_TEXT_LIMIT),
                line=number,
            )
        )
    if data is None:
        raise FrameworkError([*check.problems, Problem(None, "", "the file has no criteria rows")])
    return check.done(data)


# Importing ----------------------------------------------------------------------------------


def import_framework(data: FrameworkData, actor: User | None = None) -> ImportReport:
    """Create the framework, or update the one with the same code; FrameworkError (and nothing
    changed) when the file would remove criteria that have evidence. The caller commits."""
    query = select(Framework).where(Framework.code == data.code)
    framework = db.session.scalar(
        query.options(selectinload(Framework.units).selectinload(Unit.criteria))
    )
    created = framework is None
    if framework is None:
        framework = Framework(code=data.code, title=data.title)
        db.session.add(framework)
    report = ImportReport(framework=framework, created=created)
    if not created:
        _refuse_removing_evidence(framework, data)
    framework.title = data.title
    existing = {unit.code: unit for unit in framework.units}
    wanted = {unit.code for unit in data.units}
    for unit in list(framework.units):
        if unit.code not in wanted:
            report.units_removed += 1
            report.criteria_removed += len(unit.criteria)
            framework.units.remove(unit)
    for position, unit_data in enumerate(data.units):
        unit = existing.get(unit_data.code)
        if unit is None:
            unit = Unit(code=unit_data.code, title=unit_data.title)
            framework.units.append(unit)
            report.units_added += 1
        unit.title, unit.position = unit_data.title, position
        _update_criteria(unit, unit_data, report)
    session = db.session
    changed = bool(session.new or session.deleted) or any(map(session.is_modified, session.dirty))
    session.flush()
    if not changed:
        return report  # the same file again (the seeder loads the sample on every run)
    audit.record(
        actor,
        "framework.imported",
        "framework",
        framework.id,
        created=created,
        units_added=report.units_added,
        criteria_added=report.criteria_added,
        criteria_changed=report.criteria_changed,
        units_removed=report.units_removed,
        criteria_removed=report.criteria_removed,
    )
    return report


def _update_criteria(unit: Unit, unit_data: UnitData, report: ImportReport) -> None:
    criteria = {criterion.code: criterion for criterion in unit.criteria}
    wanted = {criterion.code for criterion in unit_data.criteria}
    for criterion in list(unit.criteria):
        if criterion.code not in wanted:
            unit.criteria.remove(criterion)
            report.criteria_removed += 1
    for position, criterion_data in enumerate(unit_data.criteria):
        criterion = criteria.get(criterion_data.code)
        if criterion is None:
            criterion = Criterion(code=criterion_data.code, text=criterion_data.text)
            unit.criteria.append(criterion)
            report.criteria_added += 1
        elif criterion.text != criterion_data.text:
            report.criteria_changed += 1
        criterion.text, criterion.position = criterion_data.text, position


def _refuse_removing_evidence(framework: Framework, data: FrameworkData) -> None:
    """FrameworkError naming every criterion the file leaves out that a claim names (any claim:
    withdrawn ones too, whose record still points at it)."""
    kept = {(unit.code, c.code) for unit in data.units for c in unit.criteria}
    dropped = {
        criterion.id: (unit.code, criterion.code)
        for unit in framework.units
        for criterion in unit.criteria
        if (unit.code, criterion.code) not in kept
    }
    if not dropped:
        return
    claimed = db.session.execute(
        select(ClaimCriterion.criterion_id, func.count())
        .where(ClaimCriterion.criterion_id.in_(dropped))
        .group_by(ClaimCriterion.criterion_id)
    ).all()
    problems = [
        Problem(
            None,
            f"unit {dropped[criterion_id][0]}, criterion {dropped[criterion_id][1]}",
            f"is not in the file but {count} claim{'s' if count != 1 else ''} of evidence"
            f" name{'s' if count == 1 else ''} it, so it cannot be removed; keep it in the file",
        )
        for criterion_id, count in sorted(claimed, key=lambda row: dropped[row[0]])
    ]
    if problems:
        raise FrameworkError(problems)


# The sample framework -----------------------------------------------------------------------


def sample_framework() -> FrameworkData:
    """The Level 7 sample framework shipped in the package (journal/data/)."""
    content = resources.files("journal").joinpath(SAMPLE).read_bytes()
    return read_framework(content, "json")


def load_framework(data: FrameworkData | None = None) -> Framework:
    """Import a framework (the sample by default) as the demo and the seeder do."""
    return import_framework(data or sample_framework()).framework
