"""The render slots of a Ray cluster, one per unit of S2V_RAY_RESOURCE (a GPU, or `render_slot`).

The server is the Ray driver. A watcher keeps one `RenderSlot` actor per unit the live nodes
offer: a node that dies takes its slots with it, a node that (re)joins gets new ones, which load
their models before they take work. Task threads lease an idle slot for one item at a time; a
slot whose actor or node fails mid-item is dropped and the item goes to another (proxy.py).
"""

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import ray
from loguru import logger
from ray import exceptions as ray_errors

from cluster.proxy import ClusterError, SlotLost
from cluster.slot import RenderSlot
from models.cancel import CancelToken
from models.contracts import ROLES

WATCH_INTERVAL = 1.0  # seconds between two looks at the cluster's nodes
POLL_INTERVAL = 0.1  # seconds between two checks of a task's cancel flag while its item runs
UPDATE_HOOKS = {"step": "on_step", "text": "on_text"}  # a slot's streamed update -> the caller's hook
FAILED_BACKOFF = 60.0  # seconds before a slot that failed to load is tried again
LOST = (  # what says the slot (or its node) is gone rather than that the item failed
    ray_errors.RayActorError,
    ray_errors.WorkerCrashedError,
    ray_errors.NodeDiedError,
    ray_errors.ObjectLostError,
    ray_errors.RaySystemError,
)


def reread_ray_auth() -> None:
    """Make this process see RAY_AUTH_MODE / RAY_AUTH_TOKEN as they are now: Ray reads them once,
    when it is first imported, and a driver left in another mode than the cluster is refused."""
    from ray._raylet import AuthenticationTokenLoader, Config

    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


@dataclass
class Slot:
    index: int
    handle: object
    ready: object  # the ref of its first `describe`: done once its models are loaded
    state: str = "loading"  # loading, idle, busy, failed, lost
    node_id: str | None = None
    pid: int | None = None
    doing: str | None = None  # "t2i.generate", ...
    task_id: str | None = None
    since: float = field(default_factory=time.time)
    items: int = 0
    error: str | None = None

    def __str__(self) -> str:
        return f"#{self.index} on node {(self.node_id or '?')[:8]}"


def unwrapped(error: ray_errors.RayTaskError) -> BaseException:
    """The exception the item raised on its slot (Cancelled, ModelError, ...), as it would be raised here."""
    cause = getattr(error, "cause", None)
    return cause if isinstance(cause, Exception) else ClusterError(f"the render slot failed: {error}")


