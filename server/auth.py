"""API keys: `X-API-Key` or `Authorization: Bearer`, compared in constant time; each key owns its tasks."""

import hashlib
import hmac

from fastapi import Request, WebSocket

from server.errors import ApiError


def owner_of(key: str) -> str:
    """What the job table stores for a key: a digest, so the database holds no secret."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def presented_key(headers, query) -> str | None:
    if key := headers.get("x-api-key"):
        return key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return query.get("api_key")  # browsers cannot set headers on a WebSocket


def matching_owner(keys: list[str], presented: str | None) -> str | None:
    """The owner id of the presented key, or None; every key is compared, so timing reveals nothing."""
    found = None
    for key in keys:
        if hmac.compare_digest(key.encode(), (presented or "").encode()):
            found = key
    return owner_of(found) if found is not None else None


def caller(request: Request) -> str:
    """The owner id of the request ('' when keys are off); 401 without a valid key."""
    keys = request.app.state.settings.api_key_list
    if not keys:
        return ""
    owner = matching_owner(keys, presented_key(request.headers, {}))
    if owner is None:
        raise ApiError(
            401,
            "a valid API key is required (X-API-Key or Authorization: Bearer)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return owner


def websocket_caller(websocket: WebSocket) -> str | None:
    keys = websocket.app.state.settings.api_key_list
    if not keys:
        return ""
    return matching_owner(keys, presented_key(websocket.headers, websocket.query_params))
