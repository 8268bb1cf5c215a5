"""Errors a user can cause and fix.

The CLI prints ``str(error)`` as one line and exits with status 2 for every ``TdmmError``;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class TdmmError(Exception):
    """A problem with the user's input, flags or files; the message says what and where."""


class MotionFileError(TdmmError):
    """A motion, caption or model file that cannot be read as asked.

    The message reads ``PATH[:ROW][ column NAME]: problem`` so an editor or a grep finds the spot.
    Rows are 1-based file lines (the CSV header is line 1).
    """

    def __init__(self, path: str | Path, problem: str, *, row: int | None = None,
                 column: str | None = None):
        self.path = str(path)
        self.problem = problem
        self.row = row
        self.column = column
        where = self.path + (f":{row}" if row is not None else "")
        if column is not None:   # cut: a hostile file's "column" may be a megabyte long
            where += f" column {column if len(column) <= 60 else column[:57] + '...'!r}"
        super().__init__(f"{where}: {problem}")
