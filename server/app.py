"""The FastAPI app: settings, the job table and its GPU worker, the routes, one error shape."""

import asyncio
from contextlib import asynccontextmanager

from fastapi import FastAPI
from loguru import logger

from models.registry import ModelRegistry
from server import errors
from server.auth import KeyCheck
from server.deps import Services
from server.limits import BodyLimit
from server.routes import characters, exports, files, ops, projects, shots, studio, tasks, uploads, work
from settings import Settings, get_settings

VERSION = "0.1.0"


def registry_for(settings: Settings):
    """The models in this process, or on a Ray cluster's render slots (Ray is imported only then)."""
    if settings.ray_address:
        from cluster.registry import RemoteRegistry

        return RemoteRegistry(settings)
    return ModelRegistry(settings)


def create_app(settings: Settings | None = None, registry: ModelRegistry | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.services = Services.start(settings, registry or registry_for(settings))
        logger.info("serving on http://{}:{} (data in {})", settings.host, settings.port, settings.data_dir)
        yield
        logger.info("shutting down: no new tasks; running ones get {}s", settings.shutdown_grace)
        await asyncio.to_thread(app.state.services.stop, settings.shutdown_grace)

    app = FastAPI(
        title="story2video",
        version=VERSION,
        summary="A story in, a narrated video out: local models on one GPU, an in-process job table.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    errors.install(app)
    for module in (work, uploads, projects, shots, characters, exports, tasks, files, ops, studio):
        app.include_router(module.router)
    studio.mount(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes)
    app.add_middleware(KeyCheck, keys=settings.api_key_list)  # added last: runs first
    return app
