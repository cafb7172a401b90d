# fortress-fix: select=TYP001 target=py39
# Before 3.10 only annotations nothing evaluates are reported, and fixed.
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


def lazy(x: Optional[int]) -> Optional[str]:
    return None


@dataclass
class Evaluated:
    field: Optional[int] = None
