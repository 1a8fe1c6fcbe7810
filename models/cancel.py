"""A cancel flag shared between the HTTP layer and the worker; checked between denoising steps.

A pause is a softer stop, honoured only at item boundaries (between shots), so what is finished
stays finished and the task can be resumed from there.
"""

import threading

from models.errors import Cancelled, Paused


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._pause = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def pause(self) -> None:
        self._pause.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self, boundary: bool = False) -> None:
        """Between denoising steps; `boundary`: between two items (shots), where a pause stops too."""
        if self._event.is_set():
            raise Cancelled("cancelled")
        if boundary and self._pause.is_set():
            raise Paused("paused")
