"""Load test of `keras-deepinit serve`: predict requests from concurrent clients.

Exports a small MNIST-shaped CNN (28x28x1 -> 10) to a temporary folder, or
serves `--model-dir`, with the server started in this process on loopback, or
sends to a server already running at `--url`. The input shape and dtype come
from the model's metadata route. `--clients` threads each keep one HTTP/1.1
connection open and send their share of `--requests` predict requests, one
`--batch` of random inputs each, in row format ("instances"), after a few
warm-up requests that load the model.

Prints the requests per second, the latency percentiles (p50, p99, max), the
errors (non-200 answers, wrong shapes, connection failures) and the load
average before and after. The in-process server shares the Python interpreter
(and its GIL) with the clients; against `--url` (e.g. `keras-deepinit serve
exported_models/` in another terminal), it does not.

    python benchmarks/serving_load.py --requests 2000 --clients 8
"""

import argparse
import http.client
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
import urllib.parse

import numpy as np

NUMPY_DTYPES = {"DT_FLOAT": "float32", "DT_DOUBLE": "float64", "DT_INT32": "int32"}


def export_small_cnn(base_dir, name):
    import keras

    from keras_deepinit import export

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ]
    )
    export.export_model(model, name, base_dir=base_dir)


def get_json(connection, method, path, body=None):
    connection.request(method, path, body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def example_bodies(connection, name, batch, count=64):
    """Random predict bodies matching the served signature's input."""
    code, metadata = get_json(connection, "GET", f"/v1/models/{name}/metadata")
    if code != 200:
        raise SystemExit(f"Metadata of {name}: {code} {metadata}")
    signature = metadata["metadata"]["signature_def"]["signature_def"]
    (spec,) = signature["serving_default"]["inputs"].values()
    shape = [int(dim["size"]) for dim in spec["tensor_shape"]["dim"]][1:]
    rng = np.random.default_rng(0)
    bodies = []
    for _ in range(count):
        x = rng.uniform(size=(batch, *shape)).round(3)
        x = x.astype(NUMPY_DTYPES[spec["dtype"]])
        bodies.append(json.dumps({"instances": x.tolist()}))
    return bodies


def client(host, port, path, bodies, count, batch, latencies, errors):
    connection = http.client.HTTPConnection(host, port, timeout=60)
    for i in range(count):
        start = time.perf_counter()
        try:
            code, result = get_json(connection, "POST", path, bodies[i % len(bodies)])
            if code != 200 or len(result["predictions"]) != batch:
                errors.append(f"{code}: {str(result)[:200]}")
        except (OSError, http.client.HTTPException, ValueError) as error:
            errors.append(repr(error))
            connection.close()  # Reconnects on the next request.
        latencies.append(time.perf_counter() - start)
    connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", help="folder of exported models to serve")
    parser.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8501")
    parser.add_argument("--model", help="model name (default: the first served)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1, help="examples per request")
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    server = None
    if args.url:
        url = urllib.parse.urlsplit(args.url)
        host, port = url.hostname, url.port or 80
        if not args.model:
            parser.error("--model is needed with --url")
        name = args.model
    else:
        from keras_deepinit import serving

        model_dir = args.model_dir or tempfile.mkdtemp(prefix="serving_load-")
        if not args.model_dir:
            export_small_cnn(model_dir, "small_cnn")
        server = serving.make_server(model_dir, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        host, port = server.server_address[:2]
        name = args.model or server.models.names()[0]
    print(f"Serving {name} at http://{host}:{port}")

    connection = http.client.HTTPConnection(host, port, timeout=60)
    bodies = example_bodies(connection, name, args.batch)
    path = f"/v1/models/{name}:predict"
    for i in range(args.warmup):  # Loads the model and warms its function.
        code, result = get_json(connection, "POST", path, bodies[i % len(bodies)])
        if code != 200:
            raise SystemExit(f"Warm-up request: {code} {result}")
    connection.close()

    latencies, errors = [], []
    shares = [args.requests // args.clients] * args.clients
    shares[0] += args.requests % args.clients
    threads = [
        threading.Thread(
            target=client,
            args=(host, port, path, bodies, count, args.batch, latencies, errors),
        )
        for count in shares
    ]
    load_before = os.getloadavg()
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    load_after = os.getloadavg()
    if server is not None:
        server.shutdown()
        server.server_close()
        if not args.model_dir:
            shutil.rmtree(model_dir)

    milliseconds = 1000 * np.array(latencies)
    p50, p99 = np.percentile(milliseconds, [50, 99])
    print(
        f"{len(latencies)} requests ({args.batch} example(s) each, "
        f"{len(bodies[0]):,} bytes) from {args.clients} clients in {seconds:.2f} s"
    )
    print(f"throughput: {len(latencies) / seconds:.1f} requests/s")
    print(
        f"latency: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {milliseconds.max():.2f} "
        f"ms, mean {statistics.fmean(milliseconds):.2f} ms"
    )
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    print(
        f"load average (1 min) before {load_before[0]:.2f}, after "
        f"{load_after[0]:.2f}, on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
