"""``python -m fortress ARGS``: run the installed ``fortress`` binary with ARGS."""

from __future__ import annotations

import os
import subprocess
import sys

from fortress import find_fortress_bin


def main() -> "int | None":
    try:
        binary = find_fortress_bin()
    except FileNotFoundError as err:
        print(f"fortress: {err}", file=sys.stderr)
        return 2
    args = [binary, *sys.argv[1:]]
    if sys.platform == "win32":
        # Windows has no exec that keeps the console and the exit code: wait for the child.
        try:
            return subprocess.run(args, check=False).returncode
        except KeyboardInterrupt:
            return 130
    os.execv(binary, args)
    return None


if __name__ == "__main__":
    sys.exit(main())
