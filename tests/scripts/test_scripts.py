"""The doctor and the weight fetcher, run as a user runs them."""

import os
import subprocess
import sys

import make_tiny_weights

from tests.conftest import ROOT


def run(script, *args, **env):
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )


def qwen_tts(tiny_weights, row: tuple) -> list[tuple]:
    """Qwen3-TTS's row: its tiny model is built where its worker's environment is (scripts/setup.sh makes it)."""
    return [row] if (tiny_weights / "tts-qwen").is_dir() else []


def test_doctor_reports_every_role_ok(tiny_weights):
    result = run("doctor.py", S2V_WEIGHTS_DIR=str(tiny_weights), S2V_DEVICE="cpu")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines()[1:] if line.strip()]
    assert [(row.split()[0], row.split()[2].rsplit("/", 1)[-1]) for row in rows] == [
        ("llm", "llm"),
        ("t2i", "t2i"),
        ("t2i", "t2i-flux2"),
        ("t2i", "t2i-zimage"),
        ("i2v", "i2v"),
        ("i2v", "i2v-svd"),
        ("i2v", "i2v-wan"),
        ("tts", "tts"),
        ("tts", "tts-kokoro"),
        *qwen_tts(tiny_weights, ("tts", "tts-qwen")),
        ("music", "music"),
        ("tts", "-"),
    ]
    assert all("  OK  " in row for row in rows)


def test_doctor_under_the_licence_clean_profile_runs_only_commercial_models(tiny_weights):
    result = run("doctor.py", S2V_WEIGHTS_DIR=str(tiny_weights), S2V_DEVICE="cpu", S2V_PROFILE="licence-clean")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines()[1:] if line.strip()]
    assert [(row.split()[0], row.split()[1], row.split()[2].rsplit("/", 1)[-1]) for row in rows] == [
        ("llm", "transformers", "llm"),
        ("t2i", "diffusers", "t2i-zimage"),
        ("t2i", "diffusers", "t2i-flux2"),
        ("i2v", "diffusers", "i2v-wan"),
        ("tts", "kokoro", "tts-kokoro"),
        *qwen_tts(tiny_weights, ("tts", "qwen-tts", "tts-qwen")),
        ("music", "diffusers", "music"),
        ("tts", "espeak", "-"),
    ]
    assert all("  commercial  OK  " in row for row in rows) and "NON-COMMERCIAL" not in result.stdout


def test_doctor_fails_on_missing_weights(tmp_path):
    result = run("doctor.py", S2V_WEIGHTS_DIR=str(tmp_path), S2V_DEVICE="cpu")
    assert result.returncode == 1
    assert result.stdout.count("FAIL  WeightsError") == 5  # llm, t2i, i2v, tts, music
    assert "make_tiny_weights.py" in result.stdout


def test_fetch_weights_dry_run_plans_every_role(tmp_path):
    result = run("fetch_weights.py", "--dry-run", "--dest", str(tmp_path))
    assert result.returncode == 0
    assert "Qwen/Qwen3-4B-Instruct-2507" in result.stdout and "NON-COMMERCIAL" in result.stdout
    assert not list(tmp_path.iterdir())


def test_fetch_weights_licence_clean_plans_exactly_the_profiles_models(tmp_path):
    result = run("fetch_weights.py", "--dry-run", "--licence-clean", "--dest", str(tmp_path))
    assert result.returncode == 0
    plan, settings = result.stdout.split("\n\n")
    names = [line.split()[0] for line in plan.splitlines()]
    assert names == ["llm", "t2i-zimage", "i2v-wan", "music", "tts-kokoro"]  # no IP-Adapter: it serves SDXL
    assert "NOT for commercial use" not in result.stdout and "sdxl-turbo" not in result.stdout
    # The profile is the one setting the server needs to load what was fetched.
    assert settings.splitlines()[1:] == [f"S2V_WEIGHTS_DIR={tmp_path.resolve()}", "S2V_PROFILE=licence-clean"]


def test_fetch_weights_licence_clean_with_roles_names_an_alternative_the_profile_does_not_pick():
    result = run("fetch_weights.py", "--dry-run", "--licence-clean", "--role", "t2i-flux2", "--role", "t2i")
    assert [line.split()[0] for line in result.stdout.split("\n\n")[0].splitlines()] == ["t2i-flux2"]
    assert result.stdout.splitlines()[-2:] == ["S2V_PROFILE=licence-clean", "S2V_T2I_MODEL=t2i-flux2"]


def test_fetch_weights_settings_name_the_fetched_alternative_only_when_needed():
    alternative = run("fetch_weights.py", "--dry-run", "--role", "llm", "--role", "t2i-flux2")
    assert alternative.stdout.splitlines()[-1] == "S2V_T2I_MODEL=t2i-flux2"
    defaults = run("fetch_weights.py", "--dry-run", "--role", "llm", "--role", "t2i")
    assert "S2V_" not in defaults.stdout


def test_fetch_weights_offline_fails_clearly(tmp_path):
    result = run("fetch_weights.py", "--role", "llm", "--dest", str(tmp_path), HF_HUB_OFFLINE="1")
    assert result.returncode == 1
    assert "llm        FAILED: cannot download" in result.stdout


def test_make_tiny_weights_is_idempotent(tiny_weights):
    result = run("make_tiny_weights.py", "--out", str(tiny_weights))
    assert result.returncode == 0 and result.stdout.count("up to date") == len(make_tiny_weights.BUILDERS)
