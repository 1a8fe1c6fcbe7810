"""A runtime on the cluster as the stages see it: the same attributes and methods as the local one,
each method call one item sent to a render slot, and sent again to another if its slot is lost.

Nothing here imports Ray: the pool (cluster/pool.py) turns Ray's failures into `SlotLost`, so the
retry rules are tested without a cluster.
"""

import inspect
import secrets
from collections.abc import Callable
from typing import TypeVar

from loguru import logger

from models.errors import ModelError

T = TypeVar("T")
HOOKS = ("on_step", "on_text")  # a runtime's callbacks: called here, as the slot streams its updates


class SlotLost(Exception):
    """The slot's actor, or its node, went away before the item finished: the item runs elsewhere."""


class ClusterError(ModelError):
    code = "cluster_unavailable"


def with_retries(pool, what: str, work: Callable[[object, str, int], T], cancel, attempts: int) -> T:
    """`work(slot, item_id, attempt)` on a leased slot, on another one each time a slot is lost, at
    most `attempts` times. What finished is never asked for again: the stage keeps each result."""
    item_id = secrets.token_hex(6)
    reasons = []
    for attempt in range(1, attempts + 1):
        with pool.lease(cancel, what) as slot:
            try:
                return work(slot, item_id, attempt)
            except SlotLost as error:
                pool.lost(slot, item_id, what, str(error))
                reasons.append(str(error))
                logger.warning(
                    "{} lost with render slot {} (attempt {} of {}): {}", what, slot, attempt, attempts, error
                )
    raise ClusterError(
        f"{what} was lost with its render slot {attempts} times in a row ({reasons[-1]}); "
        "check the cluster's nodes (GET /system) or raise S2V_RAY_MAX_ATTEMPTS"
    )


class RuntimeProxy:
    """`attributes` are the runtime's plain data as a slot described it (identity, name, sample_rate,
    voices, ...); every method of `runtime_class` becomes a call on the cluster."""

    def __init__(self, pool, role: str, runtime_class: type, attributes: dict, attempts: int):
        self._pool, self._role, self._class = pool, role, runtime_class
        self._attributes, self._attempts = attributes, attempts

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._attributes:
            return self._attributes[name]
        function = getattr(self._class, name, None)
        if not callable(function):
            raise AttributeError(f"{self._role} runtime has no attribute {name!r}")
        signature = inspect.signature(function)

        def call(*args, **kwargs):
            arguments = signature.bind(None, *args, **kwargs).arguments  # None stands for self
            arguments.pop(next(iter(signature.parameters)))
            # Local objects stay here: the slot gets a cancel flag of its own and streams its steps
            # (and an LLM's text) back.
            cancel = arguments.pop("cancel", None)
            hooks = {hook: arguments.pop(hook) for hook in HOOKS if hook in arguments}
            what = f"{self._role}.{name}"
            return with_retries(
                self._pool,
                what,
                lambda slot, item_id, attempt: self._pool.call(
                    slot, item_id, attempt, self._role, name, arguments, cancel, hooks
                ),
                cancel,
                self._attempts,
            )

        return call
