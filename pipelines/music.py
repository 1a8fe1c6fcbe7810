"""Background music: a user's own tracks (S2V_MUSIC_DIR), picked by the scenes' mood words, or a bed
generated from those moods by the music model when there are none."""

import re
from pathlib import Path

import soundfile
from loguru import logger

from models.errors import Cancelled
from pipelines.artifact_store import key_of
from pipelines.render_options import MusicOptions
from pipelines.soundtrack import MusicBed

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


def mood_prompt(moods: list[str]) -> str:
    """One prompt for the whole bed: the scenes' moods in order, each once."""
    seen = list(dict.fromkeys(m.strip() for m in moods if m.strip()))
    return ", ".join([*seen, "instrumental background music"])


def generate_bed(music_model, moods: list[str], seconds: float, target: Path, seed: int = 0, steps: int = 8) -> Path:
    """Generate a bed as long as the video from the moods and write it as a WAV file."""
    music = music_model.compose(mood_prompt(moods), seconds, seed=seed, steps=steps)
    soundfile.write(target, music.samples, music.sample_rate, subtype="PCM_16")
    return target


def background(music_dir: Path | None, music_model, moods: list[str], seconds: float, store) -> Path | None:
    """A user's track when S2V_MUSIC_DIR has one, else a bed from the music model (kept in the
    artifact store: the same moods and length are composed once), else None (the caller warns)."""
    track = pick_track(music_dir, moods)
    if track is not None or music_model is None:
        return track
    key = key_of(stage="music", prompt=mood_prompt(moods), seconds=round(seconds, 1), model=music_model.identity)
    if (found := store.find(key, ".wav")) is not None:
        return found
    with store.making(key, ".wav") as part:
        generate_bed(music_model, moods, seconds, part)
    return store.path(key, ".wav")


def load_music(registry, warnings: list[str]):
    """The music model, or None (with a warning when it is configured but cannot load)."""
    try:
        return registry.get("music")
    except Cancelled:
        raise
    except Exception as error:  # no weights, out of memory: the video gets no bed, not an error
        logger.warning("music model unavailable: {}", error)
        warnings.append(f"the music model could not be loaded ({getattr(error, 'code', type(error).__name__)})")
        return None


def music_bed(music: MusicOptions | None, made_music: Path | None, warnings: list[str]) -> MusicBed | None:
    """The bed under the narration: the caller's track, or the one picked or made for the moods."""
    if music is None:
        return None
    track = music.track or made_music
    if track is None:
        warnings.append(
            "music was asked for, but S2V_MUSIC_DIR has no tracks and no music model is configured; "
            "the video has narration only"
        )
        return None
    return MusicBed(track, music.volume, music.fade_in, music.fade_out, music.duck)
