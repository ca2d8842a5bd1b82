"""Problems found in user input, collected rather than raised one at a time.

Every reader and validator in the planner reports what is wrong with a file as a list of
:class:`Problem` records (file, row as the user numbers it, column, message, severity).
Errors mean no plan can be made; warnings are shown but do not block.  Code that cannot go on
raises :class:`InputError`, which carries the full list so that a CLI or the app can show every
problem at once instead of a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Parameters
    ----------
    file : str
        Path of the file as given by the user (or a key path for YAML, e.g. ``measures.yaml``).
    row : int or None
        Row number as the user sees it in the file (1-based, header rows counted), or None.
    column : str or None
        Column header as written in the file (or a YAML key path), or None.
    message : str
        A plain sentence saying what is wrong and, where possible, what is expected.
    severity : {"error", "warning"}
    """

    file: str
    row: int | None
    column: str | None
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        return f"{where}: {self.severity}: {self.message}"

    def to_dict(self) -> dict:
        """The problem as a JSON-ready dict (``file, row, column, message``; severity is implied by the list it is in)."""
        d = asdict(self)
        d.pop("severity")
        return d


@dataclass
class Problems:
    """An ordered collection of :class:`Problem` with convenience accessors."""

    items: list[Problem] = field(default_factory=list)

    def add(self, file, row, column, message, severity=ERROR) -> None:
        """Record a problem at ``file`` / ``row`` / ``column`` (row and column may be None)."""
        self.items.append(Problem(str(file), row, column, message, severity))

    def error(self, file, row, column, message) -> None:
        """Record an error (the input cannot be used)."""
        self.add(file, row, column, message, ERROR)

    def warning(self, file, row, column, message) -> None:
        """Record a warning (the input is used; the user should know)."""
        self.add(file, row, column, message, WARNING)

    def extend(self, other: Iterable[Problem]) -> None:
        """Append the problems of ``other`` (a :class:`Problems` or any iterable of problems)."""
        self.items.extend(other)

    @property
    def errors(self) -> list[Problem]:
        """The errors, in the order found."""
        return [p for p in self.items if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """The warnings, in the order found."""
        return [p for p in self.items if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_json_dict(self) -> dict:
        """The ``planner validate --format json`` document."""
        return {
            "valid": self.ok,
            "errors": [p.to_dict() for p in self.errors],
            "warnings": [p.to_dict() for p in self.warnings],
        }

    def to_json(self) -> str:
        """:meth:`to_json_dict` as indented JSON text (non-ASCII kept)."""
        return json.dumps(self.to_json_dict(), ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        """One line per error, then per warning, and a count line."""
        lines = [str(p) for p in self.errors] + [str(p) for p in self.warnings]
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines)


class InputError(Exception):
    """Raised when input cannot be used; carries every problem found.

    Parameters
    ----------
    problems : Problems or list of Problem
    """

    def __init__(self, problems: Problems | Iterable[Problem]):
        if not isinstance(problems, Problems):
            problems = Problems(list(problems))
        self.problems = problems
        first = problems.errors[0] if problems.errors else None
        summary = str(first) if first else "invalid input"
        if len(problems.errors) > 1:
            summary += f" (and {len(problems.errors) - 1} more error(s))"
        super().__init__(summary)

    @classmethod
    def single(cls, file, message, row=None, column=None) -> InputError:
        """An error carrying one problem."""
        p = Problems()
        p.error(file, row, column, message)
        return cls(p)
