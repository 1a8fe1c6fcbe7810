"""What a render slot does with one item, free of Ray so it is tested on its own.

An item is one method call of a runtime (a batch of keyframes, a sentence of speech, a clip's
animation, a storyboard's JSON). It runs on a thread of its own so the slot can stream its
denoising progress while it runs, and it gets a cancel token of its own that `cancel(call_id)`
sets from another thread: the runtime's step callback raises at the next denoising step.
"""

import inspect
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from models.cancel import CancelToken
from models.contracts import LocalRegistry

PROGRESS_INTERVAL = 0.1  # seconds between two progress updates of one item
PLAIN = (str, int, float, bool, Path, type(None))


def plain_attributes(runtime) -> dict:
    """A runtime's data a caller may read (identity, name, sample_rate, voices, ...), not its models."""
    found = {}
    for name in dir(runtime):
        if name.startswith("_"):
            continue
        value = getattr(runtime, name)
        if isinstance(value, PLAIN) or (isinstance(value, list | tuple) and all(isinstance(v, PLAIN) for v in value)):
            found[name] = value
    return found


def drained(updates: queue.Queue, kind: str) -> Iterator[str]:
    """The updates of `kind` waiting at the head of the queue, taken off it."""
    while True:
        with updates.mutex:
            if not updates.queue or updates.queue[0][0] != kind:
                return
            update = updates.queue.popleft()
        yield update[1]


class CallRunner:
    def __init__(self, registry: LocalRegistry):
        self.registry = registry
        self._lock = threading.Lock()
        self._tokens: dict[str, CancelToken] = {}
        self._cancelled: set[str] = set()  # asked to stop before they started

    def describe(self, role: str) -> dict:
        """Load the role (if it is not yet) and tell what a caller may read of it."""
        return plain_attributes(self.registry.get(role))

    def cancel(self, call_id: str) -> None:
        with self._lock:
            token = self._tokens.get(call_id)
            if token is None:
                self._cancelled.add(call_id)
            else:
                token.cancel()

    def run(self, call_id: str, role: str, method: str, kwargs: dict) -> Iterator[tuple]:
        """Yields ("step", i, total) and ("text", piece) while the call runs, then ("result", value);
        raises what it raised."""
        token = CancelToken()
        with self._lock:
            if call_id in self._cancelled:
                self._cancelled.discard(call_id)
                token.cancel()
            self._tokens[call_id] = token
        try:
            yield from self._run(token, role, method, dict(kwargs))
        finally:
            token.cancel()  # a caller that stopped listening stops the work too, at its next step
            with self._lock:
                self._tokens.pop(call_id, None)

    def _run(self, token: CancelToken, role: str, method: str, kwargs: dict) -> Iterator[tuple]:
        token.raise_if_cancelled()
        function = getattr(self.registry.get(role), method)
        updates: queue.Queue[tuple] = queue.Queue()
        accepts = inspect.signature(function).parameters
        if "cancel" in accepts:
            kwargs["cancel"] = token
        if "on_step" in accepts:
            kwargs["on_step"] = lambda step, total: updates.put(("step", step, total))
        if "on_text" in accepts:  # a storyboard's JSON streams back as it is written
            kwargs["on_text"] = lambda piece: updates.put(("text", piece))

        def work() -> None:
            try:
                updates.put(("result", function(**kwargs)))
            except BaseException as error:  # handed to the caller's thread, which raises it
                updates.put(("error", error))

        threading.Thread(target=work, name=f"item-{role}.{method}", daemon=True).start()
        sent_at = 0.0
        while True:
            update = updates.get()
            if update[0] == "error":
                raise update[1]
            if update[0] == "result":
                yield update
                return
            if update[0] == "text":  # every piece counts: the ones waiting go as one
                yield ("text", update[1] + "".join(drained(updates, "text")))
                continue
            now = time.monotonic()
            if now - sent_at >= PROGRESS_INTERVAL or update[1] == update[2]:
                sent_at = now
                yield update
