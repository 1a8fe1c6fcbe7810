"""Loopback load test: poll latency, 429s and server memory while a render runs.

python scripts/load_test.py [--rate 200] [--pollers 4] [--tasks 200] [--submit-rate 20] [--max-queue 8]

Starts `python -m server` on the tiny weights (a free port, a scratch data folder), starts a
render of the story, then keeps `--pollers` clients polling `GET /tasks/<id>` at `--rate`
requests per second in total while another client submits small tasks at `--submit-rate` per
second until `--tasks` were accepted (429s are counted, and it waits out `Retry-After`).
Reports p50 / p99 / max poll latency, the rate reached, 429 counts and the server's RSS before
and after the tasks; writes data/bench/load.json. Not part of CI: it takes a few minutes.
"""

import argparse
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
SMALL = [
    ("/storyboard", {"story": "A fox saw the moon. The moon smiled back.", "scenes": 1}),
    ("/narration", {"lines": [{"scene_id": "s1", "text": "The moon smiled back."}]}),
    ("/frames", {"storyboard": [{"scene_id": "s1", "prompt": "a fox"}], "image_style": {"resolution": "64x64"}}),
]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=float, default=200.0, help="polls per second, all pollers together")
    p.add_argument("--pollers", type=int, default=4)
    p.add_argument("--tasks", type=int, default=200, help="small tasks to get accepted")
    p.add_argument("--submit-rate", type=float, default=20.0, help="task submissions per second")
    p.add_argument("--max-queue", type=int, default=8)
    p.add_argument("--story", type=Path, default=ROOT / "samples" / "fox-and-moon.zh.txt")
    p.add_argument("--out", type=Path, default=ROOT / "data" / "bench" / "load.json")
    return p


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(data_dir: Path, max_queue: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "S2V_WEIGHTS_DIR": str(ROOT / "weights" / "tiny"),
        "S2V_DATA_DIR": str(data_dir),
        "S2V_PORT": str(port),
        "S2V_MAX_QUEUE": str(max_queue),
        "S2V_I2V_RESOLUTION": "256x160",
        "S2V_I2V_FRAMES": "17",
        "S2V_I2V_STEPS": "4",
    }
    log = (data_dir / "server.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "server"], cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    with httpx.Client(base_url=url) as client:
        while True:
            if server.poll() is not None:
                sys.exit(f"the server exited; see {data_dir / 'server.log'}")
            try:
                if client.get("/readyz").status_code == 200:
                    return server, url
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                sys.exit("the server was not ready in 180 s")
            time.sleep(0.2)


class KeepAlive:
    """A minimal HTTP/1.1 GET client on one kept-alive socket.

    The load generator shares the server's two cores; a full client library costs more CPU per
    request than the server does, so this one does the least that is correct for our answers
    (Content-Length bodies, no chunking).
    """

    def __init__(self, url: str):
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def get(self, path: str) -> int:
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: load\r\n\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status = int(head.split(b" ", 2)[1])
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
        while len(self.buffer) < length:
            self.buffer += self._recv()
        self.buffer = self.buffer[length:]
        return status

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        return data


def poll(url: str, task_id: str, interval: float, phase: float, stop, results) -> None:
    """One client process on a fixed schedule (open loop): a slow answer does not slow the offered rate.

    A process each, so the pollers do not queue behind each other's GIL and what is measured is
    the server; each starts `phase` of an interval later, so together they arrive evenly spaced
    rather than in bursts of one request per poller.
    """
    latencies, errors = [], []
    client = KeepAlive(url)
    time.sleep(phase * interval)
    next_at = time.perf_counter()
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status = client.get(f"/tasks/{task_id}")
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)
        except OSError as error:
            errors.append(type(error).__name__)
            client = KeepAlive(url)
        next_at += interval
        time.sleep(max(0.0, next_at - time.perf_counter()))
    results.put((latencies, errors))


def submit(url: str, wanted: int, rate: float, accepted: list, refused: list, stop: threading.Event) -> None:
    """Small tasks at `rate` per second until `wanted` are accepted (a studio's clients, not a flood)."""
    with httpx.Client(base_url=url, timeout=30) as client:
        while len(accepted) < wanted and not stop.is_set():
            time.sleep(1 / rate)
            path, body = SMALL[len(accepted) % len(SMALL)]
            answer = client.post(path, json=body)
            if answer.status_code == 202:
                accepted.append(answer.json()["task_id"])
            elif answer.status_code == 429:
                refused.append(int(answer.headers.get("retry-after", "1")))
                time.sleep(min(1.0, refused[-1]))  # honour Retry-After, capped to keep the test short
            else:
                sys.exit(f"unexpected {answer.status_code}: {answer.text}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="s2v-load-"))
    server, url = start_server(scratch, args.max_queue)
    process = psutil.Process(server.pid)
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            story = args.story.read_text(encoding="utf-8")
            # A first render and one of each small task: first-use costs stay out of the baseline.
            warm = client.post("/render?wait=600", json={"story": story, "options": {"scene_count": 6}})
            assert warm.json()["status"] == "done", warm.text
            for path, body in SMALL:
                assert client.post(f"{path}?wait=60", json=body).json()["status"] == "done"
            rss_before = process.memory_info().rss
            body = {"story": story, "options": {"scene_count": 6, "image": {"seed": 7}}}  # new work, no reuse
            render = client.post("/render", json=body).json()["task_id"]

            stop, results, accepted, refused = multiprocessing.Event(), multiprocessing.Queue(), [], []
            interval = args.pollers / args.rate
            pollers = [
                multiprocessing.Process(target=poll, args=(url, render, interval, i / args.pollers, stop, results))
                for i in range(args.pollers)
            ]
            done_submitting = threading.Event()
            submitter = threading.Thread(
                target=submit, args=(url, args.tasks, args.submit_rate, accepted, refused, done_submitting)
            )
            started = time.perf_counter()
            for worker in [*pollers, submitter]:
                worker.start()
            while (task := client.get(f"/tasks/{render}").json())["status"] in ("pending", "running"):
                time.sleep(0.5)
            render_seconds = time.perf_counter() - started
            stop.set()
            latencies, errors = [], []
            for _ in pollers:
                got, failed = results.get()
                latencies += got
                errors += failed
            for poller in pollers:
                poller.join()
            submitter.join()
            while client.get("/system").json()["queue"]["pending"] + client.get("/system").json()["queue"]["running"]:
                time.sleep(0.5)
            rss_after = process.memory_info().rss
            statuses = [client.get(f"/tasks/{t}").json()["status"] for t in accepted]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)

    report = {
        "render_status": task["status"],
        "render_seconds": round(render_seconds, 1),
        "polls": len(latencies),
        "poll_rate_per_s": round(len(latencies) / render_seconds, 1),
        "p50_ms": round(1000 * percentile(latencies, 0.50), 2),
        "p99_ms": round(1000 * percentile(latencies, 0.99), 2),
        "max_ms": round(1000 * max(latencies), 2),
        "poll_errors": len(errors),
        "tasks_accepted": len(accepted),
        "tasks_done": statuses.count("done"),
        "answers_429": len(refused),
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_after_mb": round(rss_after / 2**20, 1),
        "rss_growth_mb": round((rss_after - rss_before) / 2**20, 1),
    }
    width = max(map(len, report))
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
