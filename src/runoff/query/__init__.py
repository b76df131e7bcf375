"""The one-off dyno filter language: ``command:echo "Hello World!" -state:succeeded``.

``parse`` turns text into a ``Filter`` (or raises ``FilterError``); a Filter tests a dyno's
attributes in memory (``matches``) or in SQL (``to_sql``), reads itself out (``describe``)
and writes itself back (``str``). ``Match`` is the single-value matcher monitors reuse.
The language is described in docs/filter-language.md.
"""

from runoff.query.attributes import ATTRIBUTES, DEFAULT_ATTRIBUTE, STATES
from runoff.query.errors import FilterError
from runoff.query.filter import Columns, Filter, Term
from runoff.query.match import Match
from runoff.query.parser import parse

__all__ = [
    "ATTRIBUTES",
    "DEFAULT_ATTRIBUTE",
    "STATES",
    "Columns",
    "Filter",
    "FilterError",
    "Match",
    "Term",
    "parse",
]
