"""Build the aftersales-events wheel: the schemas package under its own name, and a publisher."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE.parents[1] / "schemas"
PACKAGE = "aftersales_events"
# `schemas` is the package's name in the repository; installed, it must not clash with others.
_IMPORT = re.compile(r"^(\s*)(from|import) schemas(\.|\s)", re.MULTILINE)


def stage(target: Path) -> Path:
    """Lay the distribution's sources out under ``target``; returns the package folder."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(HERE / name, target / name)
    package = target / PACKAGE
    shutil.copytree(SCHEMAS, package, ignore=shutil.ignore_patterns("__pycache__"))
    for module in package.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        module.write_text(_IMPORT.sub(rf"\1\2 {PACKAGE}\3", text), encoding="utf-8")
    for own in (HERE / PACKAGE).glob("*.py"):
        shutil.copy(own, package / own.name)
    (package / "__init__.py").write_text(
        '"""The aftersales event contract and a kafka-python publisher."""\n', encoding="utf-8"
    )
    (package / "py.typed").touch()
    return package


def build(out_dir: Path) -> Path:
    """Build the wheel into ``out_dir``; returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp)
        stage(staged)
        subprocess.run(  # noqa: S603 - this interpreter's pip on a folder we just made
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "--no-build-isolation",
                "-w",
                str(out_dir),
                str(staged),
            ],
            check=True,
        )
    (wheel,) = sorted(out_dir.glob("aftersales_events-*.whl"))
    return wheel


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "dist"))
