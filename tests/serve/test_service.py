"""The service through a real server on a free local port (started as a child process, always stopped):
its answers are the network's, every kind of bad request gets its 4xx and a message saying what the network
expects (and the server keeps serving), /docs answers, and drift stays quiet on training-like inputs and fires on
shifted ones. Raw HTTP over a socket, as curl sends it, as well."""
import socket
from pathlib import Path

import numpy as np
import pytest
import torch

from netbuilder.data.dataset import DataSpec, prepare
from netbuilder.deploy.predict import trained_model
from netbuilder import load_graph

CNN = Path(__file__).resolve().parents[2] / "templates" / "cnn_digits.json"


def _test_samples():
    prepared = prepare(DataSpec.from_dict(load_graph(CNN).meta["data"]))
    return prepared.shown(prepared.test[0]).numpy()


def test_answers_are_the_networks(service):
    process, doc, run, _ = service
    x = _test_samples()[:5]
    status, answer = process.request("POST", "/predict", {"inputs": x.tolist()})
    assert status == 200 and len(answer["predictions"]) == 5
    model = trained_model(load_graph(doc), run / "best.pt")
    with torch.no_grad():
        expected = torch.softmax(model(torch.from_numpy(x)), 1).numpy()
    got = np.array([p["probabilities"] for p in answer["predictions"]])
    assert np.abs(got - expected).max() < 1e-5
    assert [p["index"] for p in answer["predictions"]] == expected.argmax(1).tolist()
    status, one = process.request("POST", "/predict", {"inputs": x[0].tolist()})  # one sample, no batch dimension
    assert status == 200 and one["predictions"][0]["index"] == int(expected[0].argmax())
    status, flat = process.request("POST", "/predict", {"inputs": x[0].reshape(-1).tolist()})  # 64 numbers
    assert status == 200 and flat["predictions"][0]["index"] == int(expected[0].argmax())


@pytest.mark.parametrize("body, headers, status, says", [
    (b'{"inputs": [1, 2, 3]}', {"Content-Type": "application/json"}, 422, '"inputs" is [3]'),
    (b'{"inputs": [["a", "b"]]}', {"Content-Type": "application/json"}, 422, "not numbers (text)"),
    (b'{"inputs": [true, false]}', {"Content-Type": "application/json"}, 422, "not numbers (true or false)"),
    (b'{"inputs": [[1, 2], [3]]}', {"Content-Type": "application/json"}, 422, "not a regular array"),
    (b'{"inputs": [' + b", ".join([b"NaN"] + [b"1"] * 63) + b"]}", {"Content-Type": "application/json"}, 422,
     "1 value(s) that are not finite"),
    (b'{"inputs": [' + b", ".join([b"1e999"] + [b"1"] * 63) + b"]}", {"Content-Type": "application/json"}, 422,
     "not finite"),
    (b'{"inputs": []}', {"Content-Type": "application/json"}, 422, '"inputs" is [0]'),
    (b'{"samples": [1]}', {"Content-Type": "application/json"}, 422, 'has no "inputs"'),
    (b'{"inputs": [1, 2', {"Content-Type": "application/json"}, 400, "not JSON"),
    (b'{"inputs": [1]}', {"Content-Type": "text/plain"}, 415, "not application/json"),
    (b'{"inputs": [1]}', {}, 415, "'not given'"),
    (b'{"inputs": [' + b"0, " * 20000 + b"0]}", {"Content-Type": "application/json"}, 413, "size limit of 50,000"),
])
def test_bad_requests_get_a_4xx_saying_what_is_expected(service, body, headers, status, says):
    process = service[0]
    got, answer = process.request("POST", "/predict", body, headers)
    assert got == status and says in answer["detail"]
    if status != 413:
        assert "[1, 8, 8] (64 numbers each)" in answer["detail"]
    assert process.request("GET", "/health")[0] == 200  # still serving


def test_raw_http_as_curl_sends_it(service):
    process = service[0]
    sample = ", ".join(["0"] * 64)
    body = f'{{"inputs": [{sample}]}}'.encode()
    with socket.create_connection(("127.0.0.1", process.port), timeout=30) as s:
        s.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n"
                  b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() +
                  b"\r\nConnection: close\r\n\r\n" + body)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200") and b'"predictions"' in answer
    with socket.create_connection(("127.0.0.1", process.port), timeout=30) as s:  # a header that lies
        s.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999"
                  b"\r\nConnection: close\r\n\r\n{}")
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413")


def test_docs_model_and_drift(service):
    process, window = service[0], service[3]
    assert process.request("GET", "/docs")[0] == 200
    status, schema = process.request("GET", "/openapi.json")
    assert status == 200 and {"/predict", "/drift", "/model"} <= set(schema["paths"])
    status, model = process.request("GET", "/model")
    assert status == 200 and model["input_shape"] == [1, 8, 8] and model["classes"][:2] == ["0", "1"]
    assert model["run"] == "run 1" and model["metrics"]["val_accuracy"] > 0.9
    x = _test_samples()
    _send(process, x[:window])  # training-like
    status, quiet = process.request("GET", "/drift")
    assert status == 200 and quiet["window"] == window and quiet["method"] == "Wasserstein (normed)"
    assert quiet["drift"] is False and quiet["classes"]["drift"] is False
    shifted = np.clip(x[:window] * 0.5 + 0.4, 0, 1)  # washed-out digits
    _send(process, shifted)
    status, fired = process.request("GET", "/drift")
    assert fired["drift"] is True and fired["share_drifted"] >= 0.5 and "retrain with recent data" in fired["message"]
    assert all(f["drift"] for f in fired["features"]) and all(f["psi"] > 0.2 for f in fired["features"])


def _send(process, x, size=10):
    for i in range(0, len(x), size):
        assert process.request("POST", "/predict", {"inputs": x[i:i + size].tolist()})[0] == 200


def test_an_uploaded_picture_is_read_as_the_training_images_were(service):
    import io

    from PIL import Image

    process = service[0]
    x = _test_samples()[3]
    pixels = np.round(x[0] * 255).astype(np.uint8)
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG")
    status, answer = process.request("POST", "/predict", png.getvalue(), {"Content-Type": "image/png"})
    status_json, same = process.request("POST", "/predict", {"inputs": (pixels / 255.0)[None].tolist()})
    assert status == status_json == 200
    assert np.abs(np.array(answer["predictions"][0]["probabilities"]) -
                  np.array(same["predictions"][0]["probabilities"])).max() < 1e-5
    status, answer = process.request("POST", "/predict", b"not a picture", {"Content-Type": "image/png"})
    assert status == 422 and "could not be read as an image" in answer["detail"] and "8x8" in answer["detail"]
