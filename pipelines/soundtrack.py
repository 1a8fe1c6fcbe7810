"""The soundtrack: the stems (`pipelines.stems`) levelled and encoded one by one, joined by copy.

The film's loudness comes from the stems' kept levels; one gain brings it to the target. Each stem
is encoded to AAC on its own, with two frames of its neighbours' sound before and after it (the
encoder's overlap then matches theirs) and those frames dropped, so the encodes join frame by frame
into one stream; the silence between stems is a silent frame repeated. An edit mixes, measures and
encodes the stems it changed (and a neighbour whose edge it changed), never the whole film.
"""

import hashlib
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile

from models.cancel import CancelToken
from pipelines import ffmpeg
from pipelines.artifact_store import ArtifactStore, key_of
from pipelines.loudness import ABSOLUTE_GATE, NEAR_SILENT, RATE, gain_filter, gains, programme
from pipelines.stems import GRID, MusicBed, Stem, decoded_bed, levels_of, made, mix, plan

__all__ = ["PRIMING", "MusicBed", "Soundtrack", "soundtrack"]

# ffmpeg's fast AAC coder: about half the time of the default two-loop search, no audible loss at 160k
AAC = ("-c:a", "aac", "-aac_coder", "fast", "-b:a", "160k", "-ar", str(RATE))
ROLL = 2 * GRID  # the neighbours' sound a stem is encoded with
PRIMING = GRID / RATE  # seconds: the stream's first frame is the encoder's priming (the mp4 skips it)


@dataclass
class Soundtrack:
    stream: Path  # ADTS; its first frame is priming (see PRIMING)
    made: list[str] = field(default_factory=list)  # "stem-3" mixed and measured, "stem-3.aac" encoded
    warnings: list[str] = field(default_factory=list)
    loudness: float = -math.inf  # the mix's integrated loudness before levelling (LUFS)
    gain: float = 0.0  # dB


def adts_frames(data: bytes) -> list[bytes]:
    frames, at = [], 0
    while at < len(data):
        if data[at] != 0xFF or data[at + 1] & 0xF0 != 0xF0:
            raise ffmpeg.FFmpegError("the AAC encoder wrote an unexpected stream")
        size = ((data[at + 3] & 0x03) << 11) | (data[at + 4] << 3) | (data[at + 5] >> 5)
        frames.append(data[at : at + size])
        at += size
    return frames


def encode_frames(samples: np.ndarray, audio_filter: str | None, work: Path, *, cancel, timeout) -> list[bytes]:
    """`samples` as AAC frames; frame k holds samples [(k - 1) * GRID, k * GRID) (frame 0 is priming)."""
    source, out = work / "in.wav", work / "out.aac"
    soundfile.write(source, samples, RATE, subtype="FLOAT")
    filters = ["-af", audio_filter] if audio_filter else []
    ffmpeg.run(["-i", str(source), *filters, *AAC, "-f", "adts", str(out)], cancel=cancel, timeout=timeout)
    return adts_frames(out.read_bytes())


def silent_frame(store: ArtifactStore, *, cancel=None, timeout: float = 1800.0) -> bytes:
    """One frame of silence after silence: what fills the pauses between stems."""
    key = key_of(stage="aac-silence", aac=AAC)
    if (found := store.find(key, ".aac")) is None:
        with tempfile.TemporaryDirectory(prefix=".silence-") as work, store.making(key, ".aac") as part:
            zeros = np.zeros((8 * GRID, 2), np.float32)
            frames = encode_frames(zeros, None, Path(work), cancel=cancel, timeout=timeout)
            part.write_bytes(frames[4])
        found = store.path(key, ".aac")
    return found.read_bytes()


class Film:
    """The mixed film's samples, read from its stems (silence between them)."""

    def __init__(self, stems: list[Stem], store: ArtifactStore):
        self.stems = [s for s in stems if s.length]
        self.store = store

    def samples(self, first: int, end: int) -> np.ndarray:
        out = np.zeros((end - first, 2), np.float32)
        for stem in self.stems:
            a, b = max(first, stem.start), min(end, stem.start + stem.length)
            if a < b:
                with soundfile.SoundFile(self.store.path(stem.key, ".wav")) as sound:
                    sound.seek(a - stem.start)
                    out[a - first : b - first] = sound.read(b - a, dtype="float32", always_2d=True)
        return out


