# fortress-fix: select=TYP001
from typing import Dict, List, Optional, Union
import typing as t


def find(user_id: Optional[int], name: Union[str, None] = None) -> Optional[str]:
    value: Optional[int] = None
    return None if value is None else str(value)


def nested(a: Optional[Union[int, None]], b: Dict[str, Optional[int]], c: Optional[List[Optional[str]]]) -> None:
    pass


def quoted(user: Optional["User"], pair: Union["User", None], many: Union["User", int, None]) -> None:
    pass


def attribute(x: t.Optional[bytes], y: t.Union[None, str]) -> None:
    pass


def string_annotation(x: "Optional[int]", y: "list[Optional[str]]") -> None:
    pass


Alias = Optional[int]

# Left alone: the rewrite would lose the comment.
kept: Optional[  # the comment stays
    int
] = None


class User:
    pass
