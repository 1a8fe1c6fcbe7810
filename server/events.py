"""Task events (`stage`, `progress`, `shot`, `done`, `error`) fanned out from worker threads to async clients.

Each task keeps its history for replay; consecutive progress events collapse into the latest, so
the history stays a few events per stage however long the task runs.
"""

import asyncio
import contextlib
import itertools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

FINAL_EVENTS = ("done", "error")
BACKLOG = 1000  # events queued for one slow client before it starts missing progress


@dataclass
class Event:
    id: int
    task_id: str
    owner: str
    event: str
    data: dict
    project_id: str | None = None
    shot_id: str | None = None

    def public(self) -> dict:
        about = {"project_id": self.project_id, "shot_id": self.shot_id}
        return {
            "id": self.id,
            "task_id": self.task_id,
            **{k: v for k, v in about.items() if v},
            "event": self.event,
            "data": self.data,
        }


class Subscription:
    """A client's view of the bus: the replayed history first, then live events, read with a timeout."""

    def __init__(self, bus: "EventBus", accepts: Callable[[Event], bool], past: list[Event]):
        self.bus, self.accepts = bus, accepts
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=BACKLOG)
        self.pending = deque(past)
        self.closed = False

    def offer(self, item: Event | None) -> None:
        """On the subscriber's loop: queue an event (None wakes it to see `closed`); a full queue drops it."""
        if self.queue.full() and (item is None or item.event in FINAL_EVENTS):
            self.queue.get_nowait()  # a slow client may miss progress, never the end of a task
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(item)

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or None when `timeout` seconds pass without one or the bus closes."""
        if self.pending:
            return self.pending.popleft()
        if self.closed:
            return None
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc) -> None:
        self.bus.unsubscribe(self)


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.RLock()  # re-entrant: close() may run from a signal handler on a holding thread
        self.closed = False
        self._ids = itertools.count(1)
        self._history: dict[str, list[Event]] = {}
        self._subscribers: list[Subscription] = []

    def publish(
        self,
        task_id: str,
        owner: str,
        event: str,
        data: dict,
        project_id: str | None = None,
        shot_id: str | None = None,
    ) -> None:
        """Safe from any thread."""
        with self._lock:
            item = Event(next(self._ids), task_id, owner, event, data, project_id, shot_id)
            history = self._history.setdefault(task_id, [])
            if event == "progress" and history and history[-1].event == "progress":
                history[-1] = item
            else:
                history.append(item)
            targets = [s for s in self._subscribers if s.accepts(item)]
        for subscriber in targets:
            with contextlib.suppress(RuntimeError):  # a closed loop: that client unsubscribes on its way out
                subscriber.loop.call_soon_threadsafe(subscriber.offer, item)

    def close(self) -> None:
        """The server is stopping: every open stream ends now instead of holding the shutdown."""
        with self._lock:
            self.closed = True
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber.closed = True
            with contextlib.suppress(RuntimeError):
                subscriber.loop.call_soon_threadsafe(subscriber.offer, None)

    def forget(self, task_id: str) -> None:
        with self._lock:
            self._history.pop(task_id, None)

    def history(self, task_id: str) -> list[Event]:
        with self._lock:
            return list(self._history.get(task_id, []))

    def subscribe(self, accepts: Callable[[Event], bool], replay_task: str | None = None) -> Subscription:
        """Events `accepts` lets through from now on, after the replay of one task's history."""
        with self._lock:  # history and subscription taken together: no event is missed or doubled
            subscription = Subscription(self, accepts, list(self._history.get(replay_task, [])) if replay_task else [])
            subscription.closed = self.closed  # a stream opened during shutdown ends at once
            self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)
