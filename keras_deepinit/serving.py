"""An HTTP server speaking TensorFlow Serving's REST API, for exported models.

It serves every model under a folder laid out as `export.export_model` writes
it (`<base_dir>/<name>/<version>/`), with TensorFlow Serving's routes and JSON:

    GET  /v1/models/<name>[/versions/<v>]             model status
    GET  /v1/models/<name>[/versions/<v>]/metadata    signature and metadata.json
    POST /v1/models/<name>[/versions/<v>]:predict     {"instances"} or {"inputs"}

Without a version, the latest (highest) one. The model's folder is listed again
on every request, so versions exported while serving appear at once; each
version loads on its first request and stays loaded.
"""

import http.server
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import traceback
import urllib.parse

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import saved_model_pb2

import keras_deepinit.layers  # noqa: F401  Registers the custom layers.
from keras_deepinit import export
from keras_deepinit.checks import check_positive_int

DEFAULT_MAX_BODY_BYTES = 32 * 2**20

# /v1/models/<name>[/versions/<version>][/metadata | :predict]
ROUTE = re.compile(
    r"/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>[0-9]+))?"
    r"(?P<verb>/metadata|:predict)?"
)

# Kinds of NumPy arrays parsed from JSON values that each kind of input accepts.
ACCEPTED_KINDS = {"f": "iuf", "i": "iu", "u": "iu", "b": "b", "O": "U"}
KIND_NAMES = {
    "f": "numbers",
    "i": "integers",
    "u": "integers",
    "b": "booleans",
    "U": "strings",
    "O": "mixed values (null, objects or mixed types)",
}


class RequestError(Exception):
    """An error answered with `code` and `{"error": message}`."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Servable:
    """One loaded version of a model: its `serving_default` signature."""

    def __init__(self, path):
        self.loaded = tf.saved_model.load(path)  # Keeps the variables alive.
        if export.SIGNATURE not in self.loaded.signatures:
            raise ValueError(f"The SavedModel at {path} has no {export.SIGNATURE}")
        self.function = self.loaded.signatures[export.SIGNATURE]
        self.input_specs = self.function.structured_input_signature[1]
        self.signature_def = read_signature_def(path)
        has_metadata = os.path.exists(os.path.join(path, export.METADATA_FILE))
        self.metadata = export.load_metadata(path) if has_metadata else None

    def predict(self, body):
        """Answers a predict request body (a dict) as TensorFlow Serving does."""
        signature_name = body.get("signature_name", export.SIGNATURE)
        if signature_name not in ("", export.SIGNATURE):
            raise RequestError(
                400,
                f"Expected signature_name to be {export.SIGNATURE!r} (the only "
                f"signature served). Received: signature_name={signature_name!r}",
            )
        if ("instances" in body) == ("inputs" in body):
            raise RequestError(
                400,
                'Expected exactly one of "instances" (row format) or "inputs" '
                f"(columnar format) in the request. Received keys: {sorted(body)}",
            )
        rows = "instances" in body
        values = rows_to_columns(body["instances"]) if rows else body["inputs"]
        if not isinstance(values, dict):  # A bare value for the only input.
            if len(self.input_specs) != 1:
                raise RequestError(
                    400,
                    f"Expected named inputs {sorted(self.input_specs)}. "
                    "Received: a bare value",
                )
            values = {next(iter(self.input_specs)): values}
        if set(values) != set(self.input_specs):
            raise RequestError(
                400,
                f"Expected the inputs {sorted(self.input_specs)}. "
                f"Received: {sorted(values)}",
            )
        tensors = {
            name: to_tensor(name, value, self.input_specs[name])
            for name, value in values.items()
        }
        try:
            outputs = self.function(**tensors)
        except tf.errors.InvalidArgumentError as error:
            raise RequestError(400, error.message) from error
        outputs = {name: tensor.numpy().tolist() for name, tensor in outputs.items()}
        if len(outputs) == 1:  # A single output goes bare.
            (outputs,) = outputs.values()
            return {"predictions" if rows else "outputs": outputs}
        if rows:  # Several outputs: one object per instance.
            count = len(next(iter(outputs.values())))
            return {
                "predictions": [
                    {name: output[i] for name, output in outputs.items()}
                    for i in range(count)
                ]
            }
        return {"outputs": outputs}


def rows_to_columns(instances):
    """Turns "instances" (a list of values or of `{name: value}`) into columns."""
    if not isinstance(instances, list) or not instances:
        raise RequestError(
            400,
            'Expected "instances" to be a non-empty list. '
            f"Received: {type(instances).__name__} {str(instances)[:80]}",
        )
    named = [isinstance(instance, dict) for instance in instances]
    if not any(named):
        return instances
    if not all(named) or any(
        instance.keys() != instances[0].keys() for instance in instances
    ):
        raise RequestError(
            400,
            "Expected every instance to be an object with the same input names, "
            "or none to be. Received: instances mixing them",
        )
    return {name: [instance[name] for instance in instances] for name in instances[0]}


def to_tensor(name, value, spec):
    """Checks a JSON value against an input's `tf.TensorSpec`; returns a tensor."""
    try:
        array = np.asarray(value)
    except ValueError as error:  # Nested lists of unequal lengths.
        raise RequestError(
            400,
            f"Expected input {name!r} to be a (nested) list of shape "
            f"{shape_text(spec.shape)}. Received: ragged lists ({error})",
        ) from error
    kind = np.dtype(spec.dtype.as_numpy_dtype).kind
    if array.dtype.kind not in ACCEPTED_KINDS.get(kind, ""):
        raise RequestError(
            400,
            f"Expected input {name!r} of dtype {spec.dtype.name}. Received: "
            f"{KIND_NAMES.get(array.dtype.kind, array.dtype.name)}",
        )
    if not spec.shape.is_compatible_with(array.shape):
        raise RequestError(
            400,
            f"Expected input {name!r} of shape {shape_text(spec.shape)} (a batch of "
            f"examples of shape {shape_text(spec.shape[1:])}). Received: "
            f"shape={shape_text(array.shape)}",
        )
    return tf.constant(array, dtype=spec.dtype)


