"""Each role's licence, read from weights/manifest.toml, and the licence-clean profile.

A role's folder is matched to the manifest entry of the same folder name; a folder the manifest does
not name has no known licence. Under `S2V_PROFILE=licence-clean` every role the settings leave
unset gets the manifest's recommended commercial model (`profile_choice`), and a role that still
points at a model not cleared for commercial use stops the settings from loading, naming the role.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[1] / "weights" / "manifest.toml"
WEIGHTLESS_LICENCES = {("tts", "espeak"): "espeak-ng: GPL-3.0 program, its output is yours"}


@dataclass(frozen=True)
class Licence:
    text: str
    commercial: bool


def load_manifest(path: Path = MANIFEST) -> dict[str, dict]:
    return tomllib.loads(path.read_text())


def serves(entry_name: str, role: str) -> bool:
    """Whether a manifest entry serves a role: it is named after it (`ip-adapter`) or a family of it (`t2i-flux2`)."""
    own = role.replace("_", "-")
    return entry_name == own or entry_name.startswith(f"{own}-")


def profile_choice(manifest: dict[str, dict], role: str, backend: str | None = None) -> str | None:
    """The manifest entry the licence-clean profile gives a role (read by `backend`, when one is
    named): its recommended commercial model, else its first commercial one; None when there is none."""
    commercial = [
        name
        for name, entry in manifest.items()
        if serves(name, role) and entry["commercial"] and backend in (None, entry.get("backend", backend))
    ]
    recommended = [name for name in commercial if manifest[name].get("recommended")]
    return (recommended or commercial or [None])[0]


def profile_entries(manifest: dict[str, dict], roles) -> set[str]:
    """The manifest entries the licence-clean profile loads: each role's choice, and an adapter
    (`extra_of`) only when the model it adapts is among them."""
    picked = {profile_choice(manifest, role) for role in roles} - {None}
    return {name for name in picked if manifest[name].get("extra_of", name) in picked}


def roles_of(settings) -> list[str]:
    """The roles a settings object configures: one per `<role>_model` field."""
    return [name.removesuffix("_model") for name in type(settings).model_fields if name.endswith("_model")]


def licence_of(settings, role: str, manifest: dict[str, dict] | None = None) -> Licence | None:
    """The licence of what a role loads under these settings; None when the role is switched off."""
    backend = getattr(settings, f"{role}_backend", None)
    if backend == "none":
        return None
    if (role, backend) in WEIGHTLESS_LICENCES:
        return Licence(WEIGHTLESS_LICENCES[(role, backend)], True)
    manifest = load_manifest() if manifest is None else manifest
    folder = Path(getattr(settings, f"{role}_model")).name
    entry = next((e for e in manifest.values() if e["folder"] == folder), None)
    if entry is None:
        return Licence(f"unknown: folder {folder!r} is not in weights/manifest.toml", False)
    return Licence(entry["licence"], entry["commercial"])


def apply_licence_clean(settings) -> None:
    """Give every role the settings leave unset its licence-clean model, then refuse (ValueError,
    naming each role) any role left on a model not cleared for commercial use."""
    manifest = load_manifest()
    given = settings.model_fields_set
    for role in roles_of(settings):
        model, backend = f"{role}_model", f"{role}_backend"
        if model in given:  # the folder is the caller's; its entry says which backend reads it
            entry = next((e for e in manifest.values() if e["folder"] == Path(getattr(settings, model)).name), {})
            if backend not in given and "backend" in entry:
                setattr(settings, backend, entry["backend"])
            continue
        named = getattr(settings, backend) if backend in given else None
        chosen = profile_choice(manifest, role, named)  # None: nothing for it (espeak needs nothing)
        if chosen is not None:
            setattr(settings, model, manifest[chosen]["folder"])
            if "backend" in manifest[chosen]:
                setattr(settings, backend, manifest[chosen]["backend"])
    refused = {}
    for role in roles_of(settings):
        licence = licence_of(settings, role, manifest)
        if licence is not None and not licence.commercial:
            folder = getattr(settings, f"{role}_model")
            refused[role] = f"the {role} role's model {folder!r} is not cleared for commercial use ({licence.text})"
    if refused:
        names = ", ".join(f"S2V_{role.upper()}_MODEL" for role in refused)
        raise ValueError(
            f"S2V_PROFILE=licence-clean refuses to start: {'; '.join(refused.values())}. Unset {names} for the "
            "profile's choice, or name a model that weights/manifest.toml marks commercial"
        )
