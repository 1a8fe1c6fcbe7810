"""python -m server: serve the API on S2V_HOST:S2V_PORT."""

import uvicorn

from server.app import create_app
from settings import get_settings


def main() -> None:
    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, timeout_graceful_shutdown=30)


if __name__ == "__main__":
    main()
