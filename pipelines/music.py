"""Background music: a user's own tracks (S2V_MUSIC_DIR), picked by the scenes' mood words."""

import re
from pathlib import Path

AUDIO_SUFFIXES = (".mp3", ".wav", ".m4a", ".aac", ".ogg", ".flac", ".opus")


def tracks(music_dir: Path | None) -> list[Path]:
    if music_dir is None or not music_dir.is_dir():
        return []
    return sorted(p for p in music_dir.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())


def pick_track(music_dir: Path | None, moods: list[str]) -> Path | None:
    """The track whose file name shares the most words with the moods; ties go to the first by name."""
    found = tracks(music_dir)
    if not found:
        return None
    wanted = {w for mood in moods for w in re.findall(r"[a-z]+", mood.lower())}

    def score(track: Path) -> int:
        return len(wanted & set(re.findall(r"[a-z]+", track.stem.lower())))

    return max(found, key=score)  # max keeps the first of equals: deterministic
