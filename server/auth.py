"""API keys: `X-API-Key` or `Authorization: Bearer` (or `?api_key=` on the WebSocket), compared in
constant time, checked before anything else reads the request; each key owns its tasks."""

import base64
import hashlib
import hmac
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request, WebSocket
from starlette.datastructures import Headers

from server.errors import error_response

OWNER = "s2v.owner"  # where the middleware leaves the caller's owner id in the ASGI scope
STATIC_PREFIX = "/static/"  # the studio page's files: no secrets, and a browser loads them before it has a key


def owner_of(key: str) -> str:
    """What the job table stores for a key: a digest, so the database holds no secret."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


KEY_PROTOCOL = "s2v.key."  # a browser's WebSocket carries the key as a subprotocol: s2v.key.<base64url>


def protocol_key(headers) -> str | None:
    """The key a browser's WebSocket offers among its subprotocols (so no key is put in a URL)."""
    for offered in headers.get("sec-websocket-protocol", "").split(","):
        offered = offered.strip()
        if offered.startswith(KEY_PROTOCOL):
            encoded = offered[len(KEY_PROTOCOL) :]
            try:
                return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            except (ValueError, UnicodeDecodeError):
                return None
    return None


def presented_key(headers, query: dict) -> str | None:
    if key := headers.get("x-api-key"):
        return key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return protocol_key(headers) or query.get("api_key")  # browsers cannot set headers on a WebSocket


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def matching_owner(known: dict[bytes, str], presented: str | None) -> str | None:
    """The owner id of the presented key, or None; every key is compared, so timing reveals nothing.

    `known` maps each configured key's digest to its owner id: digests have equal lengths.
    """
    offered, found = digest(presented or ""), None
    for key_digest, owner in known.items():
        if hmac.compare_digest(key_digest, offered):
            found = owner
    return found


class KeyCheck:
    """ASGI middleware, outermost: a request without a valid key is answered 401 before its body is read."""

    def __init__(self, app, keys: list[str], open_paths: tuple[str, ...] = ("/healthz", "/readyz", "/")):
        self.app, self.open_paths = app, open_paths  # and the studio page's static files
        self.known = {digest(key): owner_of(key) for key in keys}  # once, not on every request

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        owner = ""
        if self.known and scope["path"] not in self.open_paths and not scope["path"].startswith(STATIC_PREFIX):
            query = dict(parse_qsl(scope["query_string"].decode("latin-1"))) if scope["type"] == "websocket" else {}
            owner = matching_owner(self.known, presented_key(Headers(scope=scope), query))
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
        answer = error_response(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})
        await answer(scope, receive, send)


def caller(request: Request) -> str:
    """The owner id of the request ('' when keys are off), as KeyCheck found it."""
    return request.scope[OWNER]


Caller = Annotated[str, Depends(caller)]  # what a route declares to know whose request it is


def websocket_caller(websocket: WebSocket) -> str:
    return websocket.scope[OWNER]


def key_subprotocol(websocket: WebSocket) -> str | None:
    """The subprotocol to accept: a browser that offered its key that way expects it echoed back."""
    offered = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",")]
    return next((p for p in offered if p.startswith(KEY_PROTOCOL)), None)
