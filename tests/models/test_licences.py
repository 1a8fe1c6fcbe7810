"""The licence-clean profile: every role from a model the manifest marks commercial, or no start."""

import pytest
from pydantic import ValidationError

from models.licences import licence_of, load_manifest, profile_choice
from settings import Settings


def clean(**values) -> Settings:
    return Settings(profile="licence-clean", **values)


def test_the_profile_gives_each_unset_role_its_recommended_commercial_model():
    settings = clean()
    assert (settings.llm_model, settings.t2i_model, settings.i2v_model, settings.music_model) == (
        "llm",
        "t2i-zimage",
        "i2v-wan",
        "music",
    )
    assert (settings.tts_backend, settings.tts_model) == ("kokoro", "tts-kokoro")
    manifest = load_manifest()
    for role in ("llm", "t2i", "i2v", "tts", "music", "ip_adapter"):
        licence = licence_of(settings, role, manifest)
        assert licence.commercial, role
    assert profile_choice(manifest, "t2i") == "t2i-zimage"


def test_the_default_profile_changes_nothing():
    settings = Settings()
    assert (settings.t2i_model, settings.tts_backend, settings.tts_model) == ("t2i", "coqui", "tts")
    assert not licence_of(settings, "t2i").commercial and not licence_of(settings, "tts").commercial


def test_a_commercial_choice_of_the_caller_is_kept():
    settings = clean(t2i_model="t2i-flux2", tts_backend="espeak", i2v_backend="none")
    assert settings.t2i_model == "t2i-flux2" and settings.tts_backend == "espeak"
    assert licence_of(settings, "tts").text.startswith("espeak-ng") and licence_of(settings, "i2v") is None


def test_a_folder_named_alone_brings_the_backend_that_reads_it():
    assert clean(tts_model="tts-kokoro").tts_backend == "kokoro"
    assert clean(t2i_model="/models/elsewhere/t2i-flux2").t2i_model.endswith("t2i-flux2")  # matched by folder name


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"t2i_model": "t2i"}, ["S2V_T2I_MODEL", "SDXL-Turbo"]),
        ({"i2v_model": "i2v-svd"}, ["the i2v role", "S2V_I2V_MODEL"]),
        ({"tts_model": "tts"}, ["the tts role", "Coqui Public Model Licence"]),  # its entry's backend: coqui
        ({"llm_model": "my-own-llm"}, ["the llm role", "not in weights/manifest.toml"]),
    ],
)
def test_a_role_left_non_commercial_stops_the_settings_naming_it(values, named):
    with pytest.raises(ValidationError) as caught:
        clean(**values)
    message = str(caught.value)
    assert "S2V_PROFILE=licence-clean refuses to start" in message
    assert all(words in message for words in named), message


def test_every_refused_role_is_named_at_once():
    with pytest.raises(ValidationError) as caught:
        clean(t2i_model="t2i", tts_backend="coqui", tts_model="tts")
    assert "S2V_T2I_MODEL, S2V_TTS_MODEL" in str(caught.value)


def test_a_backend_named_alone_gets_the_profiles_model_for_that_backend():
    assert clean(tts_backend="kokoro").tts_model == "tts-kokoro"
    assert clean(t2i_backend="diffusers").t2i_model == "t2i-zimage"  # entries without a backend serve any
    weightless = clean(tts_backend="espeak")
    assert licence_of(weightless, "tts").commercial
