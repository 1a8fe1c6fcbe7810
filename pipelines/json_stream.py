"""The items of a JSON object's arrays, each as soon as it closes, in a text that arrives piece by
piece (an LLM writing under a JSON schema): `{"characters": [{...}, {...}], "scenes": [{...}, ...]}`
gives ("characters", 0, {...}), ("characters", 1, {...}), ("scenes", 0, {...}), ... in order.

Only objects directly inside an array that is a value of the top-level object are reported; what
is inside them (nested arrays, strings with brackets or escaped quotes) is skipped over by a small
scanner that reads every character once.
"""

import json
from collections.abc import Callable

ItemHook = Callable[[str, int, dict], None]  # the array's key, the item's index in it, the item

ITEM = ["{", "[", "{"]  # the open brackets around an item: the top-level object, its array, the item


class ArrayItems:
    def __init__(self, on_item: ItemHook):
        self.on_item = on_item
        self.text: list[str] = []
        self.open: list[str] = []  # the brackets open at this point
        self.in_string = self.escaped = False
        self.string_start = 0
        self.last_string = ""  # the last string closed in the top-level object: the key of what follows
        self.item_start = 0
        self.counts: dict[str, int] = {}

    def feed(self, piece: str) -> None:
        for char in piece:
            position = len(self.text)
            self.text.append(char)
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                elif char == "\\":
                    self.escaped = True
                elif char == '"':
                    self.in_string = False
                    if self.open == ["{"]:
                        self.last_string = json.loads("".join(self.text[self.string_start :]))
            elif char == '"':
                self.in_string, self.string_start = True, position
            elif char in "[{":
                self.open.append(char)
                if self.open == ITEM:
                    self.item_start = position
            elif char in "]}":
                if self.open == ITEM:
                    self._item(json.loads("".join(self.text[self.item_start :])))
                self.open.pop()

    def _item(self, item: dict) -> None:
        key = self.last_string
        index = self.counts.get(key, 0)
        self.counts[key] = index + 1
        self.on_item(key, index, item)
