"""The HTTP service on LitServe (FastAPI and uvicorn underneath, request batching built in):

    POST /predict  {"inputs": one sample or a list} (or an image, for an image network)
                   ->  {"predictions": [{"class", "index", "probability", "probabilities"}, ...]} for a
                   classifier, {"predictions": [{"outputs": [...]}, ...]} otherwise
    GET  /health   "ok" once the network is loaded      GET /model   input shape, classes, run, metrics
    GET  /drift    recent inputs against the training data          GET /docs    the OpenAPI page

It binds to 127.0.0.1 unless told otherwise (LitServe's own default is every interface). One HTTP server
process (where requests are checked and drift is watched) and one inference worker on one thread (which
batches), joined by ZeroMQ (LitServe's fast_queue: a request took 10 to 30 times longer through its default
multiprocessing queues on this machine)."""
from __future__ import annotations

import warnings

import litserve as ls
import numpy as np

from .drift import DriftMonitor, Thresholds
from .guard import Guard
from .model import ServeError, Served

MAX_BODY = 8 * 2**20  # bytes
HOSTS = ("127.0.0.1", "0.0.0.0", "::")  # what LitServe binds to


class NetworkAPI(ls.LitAPI):
    """The network in LitServe's inference worker: requests (already checked) in, answers out; with batching,
    the samples of several requests in one call."""

    def __init__(self, served: Served, max_batch: int, wait: float):
        with warnings.catch_warnings():  # "batch and unbatch without max_batch_size": batching off is a choice
            warnings.simplefilter("ignore")
            super().__init__(max_batch_size=max_batch, batch_timeout=wait)
        self.served = served

    def setup(self, device):
        import torch

        torch.set_num_threads(1)  # one worker, one thread: batches of a few samples gain nothing from more
        self.run = self.served.load()

    def decode_request(self, request):
        x = np.asarray(request["inputs"], dtype=np.float32)
        return self.served.normalise(x.reshape(-1, *self.served.shape))

    def batch(self, inputs):
        self.sizes = [len(x) for x in inputs]
        return np.concatenate(inputs)

    def predict(self, x):
        return self.run(np.ascontiguousarray(x, dtype=np.float32))

    def unbatch(self, output):
        ends = np.cumsum(self.sizes)
        return [output[end - size:end] for size, end in zip(self.sizes, ends)]

    def encode_response(self, output):
        return {"predictions": answers(output, self.served)}


def answers(output: np.ndarray, served: Served) -> list[dict]:
    """Per sample: the class, its index and probability, and every class's probability (softmax; a sigmoid
    for a single logit); or the outputs of a regression."""
    output = np.asarray(output, dtype=np.float64).reshape(len(output), -1)
    if not served.classifies:
        return [{"outputs": row.tolist()} for row in output]
    if output.shape[1] == 1:
        p = 1 / (1 + np.exp(-output))
        probabilities = np.concatenate([1 - p, p], axis=1)
    else:
        shifted = np.exp(output - output.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
    names = served.classes or [str(i) for i in range(probabilities.shape[1])]
    found = []
    for row in probabilities:
        best = int(row.argmax())
        found.append({"class": names[best] if best < len(names) else str(best), "index": best,
                      "probability": float(row[best]), "probabilities": [round(float(v), 6) for v in row]})
    return found


def make_server(served: Served, max_batch: int = 32, wait_ms: float = 5.0, limit: int = MAX_BODY,
                thresholds: Thresholds | None = None):
    """The LitServer for `served`, with /model and /drift, every /predict checked first."""
    if max_batch < 1 or wait_ms < 0:
        raise ServeError(f"--max-batch is at least 1 and --batch-wait-ms at least 0 (not {max_batch}, {wait_ms})")
    monitor = None
    if served.reference is not None:
        monitor = DriftMonitor(served.reference, served.image, served.labels, served.classes, thresholds)
    api = NetworkAPI(served, max_batch, wait_ms / 1000)
    pictures = served.image and served.shape[0] in (1, 3) and served.reference is not None
    image_range = (float(served.reference.min()), float(served.reference.max())) if pictures else None
    server = ls.LitServer(api, accelerator="cpu", devices=1, workers_per_device=1, timeout=30, fast_queue=True,
                          middlewares=[(Guard, {"shape": served.shape, "limit": limit, "monitor": monitor,
                                                "image_range": image_range})])
    description = served.describe()

    def model() -> dict:
        return description

    def drift() -> dict:
        if monitor is None:
            return {"drift": None, "message": served.note or "drift is not watched: no training data"}
        return monitor.report()

    _document_predict(server.app, served)
    server.app.add_api_route("/model", model, methods=["GET"], summary="the network: input shape, classes, run")
    server.app.add_api_route("/drift", drift, methods=["GET"], summary="recent inputs against the training data")
    return server


def _check_port(host: str, port: int) -> None:
    """Before the workers start: a port another program holds is said at once."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            raise ServeError(f"port {port} on {host} cannot be used ({e.strerror or e}): another program may hold it;"
                             " choose another with --port") from None


def _document_predict(app, served: Served) -> None:
    """/predict in the OpenAPI page (/docs) with its body and its answers: LitServe registers it as taking any
    request."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            post = schema.get("paths", {}).get("/predict", {}).get("post")
            if post is not None:
                body = {"type": "object", "required": ["inputs"], "properties": {"inputs": {
                    "description": f"one sample of {list(served.shape)}, or a list of them", "type": "array"}}}
                content = {"application/json": {"schema": body}}
                if served.image:
                    content["image/png"] = {"schema": {"type": "string", "format": "binary"}}
                post["requestBody"] = {"required": True, "content": content}
                post["summary"] = "the network's answer for one sample or a batch"
                error = {"content": {"application/json": {"schema": {
                    "type": "object", "properties": {"detail": {"type": "string"}}}}}}
                post["responses"] = {"200": {"description": "the predictions"},
                                     **{code: {"description": what, **error} for code, what in (
                                         ("400", "the body is not JSON"), ("413", "the body is too large"),
                                         ("415", "the content type is not JSON"),
                                         ("422", "the inputs are not samples the network takes"))}}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi


def serve(served: Served, host: str = "127.0.0.1", port: int = 8000, max_batch: int = 32, wait_ms: float = 5.0,
          limit: int = MAX_BODY, thresholds: Thresholds | None = None, log_level: str = "warning") -> None:
    """Run the service until it is stopped (Ctrl+C, SIGTERM)."""
    if host not in HOSTS:
        raise ServeError(f"--host is one of {', '.join(HOSTS)} (LitServe binds to those), not '{host}'")
    if not 1024 <= port <= 65535:
        raise ServeError(f"--port is from 1024 to 65535, not {port}")
    _check_port(host, port)
    server = make_server(served, max_batch, wait_ms, limit, thresholds)
    server.run(host=host, port=port, num_api_servers=1, log_level=log_level, generate_client_file=False)
