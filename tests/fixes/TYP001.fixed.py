# fortress-fix: select=TYP001
from typing import Dict, List, Optional, Union
import typing as t


def find(user_id: int | None, name: str | None = None) -> str | None:
    value: int | None = None
    return None if value is None else str(value)


def nested(a: int | None, b: Dict[str, int | None], c: List[str | None] | None) -> None:
    pass


def quoted(user: "User | None", pair: "User | None", many: "User | int | None") -> None:
    pass


def attribute(x: bytes | None, y: None | str) -> None:
    pass


def string_annotation(x: "int | None", y: "list[str | None]") -> None:
    pass


Alias = int | None

# Left alone: the rewrite would lose the comment.
kept: Optional[  # the comment stays
    int
] = None


class User:
    pass
