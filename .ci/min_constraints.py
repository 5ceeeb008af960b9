"""Print pip constraints that pin every declared dependency to its declared lower bound.

`make test-min` installs with these pins and runs the suite, so each `>=` in pyproject.toml is a version the
project has been tested with. The pins are derived from pyproject.toml on every run, never kept in a file of
their own, so they cannot drift from what is declared.

Usage: python .ci/min_constraints.py [pyproject.toml] [extra ...]   (extras default to: test)
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

# "name[extra] >= 1.2.3" possibly followed by ", <upper" or "; marker": the name and its lower bound.
_REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<specs>[^;]*)")
_LOWER_BOUND = re.compile(r">=\s*(?P<version>[0-9][A-Za-z0-9.+!-]*)")


def lower_bound_pins(requirements: list[str]) -> list[str]:
    """One `name==floor` line per requirement; a requirement without a `>=` floor is an error, as it is untested."""
    pins = []
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        floor = _LOWER_BOUND.search(match.group("specs")) if match else None
        if floor is None:
            raise SystemExit(f"{requirement!r} declares no '>=' lower bound, so test-min cannot pin it")
        pins.append(f"{match.group('name')}=={floor.group('version')}")
    return pins


def main(argv: list[str]) -> None:
    pyproject = Path(argv[0]) if argv else Path("pyproject.toml")
    extras = argv[1:] or ["test"]
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    print("\n".join(lower_bound_pins(requirements)))


if __name__ == "__main__":
    main(sys.argv[1:])
