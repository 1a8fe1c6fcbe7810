"""The render slot: a Ray actor holding one GPU's models, loaded once, through the same registry
and runtimes as the in-process worker uses.

`max_concurrency=2`: the pool gives a slot one item at a time, and the second thread is free to
take `cancel`, which must reach an item that is in the middle of its denoising loop.
"""

import os
import time

import ray

from cluster.calls import CallRunner
from models.registry import ModelRegistry
from models.warm import warm


@ray.remote(max_concurrency=2, max_restarts=0, max_task_retries=0)  # retries are the pool's, per item
class RenderSlot:
    def __init__(self, settings):
        started = time.perf_counter()
        self.registry = ModelRegistry(settings)
        self.calls = CallRunner(self.registry)
        self.load_error: Exception | None = None
        try:
            self.warm_seconds = warm(self.registry)
        except Exception as error:  # kept for `describe`, so the driver sees the model's own error
            self.load_error, self.warm_seconds = error, {}
        self.load_seconds = round(time.perf_counter() - started, 3)

    def describe(self, roles: list[str]) -> dict:
        """Where the slot runs and what each of `roles` is (loading those not loaded yet)."""
        if self.load_error is not None:
            raise self.load_error
        placement = self.registry.placement
        return {
            "node_id": ray.get_runtime_context().get_node_id(),
            "pid": os.getpid(),
            "device": placement.device,
            "dtype": placement.dtype_name,
            "load_seconds": self.load_seconds,
            "warm_seconds": self.warm_seconds,
            "roles": {role: self.calls.describe(role) for role in roles if self.registry.enabled(role)},
        }

    def run(self, call_id: str, role: str, method: str, kwargs: dict):
        """One item, streamed: its progress, then its result (called with num_returns="streaming")."""
        yield from self.calls.run(call_id, role, method, kwargs)

    def cancel(self, call_id: str) -> None:
        self.calls.cancel(call_id)
