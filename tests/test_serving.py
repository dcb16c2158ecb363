import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import keras
import numpy as np
import pytest

from keras_deepinit import cli
from keras_deepinit import export
from keras_deepinit import serving

MAX_BODY_BYTES = 4096
# Loopback only, whatever the proxy settings.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def tiny_model(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Versions 1 and 2 of "tiny", with different weights, and the models."""
    base_dir = tmp_path_factory.mktemp("exported")
    first, second = tiny_model(1), tiny_model(2)
    export.export_model(first, "tiny", base_dir=base_dir, metadata={"data": "toy"})
    export.export_model(second, "tiny", base_dir=base_dir, metadata={"data": "toy"})
    return base_dir, first, second


def start(base_dir, **kwargs):
    server = serving.make_server(base_dir, port=0, **kwargs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://{}:{}".format(*server.server_address)


def stop(server):
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def url(models):
    server, url = start(models[0], max_body_bytes=MAX_BODY_BYTES)
    yield url
    stop(server)


def call(url, body=None, method=None, data=None):
    """Returns the status code, the JSON body and the headers of a request."""
    if body is not None:
        data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


def predict(url, body, path="/v1/models/tiny:predict"):
    code, result, _ = call(url + path, body)
    assert code == 200, result
    return result


def inputs(count, seed=0):
    return np.random.default_rng(seed).normal(size=(count, 4)).astype("float32")


def test_status_lists_every_version(url):
    code, status, headers = call(url + "/v1/models/tiny")
    assert code == 200 and headers["Content-Type"] == "application/json"
    ok = {"error_code": "OK", "error_message": ""}
    assert status == {
        "model_version_status": [
            {"version": "2", "state": "AVAILABLE", "status": ok},
            {"version": "1", "state": "AVAILABLE", "status": ok},
        ]
    }
    code, status, _ = call(url + "/v1/models/tiny/versions/1")
    assert code == 200
    assert status["model_version_status"] == [
        {"version": "1", "state": "AVAILABLE", "status": ok}
    ]


def test_metadata_has_the_signature_and_metadata_json(url):
    code, metadata, _ = call(url + "/v1/models/tiny/metadata")
    assert code == 200
    assert metadata["model_spec"] == {
        "name": "tiny",
        "signature_name": "",
        "version": "2",
    }
    signature = metadata["metadata"]["signature_def"]["signature_def"][
        "serving_default"
    ]
    assert signature["inputs"] == {
        "images": {
            "dtype": "DT_FLOAT",
            "tensor_shape": {
                "dim": [{"size": "-1", "name": ""}, {"size": "4", "name": ""}],
                "unknown_rank": False,
            },
            "name": "serving_default_images:0",
        }
    }
    assert list(signature["outputs"]) == ["predictions"]
    output = signature["outputs"]["predictions"]
    assert output["dtype"] == "DT_FLOAT"
    assert [dim["size"] for dim in output["tensor_shape"]["dim"]] == ["-1", "3"]
    assert signature["method_name"] == "tensorflow/serving/predict"
    ours = metadata["keras_deepinit_metadata"]
    assert ours["data"] == "toy" and ours["name"] == "tiny" and ours["version"] == 2

    _, metadata, _ = call(url + "/v1/models/tiny/versions/1/metadata")
    assert metadata["model_spec"]["version"] == "1"
    assert metadata["keras_deepinit_metadata"]["version"] == 1


def test_predict_rows_and_columns_match_model_predict(url, models):
    x = inputs(5)
    expected = models[2].predict(x, verbose=0)
    rows = x.tolist()
    for body, key in [
        ({"instances": rows}, "predictions"),
        ({"instances": [{"images": row} for row in rows]}, "predictions"),
        ({"instances": rows, "signature_name": "serving_default"}, "predictions"),
        ({"inputs": rows}, "outputs"),
        ({"inputs": {"images": rows}}, "outputs"),
    ]:
        result = predict(url, body)
        assert list(result) == [key], body
        np.testing.assert_allclose(result[key], expected, atol=1e-5)


def test_explicit_version_and_latest(url, models):
    x = inputs(3, seed=1)
    first = models[1].predict(x, verbose=0)
    second = models[2].predict(x, verbose=0)
    assert not np.allclose(first, second, atol=1e-3)  # The test can tell them apart.
    body = {"instances": x.tolist()}
    latest = predict(url, body)["predictions"]
    one = predict(url, body, "/v1/models/tiny/versions/1:predict")["predictions"]
    two = predict(url, body, "/v1/models/tiny/versions/2:predict")["predictions"]
    np.testing.assert_allclose(latest, second, atol=1e-5)
    np.testing.assert_allclose(two, second, atol=1e-5)
    np.testing.assert_allclose(one, first, atol=1e-5)


GOOD = {"instances": [[1.0, 2.0, 3.0, 4.0]]}
PREDICT = "/v1/models/tiny:predict"
BAD_REQUESTS = [
    # (method, path, body bytes, code, words the error names)
    ("POST", PREDICT, b"{not json", 400, ["JSON"]),
    ("POST", PREDICT, b"[1, 2]", 400, ["JSON object", "list"]),
    ("POST", PREDICT, b"{}", 400, ["instances", "inputs"]),
    ("POST", PREDICT, {"instances": [[1] * 4], "inputs": [[1] * 4]}, 400, ["one"]),
    ("POST", PREDICT, {"instances": [[1, 2, 3]]}, 400, ["(None, 4)", "(1, 3)"]),
    ("POST", PREDICT, {"instances": [1, 2, 3, 4]}, 400, ["(None, 4)", "(4,)"]),
    ("POST", PREDICT, {"inputs": [[[1, 2, 3, 4]]]}, 400, ["(None, 4)", "(1, 1, 4)"]),
    ("POST", PREDICT, {"instances": [["a", "b", "c", "d"]]}, 400, ["float32", "str"]),
    ("POST", PREDICT, {"instances": [[True] * 4]}, 400, ["float32", "boolean"]),
    ("POST", PREDICT, {"instances": [[1, None, 3, 4]]}, 400, ["float32", "null"]),
    ("POST", PREDICT, {"instances": [[1, 2, 3, 4], [1, 2]]}, 400, ["ragged"]),
    ("POST", PREDICT, {"instances": []}, 400, ["non-empty"]),
    ("POST", PREDICT, {"instances": {"images": [1, 2, 3, 4]}}, 400, ["list"]),
    ("POST", PREDICT, {"instances": [{"pixels": [1] * 4}]}, 400, ["images", "pixels"]),
    ("POST", PREDICT, {"inputs": {"pixels": [[1] * 4]}}, 400, ["images", "pixels"]),
    ("POST", PREDICT, {"instances": [{"images": [1] * 4}, [1] * 4]}, 400, ["mix"]),
    ("POST", PREDICT, {**GOOD, "signature_name": "classify"}, 400, ["classify"]),
    ("POST", "/v1/models/nope:predict", GOOD, 404, ["nope", "tiny"]),
    ("GET", "/v1/models/nope", None, 404, ["nope"]),
    ("GET", "/v1/models/nope/metadata", None, 404, ["nope"]),
    ("GET", "/v1/models/.hidden", None, 404, [".hidden"]),
    ("POST", "/v1/models/tiny/versions/9:predict", GOOD, 404, ["9", "[1, 2]"]),
    ("POST", "/v1/models/tiny/versions/0:predict", GOOD, 404, ["0", "[1, 2]"]),
    ("GET", "/v1/models/tiny/versions/9", None, 404, ["9"]),
    ("GET", "/v1/models/tiny/versions/9/metadata", None, 404, ["9"]),
    ("GET", "/v2/models/tiny", None, 404, ["/v2/models/tiny"]),
    ("GET", "/", None, 404, ["route"]),
    ("POST", "/v1/models/tiny:classify", GOOD, 404, [":classify"]),
    ("GET", PREDICT, None, 405, ["POST"]),
    ("POST", "/v1/models/tiny", GOOD, 405, ["GET"]),
    ("DELETE", "/v1/models/tiny", None, 405, ["GET"]),
    ("PUT", PREDICT, GOOD, 405, ["POST"]),
    ("POST", PREDICT, b" " * MAX_BODY_BYTES + b"{}", 413, [str(MAX_BODY_BYTES)]),
]


@pytest.mark.parametrize("method, path, body, code, words", BAD_REQUESTS)
def test_bad_requests_get_json_errors(url, method, path, body, code, words):
    data = body if isinstance(body, bytes) else None
    body = None if isinstance(body, bytes) else body
    got, result, headers = call(url + path, body, method, data)
    assert got == code, result
    assert list(result) == ["error"] and isinstance(result["error"], str)
    for word in words:
        assert word in result["error"]
    if code == 405:
        assert headers["Allow"] == ("POST" if path == PREDICT else "GET")
    predict(url, GOOD)  # The server keeps serving.


def raw_request(url, method, path, headers, body=b""):
    """Sends exactly these headers (no Content-Length unless given)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest(method, path)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(body)
    response = connection.getresponse()
    result = (response.status, json.loads(response.read()), response.headers)
    connection.close()
    return result


def test_body_size_is_checked_before_reading(url):
    # The body announced is never sent: reading it first would time out.
    code, result, headers = raw_request(
        url, "POST", PREDICT, {"Content-Length": str(10**9)}, b'{"instances": '
    )
    assert code == 413 and "Content-Length=1000000000" in result["error"]
    assert headers["Connection"] == "close"
    # With "Expect: 100-continue", refused before the client sends it.
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
            "Expect: 100-continue\r\n\r\n".encode()
        )
        assert connection.recv(100).startswith(b"HTTP/1.1 413 ")
    predict(url, GOOD)


def test_missing_or_bad_content_length(url):
    code, result, _ = raw_request(url, "POST", PREDICT, {})
    assert code == 411 and "Content-Length" in result["error"]
    code, result, _ = raw_request(url, "POST", PREDICT, {"Content-Length": "ten"})
    assert code == 400 and "'ten'" in result["error"]
    # Errors that http.server finds itself are JSON too.
    code, result, _ = raw_request(url, "TRACE", PREDICT, {})
    assert code == 501 and "TRACE" in result["error"]
    predict(url, GOOD)


def test_keep_alive_serves_several_requests_per_connection(url):
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    sockets = []
    for path, body in [(PREDICT, json.dumps(GOOD))] * 3 + [("/v1/models/tiny", None)]:
        connection.request("POST" if body else "GET", path, body)
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())
        sockets.append(connection.sock)
    assert sockets[0] is not None and sockets == sockets[:1] * 4
    connection.close()


def test_concurrent_requests(url, models):
    x = inputs(8 * 25, seed=2)
    expected = models[2].predict(x, verbose=0)
    errors = []

    def client(thread):
        for i in range(thread * 25, (thread + 1) * 25):
            try:
                result = predict(url, {"instances": x[i : i + 1].tolist()})
                np.testing.assert_allclose(
                    result["predictions"][0], expected[i], atol=1e-5
                )
            except Exception as error:  # Collected for the main thread.
                errors.append(error)

    threads = [threading.Thread(target=client, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_versions_exported_while_serving_appear(models, tmp_path):
    _, first, second = models
    export.export_model(first, "tiny", base_dir=tmp_path)
    server, url = start(tmp_path)
    try:
        x = inputs(2, seed=3)
        body = {"instances": x.tolist()}
        expected = first.predict(x, verbose=0)
        np.testing.assert_allclose(
            predict(url, body)["predictions"], expected, atol=1e-5
        )

        # Neither partial exports, hidden folders, files nor other names are
        # versions.
        os.mkdir(tmp_path / "tiny" / ".7.partial-abc")
        os.mkdir(tmp_path / "tiny" / "notes")
        (tmp_path / "tiny" / "8").write_text("not a folder")
        _, status, _ = call(url + "/v1/models/tiny")
        assert [s["version"] for s in status["model_version_status"]] == ["1"]

        export.export_model(second, "tiny", base_dir=tmp_path)
        _, status, _ = call(url + "/v1/models/tiny")
        assert [s["version"] for s in status["model_version_status"]] == ["9", "1"]
        expected = second.predict(x, verbose=0)
        np.testing.assert_allclose(
            predict(url, body)["predictions"], expected, atol=1e-5
        )

        export.export_model(first, "other", base_dir=tmp_path)
        assert call(url + "/v1/models/other")[0] == 200

        # A version that does not load: 500, and the others still serve.
        os.mkdir(tmp_path / "tiny" / "10")
        code, result, _ = call(url + PREDICT, body)
        assert code == 500 and "Could not load version 10 of tiny" in result["error"]
        predict(url, body, "/v1/models/tiny/versions/9:predict")
    finally:
        stop(server)


def test_make_server_checks_its_arguments(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(ValueError, match=re.escape(f"model_base_dir='{missing}'")):
        serving.make_server(missing)
    for port in (-1, 65536, "8501", True):
        with pytest.raises(ValueError, match=re.escape(f"port={port!r}")):
            serving.make_server(tmp_path, port=port)
    with pytest.raises(ValueError, match="max_body_bytes=0"):
        serving.make_server(tmp_path, max_body_bytes=0)


def test_cli_errors_are_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve", str(tmp_path / "nowhere")])
    assert exit_info.value.code == 2
    assert "Received: model_base_dir=" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve", str(tmp_path), "--port", "70000"])
    assert "Received: port=70000" in capsys.readouterr().err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_cli_serves_until_interrupted(models, signum):
    # SIGINT ignored, as a background job inherits it: the server still stops.
    process = subprocess.Popen(
        [sys.executable, "-m", "keras_deepinit.cli", "serve", str(models[0])]
        + ["--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        first_line = process.stdout.readline()
        url = re.search(r"http://[0-9.:]+", first_line).group()
        assert process.stdout.readline().strip() == (
            f"{url}/v1/models/tiny (versions [1, 2])"
        )
        assert call(url + "/v1/models/tiny")[0] == 200
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out.strip() == "Stopped." and "Traceback" not in err
