# fortress: ignore-file[SUP002] -- nothing to silence in this file
# fortress-fix: select=SUP004,TYP001,SUP002
from typing import Optional

a = 1  # fortress: ignore[TYP001] -- nothing to silence here
b = 2  # noqa: E501  # fortress: ignore[TYP001] -- after another directive
c = 3
# fortress: ignore[TYP001] -- a comment line of its own goes whole
d = 4
g: Optional[int] = None  # fortress: ignore[TYP001, SUP002] -- only one is used


def f(x: int) -> int:  # fortress: ignore[TYP001, SUP002] -- neither is used
    return x


# Left alone: the directive after the reason would be lost.
e = 5  # fortress: ignore[TYP001] -- stale  # type: ignore[misc]
