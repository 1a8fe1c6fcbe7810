"""Download the real weights named in weights/manifest.toml (needs internet and huggingface_hub).

    python scripts/fetch_weights.py [--role NAME ...] [--licence-clean] [--dest weights] [--dry-run]

--licence-clean keeps only the models whose licence allows commercial use (`commercial = true`).
--dry-run prints the plan and touches nothing. Offline, it fails with one clear line per role.
Last, it prints the S2V_* settings the server needs to use what was fetched where that is not its
default folders (--licence-clean always needs some: the default keyframe, video and speech models
are not cleared for commercial use).
"""

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from settings import Settings  # noqa: E402

MANIFEST = ROOT / "weights" / "manifest.toml"
DEFAULT_DEST = ROOT / "weights"
# The server's model roles, each with its folder setting S2V_<ROLE>_MODEL.
ROLES = tuple(name.removesuffix("_model") for name in Settings.model_fields if name.endswith("_model"))
WEIGHTLESS = {"tts": "espeak"}  # a role with no licence-clean model runs this backend, else none


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


def role_of(entry: str) -> str:
    """The role a manifest entry serves: its own name (`ip-adapter`) or the prefix of `t2i-flux2`."""
    for role in ROLES:
        if entry == role.replace("_", "-") or entry.startswith(f"{role}-"):
            return role
    raise SystemExit(f"manifest entry {entry!r} serves none of the roles {', '.join(ROLES)}")


def settings_to_use(manifest: dict[str, dict], steps: list[dict], dest: Path, licence_clean: bool) -> list[str]:
    """The S2V_* settings that make the server load the fetched folders instead of the defaults."""
    fetched = {step["role"] for step in steps}
    found = [] if dest.resolve() == DEFAULT_DEST.resolve() else [f"S2V_WEIGHTS_DIR={dest.resolve()}"]
    for role in ROLES:
        if role.replace("_", "-") in fetched:
            continue  # its default folder
        mine = [name for name in manifest if role_of(name) == role]
        candidates = [name for name in mine if name in fetched]
        if candidates:
            chosen = next((name for name in candidates if manifest[name].get("recommended")), candidates[0])
            found.append(f"S2V_{role.upper()}_MODEL={manifest[chosen]['folder']}")
        elif licence_clean and not any(manifest[name]["commercial"] for name in mine):
            found.append(f"S2V_{role.upper()}_BACKEND={WEIGHTLESS.get(role, 'none')}")
    return found


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
    manifest = load_manifest()
    steps = plan(manifest, args.role, args.dest, args.licence_clean)
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
    settings = settings_to_use(manifest, steps, args.dest, args.licence_clean)
    if settings:
        print("\nStart the server with these settings (environment variables, or lines of a .env file):")
        print("\n".join(settings))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
