"""What action.yml installs: `fortress-lint` pinned by the `version` input,
else by the project's `required-version`, else the latest release.

Usage: python3 action_spec.py VERSION_INPUT WORKSPACE  (prints a pip requirement)
"""

from __future__ import annotations

import os
import sys


def _requirement(version: str) -> str:
    version = version.strip()
    if not version:
        return "fortress-lint"
    if version[0].isdigit():
        return f"fortress-lint=={version}"
    return f"fortress-lint{version}"


def _configured(workspace: str) -> str:
    """`required-version` from fortress.toml, else pyproject.toml's [tool.fortress]."""
    try:
        import tomllib  # Python 3.11+
    except ImportError:
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            print(
                "::notice title=fortress::no TOML parser on this Python (3.11+ has one); "
                "installing the latest fortress-lint, pass `version` to pin it",
                file=sys.stderr,
            )
            return ""
    for name, table in (("fortress.toml", ()), ("pyproject.toml", ("tool", "fortress"))):
        path = os.path.join(workspace, name)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            try:
                data = tomllib.load(f)
            except tomllib.TOMLDecodeError:
                continue
        for key in table:
            data = data.get(key, {}) if isinstance(data, dict) else {}
        if name == "pyproject.toml" and not data:
            continue
        value = data.get("required-version", "") if isinstance(data, dict) else ""
        return value if isinstance(value, str) else ""
    return ""


def main() -> int:
    given = sys.argv[1] if len(sys.argv) > 1 else ""
    workspace = sys.argv[2] if len(sys.argv) > 2 else "."
    print(_requirement(given or _configured(workspace)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
