"""Qualification frameworks: units and assessment criteria loaded from a structured file."""

import json
from importlib import resources
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Criterion, Framework, Unit


def sample_framework() -> dict[str, Any]:
    text = resources.files("journal").joinpath("data/sample-framework.json").read_text()
    return json.loads(text)


def load_framework(data: dict[str, Any]) -> Framework:
    """Create the framework, or update its titles and texts in place (codes are the keys)."""
    framework = db.session.scalar(select(Framework).where(Framework.code == data["code"]))
    if framework is None:
        framework = Framework(code=data["code"], title=data["title"])
        db.session.add(framework)
    framework.title = data["title"]
    units = {unit.code: unit for unit in framework.units}
    for position, unit_data in enumerate(data["units"]):
        unit = units.get(unit_data["code"])
        if unit is None:
            unit = Unit(code=unit_data["code"])
            framework.units.append(unit)
        unit.title, unit.position = unit_data["title"], position
        criteria = {criterion.code: criterion for criterion in unit.criteria}
        for index, criterion_data in enumerate(unit_data["criteria"]):
            criterion = criteria.get(criterion_data["code"])
            if criterion is None:
                criterion = Criterion(code=criterion_data["code"])
                unit.criteria.append(criterion)
            criterion.text, criterion.position = criterion_data["text"], index
    db.session.flush()
    return framework
