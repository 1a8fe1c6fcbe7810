"""Request bodies over S2V_MAX_BODY_BYTES get 413 before any route reads them, with or without a length."""

from server.errors import error_response


class BodyLimit:
    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await self.refuse(scope, receive, send)
        chunks, size = [], 0
        while True:  # read it all here, so a chunked body is counted too
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await self.refuse(scope, receive, send)
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

    async def refuse(self, scope, receive, send):
        message = f"the body is larger than {self.limit} bytes (S2V_MAX_BODY_BYTES)"
        answer = error_response(413, "body_too_large", message, "body", headers={"Connection": "close"})
        await answer(scope, receive, send)
