"""Operations: liveness, readiness (models loaded and warmed), and what the server runs on."""

import platform
from importlib import metadata

import psutil
import torch
from fastapi import APIRouter, Request

from server.auth import Caller
from server.deps import TasksDep
from server.errors import ERROR_RESPONSES, ApiError
from server.schemas import StatusPublic, SystemPublic

router = APIRouter(tags=["operations"])
PACKAGES = ("torch", "diffusers", "transformers", "coqui-tts", "llguidance", "fastapi", "imageio-ffmpeg", "ray")


def version_of(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


@router.get("/healthz", response_model=StatusPublic)
def healthz():
    """Alive: the process answers. Needs no key."""
    return {"status": "ok"}


@router.get("/readyz", response_model=StatusPublic, responses={503: ERROR_RESPONSES[503]})
def readyz(jobs: TasksDep):
    """200 once the models are loaded and warmed and the GPU worker runs; 503 before, or if it failed.
    Needs no key: load balancers and orchestrators probe it."""
    worker = jobs.worker
    if not worker.alive:
        raise ApiError(503, "the GPU worker has stopped", code="worker_stopped")
    if worker.load_error:
        code, message = worker.load_error
        raise ApiError(503, f"loading the models failed: {message}", code=code)
    if not worker.ready.is_set():
        raise ApiError(503, "the models are still loading", code="not_ready")
    return {"status": "ready"}


def memory() -> dict[str, float | None]:
    ram = psutil.virtual_memory()
    figures = {
        "ram_total_gb": round(ram.total / 2**30, 2),
        "ram_available_gb": round(ram.available / 2**30, 2),
        "process_rss_gb": round(psutil.Process().memory_info().rss / 2**30, 3),
        "vram_total_gb": None,
        "vram_free_gb": None,
    }
    if torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info()
        figures.update(vram_total_gb=round(total / 2**30, 2), vram_free_gb=round(free / 2**30, 2))
    return figures


@router.get("/system", response_model=SystemPublic, responses={401: ERROR_RESPONSES[401]})
def system(request: Request, owner: Caller, jobs: TasksDep):
    """Device, dtype, loaded models, memory, queue depth and versions; with Ray, the cluster's nodes
    and render slots (what each is doing)."""
    placement = jobs.registry.placement
    versions = {"python": platform.python_version(), "server": request.app.version}
    versions.update({package: version_of(package) for package in PACKAGES})
    return {
        "ready": jobs.worker.ready.is_set(),
        "device": placement.device,
        "dtype": placement.dtype_name,
        "models": [{**model, "path": jobs.errors.scrub(model["path"])} for model in jobs.registry.report()],
        "memory": memory(),
        "queue": {
            "pending": jobs.store.count("pending"),
            "running": jobs.store.count("running"),
            "max": jobs.settings.max_queue,
        },
        "versions": versions,
        "voices": voices(jobs.registry.speech),
        "speech_styles": jobs.registry.speech is not None and jobs.registry.speech.takes_styles,
        "cluster": jobs.registry.cluster_status(),
    }


def voices(tts) -> list[str]:
    """The voices characters may take, for each language the narration routes (none before loading)."""
    if tts is None:
        return []
    return list(dict.fromkeys(voice for language in ("en", "zh") for voice in tts.character_voices(language)))
