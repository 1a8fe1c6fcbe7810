"""What the shell clients share: waiting for readiness, following a task's events, downloading a file."""

import json
import sys
import time
from pathlib import Path

import httpx
from tqdm import tqdm


def wait_ready(client: httpx.Client, timeout: float, server_pid: int | None) -> None:
    deadline = time.monotonic() + timeout
    reason = "not reachable"
    while time.monotonic() < deadline:
        if server_pid is not None and not Path(f"/proc/{server_pid}").exists():
            sys.exit(f"the server process exited before it was ready ({reason})")
        try:
            answer = client.get("/readyz")
            if answer.status_code == 200:
                return
            reason = answer.json()["error"]["message"]
            if answer.status_code == 401:
                sys.exit(f"{client.base_url}: {reason}")
        except httpx.TransportError as error:
            if "unreachable" in str(error).lower():  # no route even to loopback: waiting will not help
                sys.exit(f"{client.base_url} is unreachable ({error}); is the loopback interface up?")
        time.sleep(0.5)
    sys.exit(f"{client.base_url} was not ready in {timeout:.0f}s: {reason}")


def follow(client: httpx.Client, task_id: str) -> None:
    """Draw the task's progress until its stream ends (done or error)."""
    with (
        tqdm(total=100, unit="%", bar_format="{desc:<10} {percentage:3.0f}%|{bar}| {elapsed}") as bar,
        client.stream("GET", f"/tasks/{task_id}/events", timeout=httpx.Timeout(30, read=None)) as stream,
    ):
        for line in stream.iter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line[6:])
            data = event["data"]
            if "stage" in data:
                bar.set_description_str(data["stage"])
            if "progress" in data:
                bar.n = round(100 * data["progress"], 1)
                bar.refresh()
            if event["event"] in ("done", "error"):
                bar.n = 100 if event["event"] == "done" else bar.n
                bar.refresh()
                return


def download(client: httpx.Client, url: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with client.stream("GET", url) as answer, path.open("wb") as out:
        answer.raise_for_status()
        for chunk in answer.iter_bytes():
            out.write(chunk)
