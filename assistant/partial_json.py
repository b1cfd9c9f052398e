"""The items of a JSON reply's top-level array, each as soon as its closing brace arrives.

The model's reply is ``{"statements": [{...}, {...}]}``, streamed a few characters at a time. Showing each
statement while the next is generated needs no full JSON parser: a scanner that knows whether it is inside a
string (where braces and escaped quotes mean nothing) and how deep it is finds where an item starts and ends,
and ``json.loads`` parses that slice. Text that never completes an item yields nothing, and a slice that is
not valid JSON is skipped: the finished reply is parsed and validated in full elsewhere, this is a preview.
"""

from __future__ import annotations

import json
from typing import Any

#: Depth of an item's braces: the top-level object is 1, the array under the key 2, an item 3.
_ARRAY_DEPTH, _ITEM_DEPTH = 2, 3


class ArrayItemStream:
    """Feed text chunks; get each completed object of the array under ``key`` of the top-level object."""

    def __init__(self, key: str = "statements") -> None:
        self.key = key
        self._stack: list[str] = []  # the open brackets, outermost first
        self._in_string = False
        self._escaped = False
        self._top_string: list[str] = []  # a string of the top-level object (a key, perhaps), raw
        self._last_string: str | None = None
        self._key: str | None = None  # the top-level key whose value is being read
        self._in_array = False  # inside the array under ``key``
        self._item: list[str] | None = None  # the text of the item being read; None between items

    def feed(self, text: str) -> list[dict[str, Any]]:
        """The objects completed by ``text``, in order."""
        done: list[dict[str, Any]] = []
        for ch in text:
            if self._item is not None:
                self._item.append(ch)
            if self._in_string:
                self._string_char(ch)
            elif ch == '"':
                self._in_string, self._top_string = True, []
            elif ch in "{[":
                self._open(ch)
            elif ch in "}]":
                item = self._close()
                if item is not None:
                    done.append(item)
            elif ch == ":" and len(self._stack) == 1:
                self._key = self._last_string
            elif ch == "," and len(self._stack) == 1:
                self._key = None
        return done

    def _string_char(self, ch: str) -> None:
        if self._escaped:
            self._escaped = False
        elif ch == "\\":
            self._escaped = True
        elif ch == '"':
            self._in_string = False
            if len(self._stack) == 1:
                try:
                    self._last_string = json.loads('"' + "".join(self._top_string) + '"')
                except ValueError:
                    self._last_string = None
            return
        if len(self._stack) == 1:
            self._top_string.append(ch)

    def _open(self, ch: str) -> None:
        self._stack.append(ch)
        depth = len(self._stack)
        if depth == _ARRAY_DEPTH and ch == "[" and self._key == self.key:
            self._in_array = True
        elif depth == _ITEM_DEPTH and self._in_array and ch == "{":
            self._item = [ch]

    def _close(self) -> dict[str, Any] | None:
        if not self._stack:
            return None
        depth = len(self._stack)
        self._stack.pop()
        if depth == _ITEM_DEPTH and self._item is not None:
            text, self._item = "".join(self._item), None
            try:
                item = json.loads(text)
            except ValueError:
                return None
            return item if isinstance(item, dict) else None
        if depth == _ARRAY_DEPTH:
            self._in_array = False
        return None
