"""Stems: the film's sound cut into one piece per shot, each mixed, measured and kept on its own.

A stem holds its shot's narration (and the music bed's slice under it, ducked by that narration);
it begins LEAD samples before its line, so its edges fall in the pause between two lines, and on
the AAC frame grid, so the stems' encodes join by copy (`pipelines.soundtrack`). What a stem holds
depends on its own line, never on where the shot falls in the film, unless music plays under it
(the bed's slice is the film's time): an edit that lengthens one shot mixes that shot's stem again,
not the ones after it. Each stem is an artifact (a float WAV) with its BS.1770 levels beside it
(JSON), so the film's loudness is summed from stems and an edit measures one stem.
"""

import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from models.cancel import CancelToken
from pipelines import ffmpeg
from pipelines.artifact_store import ArtifactStore, content_key, key_of, write_json
from pipelines.loudness import RATE, measure
from pipelines.narration import duration_of

GRID = 1024  # samples in an AAC frame
LEAD = 4 * GRID  # a stem starts this long (85 ms) before its line
STEM_VERSION = 1  # bump when what a stem holds changes for the same inputs
CHANNELS = f"aresample={RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
# The narration keys a compressor on the music: -20 dB above the threshold becomes about -2 dB,
# so under speech the bed dips by up to ~18 dB and returns within 0.4 s between lines.
DUCKING = "sidechaincompress=threshold=0.02:ratio=10:attack=15:release=400"


@dataclass
class MusicBed:
    track: Path
    volume: float = 0.25
    fade_in: float = 1.5
    fade_out: float = 2.0
    duck: bool = True  # the narration keys a compressor on the music


@dataclass(frozen=True)
class Voice:
    audio: Path
    offset: int  # where it starts in the stem, in samples (negative: it began in an earlier stem)


@dataclass(frozen=True)
class MusicSlice:
    """The bed under one stem: its decoded track from `position` (looping), turned down to `volume`,
    faded in over the film's first `fade_in` samples and out over its last `fade_out`, silent after
    `end`; `start` is the stem's first sample in the film."""

    bed: Path
    position: int
    start: int
    end: int
    volume: float
    fade_in: int
    fade_out: int
    duck: bool

    def identity(self, length: int) -> tuple:
        """What decides the slice's samples: the fades only where the stem meets them."""
        fade_in = self.fade_in if self.start < self.fade_in else None
        fade_out = (self.end - self.start, self.fade_out) if self.start + length > self.end - self.fade_out else None
        return (content_key(self.bed), self.position, self.volume, self.duck, fade_in, fade_out)

    def samples(self, length: int) -> np.ndarray:
        with soundfile.SoundFile(self.bed) as bed:
            pieces, position, wanted = [], self.position, length
            while wanted:  # the bed loops
                bed.seek(position)
                piece = bed.read(min(wanted, bed.frames - position), dtype="float32", always_2d=True)
                pieces.append(piece)
                wanted, position = wanted - len(piece), 0
        film = self.start + np.arange(length)
        envelope = np.full(length, self.volume)
        if self.fade_in:
            envelope *= np.clip(film / self.fade_in, 0.0, 1.0)
        if self.fade_out:
            envelope *= np.clip((self.end - film) / self.fade_out, 0.0, 1.0)
        envelope[film >= self.end] = 0.0
        return (np.concatenate(pieces) * envelope[:, None]).astype(np.float32)


@dataclass
class Stem:
    index: int  # the shot's
    start: int  # its first sample in the film, on the grid
    slot: int  # samples until the next stem starts
    length: int  # samples with sound (a multiple of GRID, at most `slot`); the rest of the slot is silence
    voices: tuple[Voice, ...]
    music: MusicSlice | None
    key: str = ""

    @property
    def name(self) -> str:
        return f"stem-{self.index}"


def on_grid(samples: float) -> int:
    return math.floor(samples / GRID + 0.5) * GRID