class SlotPool:
    def __init__(self, settings, current_task: Callable[[], str | None], on_slots: Callable[[int], None]):
        self.settings = settings
        self.current_task = current_task  # the task the calling thread works for, shown in /system
        self.on_slots = on_slots  # told how many slots there are, so as many tasks can run
        self.slots: list[Slot] = []
        self.changed = threading.Condition()
        self.description: dict | None = None  # the first ready slot's: the identity every slot must match
        self.load_error: BaseException | None = None
        self.done: deque[dict] = deque(maxlen=1000)  # the last items finished: item, what, task, slot, node
        self.lost_items: deque[dict] = deque(maxlen=1000)
        self.items_done = 0
        self.items_lost = 0
        self._next_index = 0
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="ray-slots", daemon=True)

    # --- lifecycle

    def start(self) -> dict:
        """Connect, make the slots, and wait for the first to load its models; returns its description."""
        auth = os.environ.setdefault("RAY_AUTH_MODE", "token")  # the cluster must be started with a token too
        reread_ray_auth()
        if auth != "token":
            logger.warning("RAY_AUTH_MODE={}: anyone who reaches the Ray ports can run code on the cluster", auth)
        address = self.settings.ray_address
        if address != "auto":  # Ray would retry a dead address for minutes: say so at once
            host, port = address.rsplit(":", 1)
            try:
                socket.create_connection((host, int(port)), timeout=10).close()
            except OSError as error:
                raise ClusterError(f"no Ray head answers at {address} ({error.strerror or error})") from None
        try:
            ray.init(address=address, namespace="story2video", logging_level=logging.WARNING)
        except Exception as error:  # no head there, another token, another Ray version
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ClusterError(f"cannot join the Ray cluster at {address}: {reason}") from None
        logger.info("connected to the Ray cluster at {}: {}", self.settings.ray_address, ray.cluster_resources())
        self._reconcile()
        self._watcher.start()
        deadline = time.monotonic() + self.settings.ray_slot_wait
        with self.changed:
            while self.description is None:
                loading = any(s.state == "loading" for s in self.slots)
                if self.load_error is not None and not loading:
                    raise self.load_error
                if time.monotonic() > deadline:
                    raise ClusterError(self._no_slot_message())
                self.changed.wait(0.5)
            return self.description

    def close(self) -> None:
        self._stop.set()
        if self._watcher.is_alive():
            self._watcher.join(5)
        if ray.is_initialized():
            ray.shutdown()  # the slots are this driver's actors: they end with it

    # --- keeping one slot per unit of the resource

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_INTERVAL):
            try:
                self._reconcile()
            except Exception as error:  # the head may be briefly unreachable: look again next time
                logger.warning("could not look at the Ray cluster: {}", error)

    def _reconcile(self) -> None:
        alive_nodes = {node["NodeID"] for node in ray.nodes() if node["Alive"]}
        offered = int(ray.cluster_resources().get(self.settings.ray_resource, 0))
        with self.changed:
            for slot in self.slots:
                if slot.node_id and slot.node_id not in alive_nodes and slot.state in ("idle", "loading"):
                    self._drop(slot, "its node left the cluster")
            now = time.time()
            self.slots = [
                s
                for s in self.slots
                if s.state != "lost" and not (s.state == "failed" and now - s.since > FAILED_BACKOFF)
            ]
            for _ in range(offered - len(self.slots)):
                self.slots.append(self._new_slot())
            loading = {slot.ready: slot for slot in self.slots if slot.state == "loading"}
        if loading:
            ready, _ = ray.wait(list(loading), num_returns=len(loading), timeout=0)
            for ref in ready:
                self._loaded(loading[ref], ref)
        with self.changed:
            self.on_slots(sum(1 for s in self.slots if s.state in ("idle", "busy", "loading")))

    def _new_slot(self) -> Slot:
        resource = self.settings.ray_resource
        options = {"num_cpus": 0, "num_gpus": 1} if resource == "GPU" else {"num_cpus": 0, "resources": {resource: 1}}
        handle = RenderSlot.options(**options).remote(self.settings)
        self._next_index += 1
        logger.info("render slot #{} starting: it loads the models on its node", self._next_index)
        return Slot(index=self._next_index, handle=handle, ready=handle.describe.remote(list(ROLES)))

    def _loaded(self, slot: Slot, ref) -> None:
        try:
            described = ray.get(ref)
        except ray_errors.RayTaskError as error:  # the models did not load there
            with self.changed:
                slot.state, slot.since, slot.error = "failed", time.time(), str(unwrapped(error))
                self.load_error = self.load_error or unwrapped(error)
                ray.kill(slot.handle)
                self.changed.notify_all()
            logger.error("render slot {} could not load the models: {}", slot, slot.error)
            return
        except LOST as error:
            with self.changed:
                self._drop(slot, f"it died while loading ({type(error).__name__})")
            return
        with self.changed:
            slot.node_id, slot.pid = described["node_id"], described["pid"]
            if self.description is None:
                self.description = described
            mismatch = self._mismatch(described)
            if mismatch:
                slot.state, slot.since, slot.error = "failed", time.time(), mismatch
                ray.kill(slot.handle)
                logger.error("render slot {} refused: {}", slot, mismatch)
            else:
                slot.state, slot.since = "idle", time.time()
                logger.info(
                    "render slot {} ready ({} {}, {:.1f}s)",
                    slot,
                    described["device"],
                    described["dtype"],
                    described["load_seconds"],
                )
            self.changed.notify_all()

    def _mismatch(self, described: dict) -> str | None:
        """Every slot must make the same pixels: the same weights (by fingerprint), device and dtype."""
        for role, first in self.description["roles"].items():
            other = described["roles"].get(role, {}).get("identity")
            if other != first["identity"]:
                return f"its {role} model differs from the other slots' (other weights, device or dtype)"
        return None

    def _drop(self, slot: Slot, reason: str) -> None:
        slot.state, slot.error, slot.since = "lost", reason, time.time()
        with contextlib.suppress(Exception):  # frees its resource if the actor still lingers
            ray.kill(slot.handle)
        logger.warning("render slot {} dropped: {}", slot, reason)
        self.changed.notify_all()

    # --- the task threads' side

    @contextlib.contextmanager
    def lease(self, cancel: CancelToken | None, what: str):
        """An idle slot for one item, waited for (cancellably) as long as some slot is at work."""
        deadline = time.monotonic() + self.settings.ray_slot_wait
        with self.changed:
            while True:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                idle = [s for s in self.slots if s.state == "idle"]
                if idle:
                    slot = min(idle, key=lambda s: s.items)  # the least used: work spreads over the nodes
                    break
                if any(s.state == "busy" for s in self.slots):
                    deadline = time.monotonic() + self.settings.ray_slot_wait
                elif time.monotonic() > deadline:
                    raise ClusterError(self._no_slot_message())
                self.changed.wait(0.2)
            slot.state, slot.doing, slot.task_id, slot.since = "busy", what, self.current_task(), time.time()
        try:
            yield slot
        finally:
            with self.changed:
                if slot.state == "busy":
                    slot.state, slot.doing, slot.task_id, slot.since = "idle", None, None, time.time()
                self.changed.notify_all()

    def lost(self, slot: Slot, item_id: str, what: str, reason: str) -> None:
        with self.changed:
            self.lost_items.append(self._record(slot, item_id, what))
            self.items_lost += 1
            self._drop(slot, reason)

    def call(self, slot: Slot, item_id: str, attempt: int, role: str, method: str, kwargs: dict, cancel, hooks: dict):
        """One item on `slot`: its steps reach `hooks["on_step"]`, its text `hooks["on_text"]`, a cancel
        reaches its denoising loop."""
        call_id = f"{item_id}.{attempt}"
        updates = slot.handle.run.options(num_returns="streaming").remote(call_id, role, method, kwargs)
        stopping = False
        try:
            while True:
                if cancel is not None and cancel.cancelled and not stopping:
                    slot.handle.cancel.remote(call_id)  # the slot's step callback raises at the next step
                    stopping = True
                ready, _ = ray.wait([updates], timeout=POLL_INTERVAL)
                if not ready:
                    continue
                try:
                    update = ray.get(next(updates))
                except StopIteration:
                    raise SlotLost("the slot ended the item without a result") from None
                if update[0] in UPDATE_HOOKS:
                    if (hook := hooks.get(UPDATE_HOOKS[update[0]])) is not None:
                        hook(*update[1:])
                    continue
                with self.changed:
                    slot.items += 1
                    self.items_done += 1
                    self.done.append({**self._record(slot, item_id, f"{role}.{method}"), "attempt": attempt})
                return update[1]
        except ray_errors.RayTaskError as error:
            raise unwrapped(error) from None
        except LOST as error:
            raise SlotLost(f"{type(error).__name__}: {str(error).splitlines()[0][:200]}") from None

    def describe(self, role: str) -> dict:
        """A role no slot has loaded yet (music loads on first use), loaded on one slot and described."""
        call_id = secrets.token_hex(6)
        with self.lease(None, f"{role}.load") as slot:
            try:
                return ray.get(slot.handle.describe.remote([role]))["roles"][role]
            except ray_errors.RayTaskError as error:
                raise unwrapped(error) from None
            except LOST as error:
                self.lost(slot, call_id, f"{role}.load", type(error).__name__)
                raise ClusterError(f"the render slot was lost while loading {role}; try again") from None

    # --- what /system shows

    def _record(self, slot: Slot, item_id: str, what: str) -> dict:
        return {"item": item_id, "what": what, "task_id": slot.task_id, "slot": slot.index, "node_id": slot.node_id}

    def _no_slot_message(self) -> str:
        return (
            f"no render slot is alive: the Ray cluster offers no `{self.settings.ray_resource}` on a live node "
            f"(start a worker with `ray start --address=HEAD:PORT ...`)"
            + (f"; the last slot failed with: {self.load_error}" if self.load_error else "")
        )

    def status(self) -> dict:
        nodes = [
            {
                "node_id": node["NodeID"],
                "address": node["NodeManagerAddress"],
                "alive": node["Alive"],
                "slots": int(node["Resources"].get(self.settings.ray_resource, 0)),
            }
            for node in ray.nodes()
        ]
        with self.changed:
            slots = [
                {
                    "slot": s.index,
                    "node_id": s.node_id,
                    "state": s.state,
                    "doing": s.doing,
                    "task_id": s.task_id,
                    "since": round(s.since, 3),
                    "items": s.items,
                    "error": s.error,
                }
                for s in self.slots
            ]
            return {
                "address": self.settings.ray_address,
                "resource": self.settings.ray_resource,
                "nodes": nodes,
                "slots": slots,
                "items_done": self.items_done,
                "items_lost": self.items_lost,
                "lost": list(self.lost_items)[-20:],
            }
