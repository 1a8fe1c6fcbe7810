"""Background music: a user's track wins; otherwise the music model makes a bed as long as the video."""

import soundfile

from models.music import MusicRuntime
from pipelines.artifact_store import ArtifactStore
from pipelines.music import background, mood_prompt


def test_mood_prompt_keeps_each_mood_once_in_order():
    assert mood_prompt(["calm piano", "tense strings", "calm piano", " "]) == (
        "calm piano, tense strings, instrumental background music"
    )


def test_background_prefers_user_tracks_then_generates_then_gives_none(tmp_path, tiny_weights, placement):
    tracks = tmp_path / "tracks"
    tracks.mkdir()
    (tracks / "calm-piano.wav").write_bytes(b"RIFF")
    music = MusicRuntime(tiny_weights / "music", placement)
    music.identity = "tiny-music"
    store = ArtifactStore(tmp_path / "store")
    assert background(tracks, music, ["calm piano"], 2.0, store) == tracks / "calm-piano.wav"
    assert not list((tmp_path / "store").rglob("*.wav"))
    bed = background(tmp_path / "none", music, ["calm piano"], 2.0, store)
    data, rate = soundfile.read(bed)
    assert rate == 48000 and data.shape == (96000, 2)
    assert background(tmp_path / "none", music, ["calm piano"], 2.0, store) == bed  # composed once
    assert background(None, None, ["calm piano"], 2.0, store) is None