def plan(
    audios: list[Path | None], starts: list[int], end: int, music: MusicBed | None, bed: Path | None
) -> list[Stem]:
    """The stems of a film whose shots start at `starts` (samples) and whose sound ends at `end`.

    Each shot's line sounds from the grid point nearest its first frame (within 11 ms); a line that
    runs past the next shot's stem start is mixed into that stem too, from where it was.
    """
    lines = [on_grid(start) for start in starts]
    stem_starts = [0]
    for line in lines[1:]:
        stem_starts.append(max(stem_starts[-1] + GRID, line - LEAD))
    film_end = math.ceil(end / GRID) * GRID
    spoken = [(a, line, math.ceil(duration_of(a) * RATE)) for a, line in zip(audios, lines, strict=True) if a]
    bed_frames = soundfile.info(bed).frames if bed is not None else 0
    if music is not None and not bed_frames:
        raise ValueError("the music track has no sound")
    stems = []
    for index, start in enumerate(stem_starts):
        slot = (stem_starts[index + 1] if index + 1 < len(stem_starts) else film_end) - start
        heard = [(audio, line - start, n) for audio, line, n in spoken if line < start + slot and line + n > start]
        voices = tuple(Voice(audio, offset) for audio, offset, _ in heard)
        if music is not None:
            length = slot
            piece = MusicSlice(
                bed,
                start % bed_frames,
                start,
                end,
                music.volume,
                round(music.fade_in * RATE),
                round(music.fade_out * RATE),
                music.duck,
            )
        else:
            reach = max((offset + n for _, offset, n in heard), default=0)
            length, piece = min(slot, math.ceil(reach / GRID) * GRID), None
        stem = Stem(index, start, slot, length, voices, piece)
        stem.key = key_of(
            stage="stem",
            version=STEM_VERSION,
            length=stem.length,
            voices=[(content_key(v.audio), v.offset) for v in voices],
            music=piece.identity(stem.length) if piece else None,
            graph=(CHANNELS, DUCKING),
        )
        stems.append(stem)
    return stems


def decoded_bed(track: Path, store: ArtifactStore, *, cancel=None, timeout: float = 1800.0) -> Path:
    """The music track as a float WAV at the film's rate (kept: a track is decoded once), so each
    stem reads its slice by sample."""
    key = key_of(stage="bed", track=content_key(track), graph=CHANNELS)
    if (found := store.find(key, ".wav")) is not None:
        return found
    with store.making(key, ".wav") as part:
        args = ["-i", str(track), "-af", CHANNELS, "-c:a", "pcm_f32le", "-f", "wav", str(part.resolve())]
        ffmpeg.run(args, cancel=cancel, timeout=timeout, remove_on_failure=part)
    return store.path(key, ".wav")


def mix_graph(stem: Stem) -> str:
    """Inputs 0..n-1 are the stem's voices, input n its music slice (exactly `length` samples)."""
    parts, labels = [], []
    for i, voice in enumerate(stem.voices):
        if voice.offset >= 0:
            place = f"adelay=delays={voice.offset}S:all=1"
        else:  # the rest of a line that began in an earlier stem
            place = f"atrim=start_sample={-voice.offset},asetpts=PTS-STARTPTS"
        parts.append(f"[{i}:a]{CHANNELS},{place}[v{i}]")
        labels.append(f"[v{i}]")
    fit = f"apad=whole_len={stem.length},atrim=end_sample={stem.length}"
    if labels:
        parts.append(f"{''.join(labels)}amix=inputs={len(labels)}:normalize=0:duration=longest,{fit}[voice]")
    if stem.music is None:
        return ";".join([*parts, "[voice]anull[out]"])
    music = f"[{len(labels)}:a]{CHANNELS}"
    if not labels:
        return ";".join([*parts, f"{music}[out]"])
    if stem.music.duck:
        parts += [f"{music}[music]", "[voice]asplit=2[vmix][vkey]", f"[music][vkey]{DUCKING}[ducked]"]
        return ";".join([*parts, "[vmix][ducked]amix=inputs=2:normalize=0:duration=first[out]"])
    return ";".join([*parts, f"{music}[music]", "[voice][music]amix=inputs=2:normalize=0:duration=first[out]"])


def mix(stem: Stem, store: ArtifactStore, *, cancel: CancelToken | None = None, timeout: float = 1800.0) -> None:
    """The stem as a float WAV and its levels as JSON, both under the stem's key."""
    with tempfile.TemporaryDirectory(prefix=".stem-") as work, store.making(stem.key, ".wav") as part:
        work_dir = Path(work)
        inputs = [arg for voice in stem.voices for arg in ("-i", str(voice.audio))]
        if stem.music is not None:
            soundfile.write(work_dir / "music.wav", stem.music.samples(stem.length), RATE, subtype="FLOAT")
            inputs += ["-i", str(work_dir / "music.wav")]
        (work_dir / "graph.txt").write_text(mix_graph(stem))
        ffmpeg.run(
            [
                *(*inputs, "-/filter_complex", str(work_dir / "graph.txt"), "-map", "[out]"),
                *("-c:a", "pcm_f32le", "-ar", str(RATE), "-f", "wav", str(part.resolve())),
            ],
            cancel=cancel,
            timeout=timeout,
            remove_on_failure=part,
        )
        samples, _ = soundfile.read(part, dtype="float32", always_2d=True)
        with store.making(stem.key, ".json") as levels:
            write_json(levels, measure(samples))


def levels_of(stem: Stem, store: ArtifactStore) -> dict:
    if stem.length == 0:
        return measure(np.zeros((0, 2), np.float32))
    return json.loads(store.path(stem.key, ".json").read_text(encoding="utf-8"))


def made(stem: Stem, store: ArtifactStore) -> bool:
    return stem.length == 0 or (store.find(stem.key, ".wav") is not None and store.find(stem.key, ".json") is not None)
