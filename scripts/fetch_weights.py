"""Download the real weights named in weights/manifest.toml (needs internet and huggingface_hub).

    python scripts/fetch_weights.py [--role ROLE ...] [--dest weights] [--dry-run]

--dry-run prints the plan and touches nothing. Offline, it fails with one clear line per role.
"""

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "weights" / "manifest.toml"


def load_manifest(path: Path = MANIFEST) -> dict[str, dict]:
    return tomllib.loads(path.read_text())


def plan(manifest: dict[str, dict], roles: list[str], dest: Path) -> list[dict]:
    unknown = sorted(set(roles) - set(manifest))
    if unknown:
        raise SystemExit(f"unknown role(s) {', '.join(unknown)}; the manifest has {', '.join(manifest)}")
    return [
        {"role": role, **manifest[role], "target": str(dest / manifest[role]["folder"])}
        for role in (roles or list(manifest))
    ]


def fetch(step: dict) -> None:
    from huggingface_hub import snapshot_download

    snapshot_download(
        repo_id=step["repo"],
        revision=step["revision"],
        local_dir=step["target"],
        allow_patterns=step.get("allow"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--role", action="append", default=[], help="a role from the manifest (repeatable)")
    parser.add_argument("--dest", type=Path, default=ROOT / "weights")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    steps = plan(load_manifest(), args.role, args.dest)
    failed = 0
    for step in steps:
        print(f"{step['role']:8s} {step['repo']}@{step['revision']} -> {step['target']}  [{step['licence']}]")
        if args.dry_run:
            continue
        try:
            fetch(step)
        except Exception as error:  # one clear line per role; the next role is still tried
            failed += 1
            print(f"{step['role']:8s} FAILED: cannot download ({type(error).__name__}); is the Hub reachable?")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