def edges(stem: Stem, film: Film) -> list[str]:
    """What a stem's encode hears of its neighbours: the roll before it and after it."""
    before = film.samples(stem.start - ROLL, stem.start)
    after = film.samples(stem.start + stem.length, stem.start + stem.length + ROLL)
    return [hashlib.sha256(edge.tobytes()).hexdigest() for edge in (before, after)]


def encode(stem: Stem, film: Film, key: str, audio_filter: str | None, store: ArtifactStore, *, cancel, timeout):
    samples = film.samples(stem.start - ROLL, stem.start + stem.length + ROLL)
    with tempfile.TemporaryDirectory(prefix=".stem-aac-") as work, store.making(key, ".aac") as part:
        frames = encode_frames(samples, audio_filter, Path(work), cancel=cancel, timeout=timeout)
        first = ROLL // GRID + 1  # the frame that starts with the stem's first sample
        kept = frames[first : first + stem.length // GRID]
        if len(kept) != stem.length // GRID:
            raise ffmpeg.FFmpegError("the AAC encoder wrote fewer frames than the stem has")
        part.write_bytes(b"".join(kept))


def near_silent(loudness: float, gain: float) -> str:
    if loudness == -math.inf:
        heard = f"under the {ABSOLUTE_GATE:g} LUFS gate, so it stays silent"
    else:
        heard = f"{loudness:.1f} LUFS before levelling, raised by {gain:.1f} dB with its noise"
    return f"the narration is near-silent ({heard}): the voice model likely speaks far too quietly"


def soundtrack(
    audios: list[Path | None],
    starts: list[int],
    end: int,
    music: MusicBed | None,
    loudness: float | None,
    store: ArtifactStore,
    out: Path,
    *,
    cancel: CancelToken | None = None,
    timeout: float = 1800.0,
) -> Soundtrack:
    """The film's sound as an ADTS stream at `out`: each shot's `audios` line from its first sample
    `starts`, the bed under all of it, `end` samples in all, levelled to `loudness` LUFS (None: as
    mixed). Only the stems and encodes the store does not have are made."""
    bed = decoded_bed(music.track, store, cancel=cancel, timeout=timeout) if music else None
    stems = plan(audios, starts, end, music, bed)
    result = Soundtrack(out)
    for stem in stems:
        if not made(stem, store):
            mix(stem, store, cancel=cancel, timeout=timeout)
            result.made.append(stem.name)
    levels = {stem.index: levels_of(stem, store) for stem in stems}
    parts = [(levels[s.index], s.slot - s.length) for s in stems]
    result.loudness, _ = programme(parts)
    film = Film(stems, store)
    sounding = [s for s in stems if s.length]
    rolls = {s.index: edges(s, film) for s in sounding}

    def plan_encodes(gain: float | None) -> dict[int, tuple[str, str | None]]:
        """Each sounding stem's encode key and filter at this gain (None: left as mixed)."""
        encodes = {}
        for s in sounding:
            audio_filter = gain_filter(gain, levels[s.index]["peak"]) if gain is not None else None
            key = key_of(stage="stem-aac", stem=s.key, edges=rolls[s.index], filter=audio_filter, aac=AAC)
            encodes[s.index] = (key, audio_filter)
        return encodes

    def kept(encodes: dict) -> int:
        return sum(store.find(key, ".aac") is not None for key, _ in encodes.values())

    # The gain nearest the exact one, unless another within tolerance finds more encodes kept.
    options = gains(result.loudness, loudness) if loudness is not None else [None]
    planned = [plan_encodes(options[0])]
    if kept(planned[0]) < len(sounding):
        planned += [plan_encodes(gain) for gain in options[1:]]
    found = [kept(encodes) for encodes in planned]
    choice = found.index(max(found))
    result.gain, encodes = options[choice] or 0.0, planned[choice]
    if any(a is not None for a in audios) and result.loudness < NEAR_SILENT:
        result.warnings.append(near_silent(result.loudness, result.gain))
    for stem in sounding:
        key, audio_filter = encodes[stem.index]
        if store.find(key, ".aac") is None:
            encode(stem, film, key, audio_filter, store, cancel=cancel, timeout=timeout)
            result.made.append(f"{stem.name}.aac")
    silence = silent_frame(store, cancel=cancel, timeout=timeout)
    with out.open("wb") as stream:
        stream.write(silence)  # the priming frame: the silence before the film
        for stem in stems:
            if stem.length:
                stream.write(store.path(encodes[stem.index][0], ".aac").read_bytes())
            stream.write(silence * ((stem.slot - stem.length) // GRID))
    return result
