"""python -m server: serve the API on S2V_HOST:S2V_PORT."""

import logging
import re
import sys

import uvicorn
from pydantic import ValidationError

from server.app import create_app
from settings import get_settings

KEY_IN_QUERY = re.compile(r"(api_key=)[^&\s\"]+")


class RedactKeys(logging.Filter):
    """uvicorn logs a WebSocket's path with its query; a key passed as ?api_key= must not reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(KEY_IN_QUERY.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app):
        super().__init__(config)
        self.app = app

    def handle_exit(self, sig, frame) -> None:
        # Open event streams would hold uvicorn's graceful shutdown for its whole timeout: end them now.
        jobs = getattr(self.app.state, "jobs", None)
        if jobs is not None:
            jobs.accepting = False
            jobs.bus.close()
        super().handle_exit(sig, frame)


def main() -> None:
    try:
        settings = get_settings()
    except ValidationError as error:  # a setting out of range, or the licence-clean profile refusing a role
        raise SystemExit(f"story2video cannot start: {error}") from None
    # The GPU worker thread runs Python between model calls; with the default 5 ms GIL switch
    # interval a poll could wait that long for the event loop to get the interpreter back.
    sys.setswitchinterval(0.001)
    logging.getLogger("uvicorn.error").addFilter(RedactKeys())
    app = create_app(settings)
    # No access log: the job table logs every task transition, and a line per poll costs CPU at 200 req/s.
    config = uvicorn.Config(app, host=settings.host, port=settings.port, access_log=False, timeout_graceful_shutdown=30)
    Server(config, app).run()


if __name__ == "__main__":
    main()
