"""Reading numbers from addresses, and paging: one way for every blueprint."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy import ColumnElement, Select
from werkzeug.routing import IntegerConverter

from .extensions import db
from .models import LARGEST_ID
from .text import unstorable


def positive_id(value: str) -> int:
    """`value` as an id or page number; ValueError for anything a row cannot have.

    Only ASCII digits: `int()` alone also takes " 7", "٣" and "1_000".
    """
    if not (value.isascii() and value.isdigit()):
        raise ValueError(value)
    number = int(value)
    if not 0 < number <= LARGEST_ID:
        raise ValueError(value)
    return number


def number_arg(name: str) -> int | None:
    """An id or a page number from the query string; None (ignored) for anything else, such as
    "abc" or a number too big for the database (SQLite cannot bind one past 64 bits)."""
    return request.args.get(name, type=positive_id)


SEARCH_LIMIT = 100


def search_arg(name: str = "q") -> str:
    """What to search for (`q`, or another `name`), trimmed; empty for text no database can
    take (a NUL)."""
    text = request.args.get(name, "").strip()[:SEARCH_LIMIT]
    return "" if unstorable(text) else text


def contains(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """`column` holds `text`, ignoring case; % and _ in `text` are letters, not wildcards."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


@dataclass
class Page:
    """One page of a list: its items, and whether there are pages before and after it.

    No total: counting every row on each visit costs as much as the rows a list has, and
    "Newer" / "Older" is all a reader of a journal needs.
    """

    items: list
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def paginate(
    query: Select, param: str = "page", load: Callable[[Select], Select] | None = None
) -> Page:
    """One page of `query`, the page number read from the address's `param`.

    One row more than a page is asked for, to know whether another page follows. `load`, if
    given, turns that limited query into the statement that is run (see
    `reflections.overview.page_with_people`).
    """
    number = number_arg(param) or 1
    size = current_app.config["PAGE_SIZE"]
    limited = query.limit(size + 1).offset((number - 1) * size)
    rows = db.session.scalars(load(limited) if load else limited).unique().all()
    return Page(items=list(rows[:size]), page=number, has_next=len(rows) > size)


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a positive whole number a row can have, else 404."""

    # ASCII digits only: Werkzeug's \d+ also matches "٣", which int() reads as 3.
    regex = r"[0-9]+"

    def __init__(self, map, **kwargs) -> None:
        super().__init__(map, min=1, max=LARGEST_ID, **kwargs)
