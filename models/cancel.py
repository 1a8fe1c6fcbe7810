"""A cancel flag shared between the HTTP layer and the worker; checked between denoising steps.

A pause is a softer stop, honoured only at item boundaries (between shots), so what is finished
stays finished and the task can be resumed from there.
"""

import threading

from models.errors import Cancelled, Paused


class CancelToken:
    def __init__(self, parent: "CancelToken | None" = None) -> None:
        self._event = threading.Event()
        self._pause = threading.Event()
        self._parent = parent

    def child(self) -> "CancelToken":
        """A token that stops with this one (cancel or pause) and can also be cancelled alone: a
        part of a task running beside the rest, stopped when the rest fails."""
        return CancelToken(self)

    def cancel(self) -> None:
        self._event.set()

    def pause(self) -> None:
        self._pause.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or (self._parent is not None and self._parent.cancelled)

    @property
    def paused(self) -> bool:
        return self._pause.is_set() or (self._parent is not None and self._parent.paused)

    def raise_if_cancelled(self, boundary: bool = False) -> None:
        """Between denoising steps; `boundary`: between two items (shots), where a pause stops too."""
        if self.cancelled:
            raise Cancelled("cancelled")
        if boundary and self.paused:
            raise Paused("paused")
