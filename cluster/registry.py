"""The registry the stages get when S2V_RAY_ADDRESS is set: `get(role)` hands out proxies whose
method calls run on the cluster's render slots, so the stages run unchanged.

A proxy's `identity` is the one its slots computed with the same code as the local registry (the
fingerprint of the weights folder, device, dtype): artifact keys are the same with and without
Ray, and a slot whose weights differ from the first one's is refused (cluster/pool.py).
"""

from dataclasses import dataclass

from cluster.pool import SlotPool
from cluster.proxy import ClusterError, RuntimeProxy
from models.contracts import TaskThreads, Voices
from models.licences import licence_of, load_manifest
from models.registry import RUNTIMES


@dataclass(frozen=True)
class ClusterPlacement:
    """What /system says the models run on: the slots' device and dtype."""

    device: str
    dtype_name: str


class RemoteRegistry:
    """The models on the cluster's render slots (models.contracts.Registry; it has no `unload`: the
    slots keep their models)."""

    def __init__(self, settings):
        self.settings = settings
        self.pool: SlotPool | None = None
        self._proxies: dict[str, RuntimeProxy] = {}

    def backend(self, role: str) -> str:
        return getattr(self.settings, f"{role}_backend")

    def enabled(self, role: str) -> bool:
        return self.backend(role) != "none"

    def start(self, worker: TaskThreads) -> dict[str, float]:
        """Connect and wait for the first slot (which loads and warms the models on its node);
        returns that slot's warm-up seconds per role. The worker runs a task per slot."""
        self.pool = SlotPool(self.settings, current_task=worker.current_task, on_slots=worker.grow)
        return self.pool.start()["warm_seconds"]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()

    @property
    def placement(self) -> ClusterPlacement:
        described = self.pool.description if self.pool else None
        if described is None:
            return ClusterPlacement("ray", "unknown")
        return ClusterPlacement(f"ray:{described['device']}", described["dtype"])

    def get(self, role: str):
        """The role's proxy; None when the role is switched off."""
        if not self.enabled(role):
            return None
        if role not in self._proxies:
            if self.pool is None or self.pool.description is None:
                raise ClusterError("no render slot of the Ray cluster is ready yet")
            attributes = self.pool.description["roles"].get(role) or self.pool.describe(role)
            runtime_class = RUNTIMES[(role, self.backend(role))]
            self._proxies[role] = RuntimeProxy(
                self.pool, role, runtime_class, attributes, self.settings.ray_max_attempts
            )
        return self._proxies[role]

    def report(self) -> list[dict]:
        described = self.pool.description if self.pool else None
        if described is None:
            return []
        manifest = load_manifest()
        licences = {role: licence_of(self.settings, role, manifest) for role in described["roles"]}
        return [
            {
                "role": role,
                "backend": self.backend(role),
                "name": about["name"],
                "path": str(about["folder"]),
                "device": described["device"],
                "dtype": described["dtype"],
                "parameters": about["parameters"],
                "load_seconds": round(about["load_seconds"], 3),
                "licence": licences[role].text,
                "commercial": licences[role].commercial,
            }
            for role, about in described["roles"].items()
        ]

    @property
    def speech(self) -> Voices | None:
        """The speech runtime's voice lists as a slot described them, answered here without a call:
        a request checking a voice must not wait for a busy slot."""
        described = self.pool.description if self.pool else None
        about = described["roles"].get("tts") if described and self.enabled("tts") else None
        if about is None:
            return None
        return RUNTIMES[("tts", self.backend("tts"))].described(about)

    def check_voice(self, voice: str) -> None:
        """ValueError for a voice the slots' speech engine does not have (nothing to check before one is ready)."""
        if (speech := self.speech) is not None:
            speech.check_voice(voice)

    def prompt_window(self) -> int:
        return self.get("t2i").text_window  # the slots described it: nothing to load

    def cluster_status(self) -> dict | None:
        return self.pool.status() if self.pool else None
