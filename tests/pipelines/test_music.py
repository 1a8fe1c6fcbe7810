"""Background music: a user's track wins; otherwise the music model makes a bed as long as the video."""

import soundfile

from models.music import MusicRuntime
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
    target = tmp_path / "bed.wav"
    assert background(tracks, music, ["calm piano"], 2.0, target) == tracks / "calm-piano.wav"
    assert not target.exists()
    assert background(tmp_path / "none", music, ["calm piano"], 2.0, target) == target
    data, rate = soundfile.read(target)
    assert rate == 48000 and data.shape == (96000, 2)
    assert background(None, None, ["calm piano"], 2.0, tmp_path / "other.wav") is None
