"""The fortress quality gate, installed from the ``fortress-lint`` wheel.

The wheel ships the compiled ``fortress`` binary in the environment's scripts
directory. This package only locates it, for ``python -m fortress`` and for
tools that want to call the binary of the environment they run in::

    import subprocess
    from fortress import find_fortress_bin

    subprocess.run([find_fortress_bin(), "check", "src"], check=False)
"""

from __future__ import annotations

import os
import sys
import sysconfig

__all__ = ["find_fortress_bin"]

_EXE = "fortress" + (sysconfig.get_config_var("EXE") or "")


def _candidate_dirs() -> list[str]:
    """Where an installer may have put the binary, most specific first."""
    dirs = []
    # `pip install`, `uv pip install`, a virtualenv, `pipx`, `uv tool`: the
    # scripts directory of the running interpreter's install scheme.
    dirs.append(sysconfig.get_path("scripts"))
    # `pip install --user`.
    user_scheme = {
        "nt": "nt_user",
        "posix": (
            "osx_framework_user"
            if sys.platform == "darwin" and getattr(sys, "_framework", None)
            else "posix_user"
        ),
    }.get(os.name)
    if user_scheme and user_scheme in sysconfig.get_scheme_names():
        dirs.append(sysconfig.get_path("scripts", scheme=user_scheme))
    # `pip install --target DIR`: the package is DIR/fortress and the binary DIR/bin.
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dirs.append(os.path.join(package_parent, "bin"))
    dirs.append(os.path.join(package_parent, "Scripts"))
    seen = set()
    unique = []
    for d in dirs:
        if d and d not in seen:
            seen.add(d)
            unique.append(d)
    return unique


def find_fortress_bin() -> str:
    """The path of the ``fortress`` binary installed with this package.

    The ``PATH`` is not searched: another installation found there could be a
    different version from the one this package belongs to.
    """
    looked = _candidate_dirs()
    for directory in looked:
        path = os.path.join(directory, _EXE)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(
        "cannot find the fortress binary installed with the fortress-lint package; looked in "
        + ", ".join(looked)
    )
