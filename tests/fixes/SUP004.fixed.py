# fortress-fix: select=SUP004,TYP001,SUP002
from typing import Optional

a = 1
b = 2  # noqa: E501
c = 3
d = 4
g: Optional[int] = None  # fortress: ignore[TYP001] -- only one is used


def f(x: int) -> int:
    return x


# Left alone: the directive after the reason would be lost.
e = 5  # fortress: ignore[TYP001] -- stale  # type: ignore[misc]
