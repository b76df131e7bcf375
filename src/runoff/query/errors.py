"""The one error the filter language raises."""

from __future__ import annotations

from runoff.errors import Invalid


class FilterError(Invalid):
    """A filter text the language cannot accept.

    ``column`` is the 1-based position (in characters) of the offending text, or one past the
    end when something is missing there; ``reason`` says what is wrong. The message reads
    ``invalid filter at column 7: unbalanced double quote``.
    """

    def __init__(self, column: int, reason: str) -> None:
        super().__init__(f"invalid filter at column {column}: {reason}")
        self.column = column
        self.reason = reason