def shape_text(shape):
    return str(tuple(tf.TensorShape(shape).as_list()))


def read_signature_def(path):
    """The `serving_default` SignatureDef in the JSON of TensorFlow Serving."""
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    signature = saved_model.meta_graphs[0].signature_def[export.SIGNATURE]

    def tensor_info(info):
        return {
            "dtype": types_pb2.DataType.Name(info.dtype),
            "tensor_shape": {
                "dim": [
                    {"size": str(dim.size), "name": dim.name}
                    for dim in info.tensor_shape.dim
                ],
                "unknown_rank": info.tensor_shape.unknown_rank,
            },
            "name": info.name,
        }

    return {
        "inputs": {k: tensor_info(v) for k, v in signature.inputs.items()},
        "outputs": {k: tensor_info(v) for k, v in signature.outputs.items()},
        "method_name": signature.method_name,
    }


class ModelRepository:
    """The models under a folder: lists versions on demand, loads them once."""

    def __init__(self, base_dir):
        self.base_dir = os.fspath(base_dir)
        self.servables = {}  # (name, version) -> Servable
        self.lock = threading.Lock()

    def names(self):
        return sorted(
            name
            for name in os.listdir(self.base_dir)
            if not name.startswith(".") and self.versions(name)
        )

    def versions(self, name):
        """The versions of a model on disk now (hidden names are never models)."""
        if name.startswith("."):
            return []
        model_dir = os.path.join(self.base_dir, name)
        return [
            version
            for version in export.versions(model_dir)
            if os.path.isdir(os.path.join(model_dir, str(version)))
        ]

    def resolve(self, name, version=None):
        """The version asked for, or the latest; 404 if there is none."""
        versions = self.versions(name)
        if not versions:
            raise RequestError(
                404,
                f"Servable not found for request: Latest({name}). "
                f"Models served: {self.names()}",
            )
        if version is None:
            return versions[-1]
        if version not in versions:
            raise RequestError(
                404,
                f"Servable not found for request: Specific({name}, {version}). "
                f"Versions of {name}: {versions}",
            )
        return version

    def servable(self, name, version):
        key = (name, version)
        servable = self.servables.get(key)
        if servable is None:
            with self.lock:  # Loads once; served versions need no lock.
                servable = self.servables.get(key)
                if servable is None:
                    path = os.path.join(self.base_dir, name, str(version))
                    try:
                        servable = Servable(path)
                    except Exception as error:
                        raise RuntimeError(
                            f"Could not load version {version} of {name}: {error}"
                        ) from error
                    self.servables[key] = servable
        return servable

    def status(self, name, version=None):
        """Every version on disk is AVAILABLE: it loads on its first request."""
        if version is None:
            self.resolve(name)  # The 404 of unknown models.
            versions = self.versions(name)
        else:
            versions = [self.resolve(name, version)]
        return {
            "model_version_status": [
                {
                    "version": str(v),
                    "state": "AVAILABLE",
                    "status": {"error_code": "OK", "error_message": ""},
                }
                for v in reversed(versions)
            ]
        }

    def metadata(self, name, version=None):
        version = self.resolve(name, version)
        servable = self.servable(name, version)
        return {
            "model_spec": {"name": name, "signature_name": "", "version": str(version)},
            "metadata": {
                "signature_def": {
                    "signature_def": {export.SIGNATURE: servable.signature_def}
                }
            },
            "keras_deepinit_metadata": servable.metadata,
        }

    def predict(self, name, version, body):
        version = self.resolve(name, version)
        return self.servable(name, version).predict(body)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # Keep-alive.
    timeout = 60  # Seconds an idle connection may hold a thread.

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm
        # holds the body until the client's delayed ACK (40 ms on Linux).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        self.handle_route("GET")

    def do_POST(self):
        self.handle_route("POST")

    def do_other(self):
        self.handle_route(self.command)

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_other

    def handle_route(self, method):
        self.body_read = False
        try:
            path = urllib.parse.urlsplit(self.path).path
            match = ROUTE.fullmatch(path)
            if match is None:
                raise RequestError(
                    404,
                    f"Unknown route: {path}. Expected /v1/models/<name>"
                    "[/versions/<version>][/metadata | :predict]",
                )
            self.allowed = "POST" if match["verb"] == ":predict" else "GET"
            if method != self.allowed:
                raise RequestError(
                    405,
                    f"Expected method {self.allowed} for {path}. Received: {method}",
                )
            name, version = match["name"], match["version"]
            version = None if version is None else int(version)
            models = self.server.models
            if match["verb"] == ":predict":
                result = models.predict(name, version, self.read_json())
            elif match["verb"] == "/metadata":
                result = models.metadata(name, version)
            else:
                result = models.status(name, version)
            self.send_json(200, result)
        except RequestError as error:
            self.send_json(error.code, {"error": str(error)})
        except Exception as error:  # Answered; the server keeps serving.
            traceback.print_exc(file=sys.stderr)
            self.send_json(500, {"error": f"{type(error).__name__}: {error}"})

    def body_length(self):
        """The Content-Length, checked against the limit before any reading."""
        length = self.headers.get("Content-Length")
        if length is None:
            raise RequestError(411, "Expected a Content-Length header")
        if not (length.isascii() and length.isdigit()):
            raise RequestError(
                400, f"Expected Content-Length to be an integer. Received: {length!r}"
            )
        if int(length) > self.server.max_body_bytes:
            raise RequestError(
                413,
                f"Expected a body of at most {self.server.max_body_bytes} bytes. "
                f"Received: Content-Length={length}",
            )
        return int(length)

    def handle_expect_100(self):
        """Refuses a body before the client sends it (`Expect: 100-continue`)."""
        try:
            if self.command == "POST":
                self.body_length()
        except RequestError as error:
            self.send_json(error.code, {"error": str(error)})
            return False
        return super().handle_expect_100()

    def read_json(self):
        length = self.body_length()
        data = self.rfile.read(length)
        self.body_read = True
        try:
            body = json.loads(data)
        except (ValueError, RecursionError) as error:
            raise RequestError(
                400, f"Expected a JSON body. Received: {error}"
            ) from None
        if not isinstance(body, dict):
            raise RequestError(
                400, f"Expected a JSON object. Received: {type(body).__name__}"
            )
        return body

    def send_json(self, code, payload):
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if code == 405:
            self.send_header("Allow", self.allowed)
        # After an error, or a body left unread (it would pass for the next
        # request), the connection closes.
        if code >= 400 or (
            not self.body_read
            and (
                self.headers.get("Content-Length", "0") != "0"
                or "Transfer-Encoding" in self.headers
            )
        ):
            self.close_connection = True
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        if code == 413:
            self.discard_body()

    def discard_body(self, seconds=2.0):
        """Drops what the client still sends, for a while, before closing: so
        that it reads the 413 rather than a reset connection."""
        deadline = time.monotonic() + seconds
        try:
            self.wfile.flush()
            while time.monotonic() < deadline:
                self.connection.settimeout(deadline - time.monotonic())
                if not self.rfile.read1(2**16):
                    break  # The client closed: it has the answer.
        except (OSError, ValueError):
            pass

    def send_error(self, code, message=None, explain=None):
        """Errors found by `http.server` itself (bad request line...), as JSON."""
        self.send_json(code, {"error": message or self.responses[code][0]})

    def log_message(self, format, *args):
        pass  # No access log, as TensorFlow Serving; errors print tracebacks.


