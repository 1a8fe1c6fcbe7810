"""How the studio names the files it keeps: `/data/<project or task>/...` URLs under the data root."""

from pathlib import Path

PREFIX = "/data/"


def url_of(path: Path, data_dir: Path) -> str:
    return PREFIX + path.resolve().relative_to(data_dir.resolve()).as_posix()
