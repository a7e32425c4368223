"""Input file arguments: several files and glob patterns, checked before anything is published."""

from __future__ import annotations

import glob
from collections.abc import Iterable
from pathlib import Path

from pipeline.common.errors import PipelineError

STDIN = "-"


class NoSuchInput(PipelineError):
    """A file argument names no file, or a pattern matches none."""


def expand_paths(args: Iterable[str]) -> list[str]:
    """Every file the arguments name, in order; patterns (``data/*.csv``) expanded and sorted.

    Shells expand unquoted patterns themselves; this covers quoted ones and shells that do not.
    ``-`` (standard input) is kept as it is. A name that matches nothing is an error, so a typo
    is not mistaken for an empty import.
    """
    out: list[str] = []
    for arg in args:
        if arg == STDIN:
            out.append(arg)
        elif glob.has_magic(arg):
            matches = sorted(p for p in glob.glob(arg, recursive=True) if Path(p).is_file())
            if not matches:
                raise NoSuchInput(f"No file matches {arg!r}.")
            out.extend(matches)
        elif not Path(arg).is_file():
            raise NoSuchInput(f"No such file: {arg}.")
        else:
            out.append(arg)
    return out
