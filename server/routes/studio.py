"""The studio page: `GET /` and its static files (plain HTML, CSS and JavaScript modules, no build
step), which talk to the public API only."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parents[1] / "static"
router = APIRouter(tags=["studio"])


@router.get("/", include_in_schema=False)
def studio_page():
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


def mount(app) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
