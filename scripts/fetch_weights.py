"""Download the real weights named in weights/manifest.toml (needs internet and huggingface_hub).

    python scripts/fetch_weights.py [--role NAME ...] [--licence-clean] [--dest weights] [--dry-run]

--licence-clean fetches exactly the models the server's licence-clean profile loads (for each role
its recommended model among those whose licence allows commercial use); with --role, the named
entries that allow it. --dry-run prints the plan and touches nothing. Offline, it fails with one
clear line per role. Last, it prints the S2V_* settings the server needs to use what was fetched:
after --licence-clean that is S2V_PROFILE=licence-clean (and a folder the profile does not pick).
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.licences import load_manifest, profile_choice, profile_entries, serves  # noqa: E402
from settings import Settings  # noqa: E402

DEFAULT_DEST = ROOT / "weights"
# The server's model roles, each with its folder setting S2V_<ROLE>_MODEL.
ROLES = tuple(name.removesuffix("_model") for name in Settings.model_fields if name.endswith("_model"))


def plan(manifest: dict[str, dict], roles: list[str], dest: Path, licence_clean: bool = False) -> list[dict]:
    unknown = sorted(set(roles) - set(manifest))
    if unknown:
        raise SystemExit(f"unknown role(s) {', '.join(unknown)}; the manifest has {', '.join(manifest)}")
    names = roles or list(manifest)
    if licence_clean:
        picked = profile_entries(manifest, ROLES)
        names = [name for name in names if manifest[name]["commercial"] and (roles or name in picked)]
    return [{"role": name, **manifest[name], "target": str(dest / manifest[name]["folder"])} for name in names]


def role_of(entry: str) -> str:
    """The role a manifest entry serves: its own name (`ip-adapter`) or the prefix of `t2i-flux2`."""
    for role in ROLES:
        if serves(entry, role):
            return role
    raise SystemExit(f"manifest entry {entry!r} serves none of the roles {', '.join(ROLES)}")


def settings_to_use(manifest: dict[str, dict], steps: list[dict], dest: Path, licence_clean: bool) -> list[str]:
    """The S2V_* settings that make the server load the fetched folders: the licence-clean profile,
    and a role's folder (with its backend) where it is not the one the server picks by itself."""
    fetched = {step["role"] for step in steps}
    found = [] if dest.resolve() == DEFAULT_DEST.resolve() else [f"S2V_WEIGHTS_DIR={dest.resolve()}"]
    if licence_clean:
        found.append("S2V_PROFILE=licence-clean")
    for role in ROLES:
        default = profile_choice(manifest, role) if licence_clean else role.replace("_", "-")
        candidates = [name for name in manifest if serves(name, role) and name in fetched]
        if default in fetched:
            continue  # the folder the server picks by itself
        if candidates:
            chosen = next((name for name in candidates if manifest[name].get("recommended")), candidates[0])
            if "backend" in manifest[chosen]:
                found.append(f"S2V_{role.upper()}_BACKEND={manifest[chosen]['backend']}")
            found.append(f"S2V_{role.upper()}_MODEL={manifest[chosen]['folder']}")
    return found


def fetch(step: dict) -> None:
    """The entry's repository into its folder, or each of its `parts` into a sub-folder of it."""
    from huggingface_hub import snapshot_download

    for folder, repo in step.get("parts", {".": step["repo"]}).items():
        snapshot_download(
            repo_id=repo,
            revision=step["revision"],
            local_dir=str(Path(step["target"]) / folder),
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
        repos = " + ".join(step.get("parts", {".": step["repo"]}).values())
        print(f"{step['role']:10s} {repos}@{step['revision']} -> {step['target']}  [{step['licence']}; {use}]")
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
