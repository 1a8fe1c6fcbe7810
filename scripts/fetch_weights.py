"""Download the real weights named in weights/manifest.toml (needs internet and huggingface_hub).

    python scripts/fetch_weights.py [--role NAME ...] [--licence-clean] [--dest weights] [--dry-run]

--licence-clean keeps only the models whose licence allows commercial use (`commercial = true`).
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


def plan(manifest: dict[str, dict], roles: list[str], dest: Path, licence_clean: bool = False) -> list[dict]:
    unknown = sorted(set(roles) - set(manifest))
    if unknown:
        raise SystemExit(f"unknown role(s) {', '.join(unknown)}; the manifest has {', '.join(manifest)}")
    names = roles or list(manifest)
    if licence_clean:
        names = [name for name in names if manifest[name]["commercial"]]
    return [{"role": name, **manifest[name], "target": str(dest / manifest[name]["folder"])} for name in names]


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
    parser.add_argument("--licence-clean", action="store_true", help="only models cleared for commercial use")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    steps = plan(load_manifest(), args.role, args.dest, args.licence_clean)
    failed = 0
    for step in steps:
        use = "commercial use OK" if step["commercial"] else "NOT for commercial use"
        print(f"{step['role']:10s} {step['repo']}@{step['revision']} -> {step['target']}  [{step['licence']}; {use}]")
        if args.dry_run:
            continue
        try:
            fetch(step)
        except Exception as error:  # one clear line per role; the next role is still tried
            failed += 1
            print(f"{step['role']:10s} FAILED: cannot download ({type(error).__name__}); is the Hub reachable?")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
