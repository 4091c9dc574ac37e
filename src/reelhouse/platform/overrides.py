"""Overrides of third-party internals, checked at start-up.

An override replaces a method whose body reads a package's private state. Each names the
functions it stands in for and the names those must still use; when an installed version uses
them no more, the override is not applied, the stock path runs, and one warning says so. The
upper bounds in ``pyproject.toml`` keep an untested version from being installed at all.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from importlib.metadata import version

logger = logging.getLogger("reelhouse.overrides")


def missing_internals(relied_on: Mapping[tuple[type, str], frozenset[str]]) -> list[str]:
    """What changed: for each method (a class and a name), that it is gone, or the names (of
    attributes, globals, methods it calls) it no longer refers to."""
    missing: list[str] = []
    for (owner, method), names in relied_on.items():
        function = getattr(owner, method, None)
        code = getattr(inspect.unwrap(function), "__code__", None) if function else None
        if code is None:
            missing.append(f"{owner.__name__}.{method}: gone")
            continue
        referred = {*code.co_names, *code.co_varnames, *code.co_freevars}
        missing.extend(f"{owner.__name__}.{method}: {name}" for name in sorted(names - referred))
    return missing


def applies(override: str, package: str, missing: list[str]) -> bool:
    """Whether ``override`` may be used; if not, warn once that the stock path runs instead."""
    if not missing:
        return True
    logger.warning(
        "%s not applied: %s %s changed its internals (%s); using its stock path",
        override,
        package,
        version(package),
        "; ".join(missing),
        extra={"override": override, "package": package},
    )
    return False
