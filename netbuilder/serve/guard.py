"""Every request to /predict checked before it reaches the network, in the HTTP server's process: LitServe
answers every request of a batch with the error of one, so a bad request must never reach a batch. A wrong
content type (415), a body over the size limit (413), text that is not JSON (400), a body without "inputs" or
with inputs of the wrong shape, that are not numbers, or are not finite (422): each answered with what the
network expects, and the server keeps serving. A request that passes is fed to the drift window with the
classes it was given.

An image network also takes an uploaded picture as the body (Content-Type image/png, image/jpeg, ...): it is
converted to the network's channels, resized to its height and width, and its 0..1 stretched over the training
data's range of values, as `netbuilder predict` does with an image file; a picture that cannot be read is a
422."""
from __future__ import annotations

import io
import json
import math

import numpy as np

MAX_SAMPLES = 4096  # samples in one request


class Invalid(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def expects(shape: tuple[int, ...]) -> str:
    size = math.prod(shape)
    return (f"the network takes samples of {list(shape)} ({size} number{'s' if size != 1 else ''} each): send JSON"
            ' {"inputs": one sample, or a list of samples}, in the training data\'s own units')


def samples(body: bytes, shape: tuple[int, ...]) -> np.ndarray:
    """The request's samples [N, *shape] as float32; Invalid saying what is wrong and what is expected."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise Invalid(400, f"the body is not JSON ({e}); {expects(shape)}") from None
    if not isinstance(payload, dict) or "inputs" not in payload:
        raise Invalid(422, f"the JSON has no \"inputs\"; {expects(shape)}")
    try:
        array = np.asarray(payload["inputs"])
    except (ValueError, TypeError, OverflowError):  # ragged lists, numbers too large for any type
        raise Invalid(422, f"\"inputs\" is not a regular array of numbers (its lists differ in length); "
                           f"{expects(shape)}") from None
    if array.dtype.kind not in "iuf" or array.dtype == object:
        raise Invalid(422, f"\"inputs\" holds values that are not numbers ({_kind(array)}); {expects(shape)}")
    size = math.prod(shape)
    if array.shape == shape or (array.ndim == 1 and array.size == size):
        array = array.reshape(1, *shape)
    elif array.shape[1:] == shape or (array.ndim == 2 and array.shape[1] == size):
        array = array.reshape(len(array), *shape)
    else:
        raise Invalid(422, f"\"inputs\" is {list(array.shape)}; {expects(shape)}")
    if not len(array):
        raise Invalid(422, f"\"inputs\" holds no samples; {expects(shape)}")
    if len(array) > MAX_SAMPLES:
        raise Invalid(413, f"{len(array)} samples in one request: at most {MAX_SAMPLES}")
    values = array.astype(np.float32)
    bad = ~np.isfinite(values)
    if bad.any():
        raise Invalid(422, f"\"inputs\" has {int(bad.sum())} value(s) that are not finite numbers (NaN or infinite,"
                           f" or too large for 32-bit floats); {expects(shape)}")
    return values


def picture(body: bytes, shape: tuple[int, ...], value_range: tuple[float, float]) -> np.ndarray:
    """An uploaded image as one sample [1, C, H, W] in the data's units; Invalid when it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(body)) as image:
            image = image.convert("L" if shape[0] == 1 else "RGB").resize((shape[2], shape[1]))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise Invalid(422, f"the body could not be read as an image ({e}); the network takes a picture it resizes to"
                           f" {shape[2]}x{shape[1]}, or JSON {{\"inputs\": ...}} of {list(shape)}") from None
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    low, high = value_range
    return (low + pixels * (high - low))[None].astype(np.float32)


def _kind(array: np.ndarray) -> str:
    if array.dtype.kind == "b":
        return "true or false"
    if array.dtype.kind in "US":
        return "text"
    return "null, objects or a mix"


class Guard:
    """ASGI middleware in front of LitServe's /predict: checks each request, and watches drift."""

    def __init__(self, app, shape: tuple[int, ...], limit: int, monitor=None, image_range=None):
        """`image_range`: the training data's (lowest, highest) value, for a network that takes pictures."""
        self.app, self.shape, self.limit, self.monitor = app, tuple(shape), limit, monitor
        self.image_range = image_range

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != "/predict" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            image = kind.startswith("image/") and self.image_range is not None
            if kind != "application/json" and not image:
                also = " or an image" if self.image_range is not None else ""
                raise Invalid(415, f"the content type is '{kind or 'not given'}', not application/json{also};"
                                   f" {expects(self.shape)}")
            body = await self._body(headers, receive)
            if image:
                x = picture(body, self.shape, self.image_range)
                body = json.dumps({"inputs": x.tolist()}).encode()  # what the network's worker reads
                scope = dict(scope, headers=[(k, v) for k, v in scope["headers"]
                                             if k.lower() not in (b"content-type", b"content-length")]
                             + [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())])
            else:
                x = samples(body, self.shape)
        except Invalid as e:
            return await _answer(send, e.status, {"detail": e.message})
        given = False

        async def replay():
            nonlocal given
            if not given:
                given = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status, parts = 0, []

        async def watch(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay, watch)
        if status == 200 and self.monitor is not None:
            self.monitor.record(x, _classes(b"".join(parts)))

    async def _body(self, headers: dict, receive) -> bytes:
        too_large = Invalid(413, f"the body is over the size limit of {self.limit:,} bytes")
        try:
            if int(headers.get("content-length", "0")) > self.limit:
                raise too_large
        except ValueError:
            raise Invalid(400, "the Content-Length header is not a number") from None
        chunks, total = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Invalid(400, "the client went away before sending the body")
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.limit:
                raise too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _classes(body: bytes) -> list[int] | None:
    try:
        return [p["index"] for p in json.loads(body)["predictions"] if "index" in p] or None
    except (ValueError, KeyError, TypeError):
        return None


async def _answer(send, status: int, content: dict) -> None:
    body = json.dumps(content).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