class ModelServer(http.server.ThreadingHTTPServer):
    """A `ThreadingHTTPServer` answering with the models of a `ModelRepository`."""

    daemon_threads = True

    def __init__(self, address, models, max_body_bytes):
        self.models = models
        self.max_body_bytes = max_body_bytes
        super().__init__(address, Handler)


def make_server(
    model_base_dir,
    host="127.0.0.1",
    port=8501,
    max_body_bytes=DEFAULT_MAX_BODY_BYTES,
):
    """Makes a server for every model under a folder, bound but not serving.

    The server speaks TensorFlow Serving's REST API (see the module docstring),
    one thread per connection. Versions exported later are found on the next
    request; each version is loaded on first use. Errors are answered as
    `{"error": message}` with 4xx codes (500 for unexpected ones), and the
    server keeps serving.

    Examples:

    >>> server = make_server("exported_models", port=0)
    >>> threading.Thread(target=server.serve_forever, daemon=True).start()
    >>> host, port = server.server_address
    >>> # POST http://host:port/v1/models/deep_cnn_mnist:predict
    >>> server.shutdown()
    >>> server.server_close()

    Args:
        model_base_dir: the folder of exported models, `<name>/<version>/`.
        host: the address to listen on; `"0.0.0.0"` for every interface.
        port: the TCP port; 0 for any free port (read `server.server_address`).
        max_body_bytes: the largest request body accepted; larger ones get 413.

    Returns:
        A `ModelServer` (a `http.server.ThreadingHTTPServer`).
    """
    if not os.path.isdir(model_base_dir):
        raise ValueError(
            "Expected model_base_dir to be an existing folder. "
            f"Received: model_base_dir={os.fspath(model_base_dir)!r}"
        )
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < 2**16:
        raise ValueError(
            f"Expected port to be an integer from 0 to 65535. Received: port={port!r}"
        )
    check_positive_int("max_body_bytes", max_body_bytes)
    models = ModelRepository(model_base_dir)
    return ModelServer((host, port), models, max_body_bytes)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def serve(
    model_base_dir,
    host="127.0.0.1",
    port=8501,
    max_body_bytes=DEFAULT_MAX_BODY_BYTES,
):
    """Serves every model under a folder until interrupted (Ctrl-C, SIGTERM).

    Prints the URL of each model found at start (later ones are served too).

    Examples:

    >>> serve("exported_models", port=8501)
    Serving exported_models at http://127.0.0.1:8501
      http://127.0.0.1:8501/v1/models/deep_cnn_mnist (versions [1, 2])

    Args:
        model_base_dir: the folder of exported models, `<name>/<version>/`.
        host: the address to listen on; `"0.0.0.0"` for every interface.
        port: the TCP port; 0 for any free port.
        max_body_bytes: the largest request body accepted; larger ones get 413.
    """
    server = make_server(model_base_dir, host, port, max_body_bytes)
    url = "http://{}:{}".format(*server.server_address[:2])
    # Ctrl-C, and `docker stop` or `kill` (SIGTERM), stop it cleanly, also
    # when started in the background, where SIGINT is inherited as ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        print(f"Serving {model_base_dir} at {url} (Ctrl-C to stop)", flush=True)
        for name in server.models.names():
            versions = server.models.versions(name)
            print(f"  {url}/v1/models/{name} (versions {versions})", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
    finally:
        server.server_close()
