"""One error shape everywhere: {"error": {"code", "message", "field"}}; never a traceback."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from loguru import logger
from starlette.exceptions import HTTPException
from starlette.routing import Match

from pipelines.specs import InvalidInput
from server.etags import Stale
from server.schemas import ErrorPublic

CODES = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "body_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    429: "queue_full",
    503: "not_ready",
}


UNION_TAGS = {"bool", "str", "int", "float", "list", "dict", "none"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, code: str | None = None, field: str | None = None, headers=None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.code = code or CODES.get(status, "error")
        self.headers = headers or {}


class BodyTooLarge(HTTPException):
    """Raised from inside a streamed upload's body (server/limits.py) once it passes its limit; an
    HTTPException, so the body parser lets it through instead of calling it a parse error."""

    def __init__(self, limit: int):
        super().__init__(413, f"the file is larger than {limit} bytes (S2V_MAX_UPLOAD_BYTES)")

    def __str__(self) -> str:
        return self.detail


def error_response(status: int, code: str, message: str, field: str | None = None, headers=None, **why) -> JSONResponse:
    """`why`: for a 400, the `reason` (stable, for a client to word in its own language) and the `limit`."""
    body = {"error": {"code": code, "message": message, "field": field, **why}}
    return JSONResponse(body, status_code=status, headers=headers)


REASONS = {  # pydantic's error type -> (a stable reason, the context entry that holds the limit)
    "string_too_long": ("too_long", "max_length"),
    "string_too_short": ("too_short", "min_length"),
    "too_long": ("too_many", "max_length"),
    "too_short": ("too_few", "min_length"),
    "less_than_equal": ("too_large", "le"),
    "less_than": ("too_large", "lt"),
    "greater_than_equal": ("too_small", "ge"),
    "greater_than": ("too_small", "gt"),
    "literal_error": ("not_allowed", "expected"),
    "enum": ("not_allowed", "expected"),
    "string_pattern_mismatch": ("bad_format", None),
    "missing": ("required", None),
    "extra_forbidden": ("unknown_field", None),
    "json_invalid": ("bad_json", None),
}


def reason_of(error: dict) -> dict:
    """The `reason` and `limit` of one validation error (a type error: `wrong_type`)."""
    kind = error["type"]
    reason, limit = REASONS.get(kind, ("wrong_type" if kind.endswith(("_type", "_parsing")) else "invalid", None))
    context = error.get("ctx") or {}
    return {"reason": reason, "limit": context[limit]} if limit in context else {"reason": reason}


def field_of(location: tuple) -> str | None:
    """('body', 'frames', 0, 'frame') -> 'frames[0].frame'; query and header names as they are."""
    parts = list(location[1:] if location and location[0] in ("body", "query", "header", "path") else location)
    text = ""
    for part in parts:
        if isinstance(part, str) and "[" in part:
            break  # a union member's tag, e.g. "literal['a','b']": not part of the field's name
        if isinstance(part, str) and (part in UNION_TAGS or part[:1].isupper()):
            continue  # a union member's type (`bool`, `MusicCreate`): our field names are lower case
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or None


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        if route.matches(request.scope)[0] != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError):
        return error_response(error.status, error.code, error.message, error.field, error.headers)

    @app.exception_handler(Stale)
    async def stale(request: Request, error: Stale):
        message = "it changed since you loaded it; reload it, or send the write again without If-Match to overwrite"
        body = {"error": {"code": "precondition_failed", "message": message, "field": None}, "current": error.current}
        return JSONResponse(body, status_code=412, headers={"ETag": error.tag})

    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, error: InvalidInput):
        return error_response(400, "invalid_request", str(error), error.field, reason="invalid")

    @app.exception_handler(BodyTooLarge)
    async def upload_too_large(request: Request, error: BodyTooLarge):
        return error_response(413, "body_too_large", str(error), "file", headers={"Connection": "close"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError):
        errors = error.errors()
        first = errors[0]
        # A union (`music: bool | Music`) fails once per member: the member that got furthest names the field.
        prefix = field_of(tuple(first["loc"])) or ""
        related = [e for e in errors if (field_of(tuple(e["loc"])) or "").startswith(prefix)]
        first = max(related, key=lambda e: len(field_of(tuple(e["loc"])) or ""))
        why = reason_of(first)
        if first["type"] == "json_invalid":
            return error_response(400, "invalid_request", "the body is not valid JSON", "body", **why)
        field = field_of(tuple(first["loc"])) or ("body" if first["loc"][:1] == ("body",) else None)
        if first["type"] == "missing" and field is None:
            return error_response(400, "invalid_request", "a JSON body is required", "body", **why)
        message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
        return error_response(400, "invalid_request", message, field, **why)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        message = error.detail if isinstance(error.detail, str) else "request failed"
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return error_response(error.status_code, CODES.get(error.status_code, "error"), message, None, headers)

    @app.exception_handler(Exception)
    async def bug(request: Request, error: Exception):
        logger.opt(exception=error).error("unhandled error on {} {}", request.method, request.url.path)
        return error_response(500, "internal_error", "internal error; the server log has the details")


ERROR_RESPONSES = {
    status: {"model": ErrorPublic, "description": code.replace("_", " ")}
    for status, code in CODES.items()
    if status != 405
}
