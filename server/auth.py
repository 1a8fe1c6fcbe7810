"""API keys: `X-API-Key` or `Authorization: Bearer` (or `?api_key=` on the WebSocket), compared in
constant time, checked before anything else reads the request; each key owns its tasks."""

import hashlib
import hmac
import json
from urllib.parse import parse_qsl

from fastapi import Request, WebSocket
from starlette.datastructures import Headers

OWNER = "s2v.owner"  # where the middleware leaves the caller's owner id in the ASGI scope


def owner_of(key: str) -> str:
    """What the job table stores for a key: a digest, so the database holds no secret."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def presented_key(headers, query: dict) -> str | None:
    if key := headers.get("x-api-key"):
        return key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return query.get("api_key")  # browsers cannot set headers on a WebSocket


def matching_owner(keys: list[str], presented: str | None) -> str | None:
    """The owner id of the presented key, or None; every key is compared, so timing reveals nothing."""
    found = None
    offered = hashlib.sha256((presented or "").encode()).digest()  # equal lengths: timing tells nothing
    for key in keys:
        if hmac.compare_digest(hashlib.sha256(key.encode()).digest(), offered):
            found = key
    return owner_of(found) if found is not None else None


class KeyCheck:
    """ASGI middleware, outermost: a request without a valid key is answered 401 before its body is read."""

    def __init__(self, app, keys: list[str], open_paths: tuple[str, ...] = ("/healthz",)):
        self.app, self.keys, self.open_paths = app, keys, open_paths

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        owner = ""
        if self.keys and scope["path"] not in self.open_paths:
            query = dict(parse_qsl(scope["query_string"].decode("latin-1"))) if scope["type"] == "websocket" else {}
            owner = matching_owner(self.keys, presented_key(Headers(scope=scope), query))
            if owner is None:
                return await self.refuse(scope, receive, send)
        scope[OWNER] = owner
        await self.app(scope, receive, send)

    async def refuse(self, scope, receive, send):
        if scope["type"] == "websocket":
            await receive()  # the connect message
            await send({"type": "websocket.close", "code": 4401, "reason": "a valid API key is required"})
            return
        message = "a valid API key is required (X-API-Key or Authorization: Bearer)"
        body = json.dumps({"error": {"code": "unauthorized", "message": message, "field": None}}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b"Bearer"),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def caller(request: Request) -> str:
    """The owner id of the request ('' when keys are off), as KeyCheck found it."""
    return request.scope[OWNER]


def websocket_caller(websocket: WebSocket) -> str:
    return websocket.scope[OWNER]
