"""Request bodies over S2V_MAX_BODY_BYTES get 413 before any route reads them, with or without a length.

Uploads have their own, larger limit (S2V_MAX_UPLOAD_BYTES) and are not held in memory: their body
streams through, counted, and the count going over ends the request with a 413 as well.
"""

from server.errors import BodyTooLarge, error_response

UPLOAD_PATH = "/uploads"
MULTIPART_OVERHEAD = 16 * 1024  # boundaries and part headers around the file; the route checks the file itself


class BodyLimit:
    def __init__(self, app, limit: int, upload_limit: int):
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        streamed = scope["path"] == UPLOAD_PATH
        limit = self.upload_limit + MULTIPART_OVERHEAD if streamed else self.limit
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await self.refuse(scope, receive, send, streamed)
        if streamed:
            return await self.app(scope, self.counted(receive, limit), send)
        chunks, size = [], 0
        while True:  # read it all here, so a chunked body is counted too
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await self.refuse(scope, receive, send, streamed)
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()  # later reads wait for the disconnect, as streaming routes expect
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def counted(self, receive, limit: int):
        size = 0

        async def counting():
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLarge(self.upload_limit)
            return message

        return counting

    async def refuse(self, scope, receive, send, streamed: bool):
        if streamed:
            message, field = str(BodyTooLarge(self.upload_limit)), "file"
        else:
            message, field = f"the body is larger than {self.limit} bytes (S2V_MAX_BODY_BYTES)", "body"
        answer = error_response(413, "body_too_large", message, field, headers={"Connection": "close"})
        await answer(scope, receive, send)
