"""Optimistic concurrency for what people edit: a project, a shot and a character each answer with
an `ETag` (a hash of what the API shows of it); a write that sends `If-Match` with an older tag is
refused with 412 and the current state, so two people never overwrite each other silently."""

import hashlib
import json
from typing import Annotated

from fastapi import Header, Response

IfMatch = Annotated[
    str | None,
    Header(max_length=200, description="the ETag the caller last saw; a write over a newer state is a 412"),
]


class Stale(Exception):
    """The resource changed since the caller's `If-Match`: what it is now, and its tag."""

    def __init__(self, current: dict, tag: str):
        self.current, self.tag = current, tag


def etag(public: dict) -> str:
    digest = hashlib.sha256(json.dumps(public, sort_keys=True, ensure_ascii=False, default=str).encode())
    return f'"{digest.hexdigest()[:20]}"'


def check_fresh(if_match: str | None, public: dict) -> None:
    """Nothing to check without `If-Match` (`*` matches anything that exists)."""
    if if_match is None or if_match.strip() == "*":
        return
    tag = etag(public)
    sent = {part.strip().removeprefix("W/") for part in if_match.split(",")}
    if tag not in sent:
        raise Stale(public, tag)


def tagged(response: Response, public: dict) -> dict:
    """The body, with its ETag set on the response."""
    response.headers["ETag"] = etag(public)
    return public
