"""The GPU worker thread (the only thread that runs models) and the ffmpeg pool.

The worker's first job is the registry's `start`: load every enabled model here and warm it with
one small inference (models/warm.py), or join the cluster whose slots do, so the first real request
does not pay for lazy initialisation; `/readyz` turns 200 only after that.
"""

import contextlib
import contextvars
import ctypes
import os
import queue
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from loguru import logger

from models.contracts import Registry

# The task a task thread works on; a thread a stage starts for the same task runs in a copy of its
# context (pipelines/voiced_clips.py), so the cluster credits its calls to that task too.
RUNNING: contextvars.ContextVar[str | None] = contextvars.ContextVar("running_task", default=None)


def lower_priority(step: int = 5) -> None:
    """On Linux, make this thread (and the torch CPU threads it starts) yield to the HTTP thread.

    Model work is throughput; a poll is latency. On a GPU the thread mostly waits on the device,
    on CPU it would otherwise compete with the event loop for the same cores.
    """
    if sys.platform == "linux":
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + step)


def release_memory() -> None:
    """Hand freed heap back to the OS after a task (glibc keeps it otherwise): a server running for
    weeks should sit at its working set, not at the high-water mark of its largest render."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


class Worker:
    """Task threads over one queue: one when the models run in this process, one per render slot
    when they run on a Ray cluster (its registry calls `grow` as slots come)."""

    def __init__(
        self, settings, registry: Registry, run_task: Callable[[str], None], describe: Callable, on_death: Callable
    ):
        self.registry = registry
        self.run_task = run_task
        self.describe = describe  # an exception -> (code, message) fit for a client
        self.on_death = on_death  # called with the task it was running, should a thread ever fail
        self.queue: queue.Queue[str | None] = queue.Queue()
        # niced threads: the ffmpeg processes they start inherit it from their first instruction
        self.pool = ThreadPoolExecutor(settings.ffmpeg_workers, thread_name_prefix="ffmpeg", initializer=lower_priority)
        self.ready = threading.Event()
        self.load_error: tuple[str, str] | None = None  # code and message when loading failed
        self.warm_seconds: dict[str, float] = {}
        self._threads = [threading.Thread(target=self._loop, name="gpu-worker", daemon=True)]
        self._threads_lock = threading.Lock()

    @property
    def alive(self) -> bool:
        return all(thread.is_alive() for thread in self._threads)

    def current_task(self) -> str | None:
        """The task the calling thread is running, if it is one of the task threads."""
        return RUNNING.get()

    def start(self) -> None:
        self._threads[0].start()

    def grow(self, count: int) -> None:
        """Run up to `count` tasks at once (threads are added, never taken away: spare ones wait)."""
        with self._threads_lock:
            while len(self._threads) < count:
                thread = threading.Thread(target=self._serve, name=f"gpu-worker-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()

    def stop(self, timeout: float) -> None:
        with self._threads_lock:
            threads = list(self._threads)
            for _ in threads:
                self.queue.put(None)
        for thread in threads:
            thread.join(timeout)
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.registry.close()

    def _loop(self) -> None:
        try:
            lower_priority()
            try:
                self.warm_seconds = self.registry.start(self)  # load and warm here, or join the cluster
                self.ready.set()
            except Exception as error:  # not ready, but tasks still run and fail with the same clear error
                self.load_error = self.describe(error)
                logger.error("loading the models failed: {}", error)
        except BaseException as error:
            logger.opt(exception=error).critical("the GPU worker stopped")
            self.on_death(None)
            return
        self._serve()

    def _serve(self) -> None:
        try:
            if threading.current_thread() is not self._threads[0]:
                lower_priority()
            while (task_id := self.queue.get()) is not None:
                RUNNING.set(task_id)
                try:
                    self.run_task(task_id)
                except Exception as error:  # a bug around one task must not stop the worker
                    logger.opt(exception=error).error("task {}: unexpected error in the worker", task_id)
                RUNNING.set(None)
        except BaseException as error:
            logger.opt(exception=error).critical("the GPU worker stopped")
            self.on_death(self.current_task())
