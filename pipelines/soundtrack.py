"""The soundtrack: every scene's narration at its scene's start, the music bed (looped, faded,
turned down and ducked under speech), mixed in one audio-only ffmpeg pass to a float WAV, so the
loudness pass measures it before its single AAC encode, which applies the levelling gain. The
result is an artifact: an edit that changes only pictures mixes nothing again."""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from models.cancel import CancelToken
from pipelines import ffmpeg
from pipelines.artifact_store import ArtifactStore, content_key, key_of
from pipelines.loudness import levelling

RATE = 48000
CHANNELS = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"
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


def mix_graph(delays: list[float], total: float, music: MusicBed | None) -> str:
    """Inputs 0..n-1 are the voices (delayed by `delays` seconds), input n the music when given."""
    parts, voices = [], []
    for i, start in enumerate(delays):
        delay = round(start * 1000)
        parts.append(f"[{i}:a]{CHANNELS},adelay={delay}|{delay}[a{i}]")
        voices.append(f"[a{i}]")
    if voices:
        parts.append(f"{''.join(voices)}amix=inputs={len(voices)}:normalize=0:duration=longest,apad[voice]")
    else:
        parts.append(f"anullsrc=r={RATE}:cl=stereo[voice]")
    if music is None:
        parts.append(f"[voice]atrim=duration={total:.4f}[aout]")
        return ";".join(parts)
    fade_out = min(music.fade_out, total)
    fades = f"afade=t=in:d={music.fade_in:.3f}," if music.fade_in else ""
    fades += f"afade=t=out:st={total - fade_out:.3f}:d={fade_out:.3f}," if fade_out else ""
    parts.append(f"[{len(delays)}:a]{CHANNELS},atrim=duration={total:.4f},{fades}volume={music.volume:.4f}[music]")
    if music.duck:
        parts += [
            f"[voice]atrim=duration={total:.4f},asplit=2[vmix][vkey]",
            f"[music][vkey]{DUCKING}[ducked]",
            "[vmix][ducked]amix=inputs=2:normalize=0:duration=first[aout]",
        ]
    else:
        parts += [
            f"[voice]atrim=duration={total:.4f}[vmix]",
            "[vmix][music]amix=inputs=2:normalize=0:duration=first[aout]",
        ]
    return ";".join(parts)


def mix(
    voices: list[tuple[Path, float]],
    total: float,
    music: MusicBed | None,
    out: Path,
    *,
    cancel: CancelToken | None = None,
    timeout: float = 1800.0,
) -> Path:
    """`voices`: (audio file, start in the film) pairs. Writes a float WAV of exactly `total` seconds."""
    inputs = [arg for audio, _ in voices for arg in ("-i", str(audio))]
    if music is not None:
        inputs += ["-stream_loop", "-1", "-i", str(music.track)]
    script = out.with_suffix(".graph.txt")
    script.write_text(mix_graph([start for _, start in voices], total, music))
    ffmpeg.run(
        [
            *(*inputs, "-/filter_complex", str(script), "-map", "[aout]"),
            *("-c:a", "pcm_f32le", "-ar", str(RATE), "-t", f"{total:.4f}", str(out)),
        ],
        duration=total,
        cancel=cancel,
        timeout=timeout,
        remove_on_failure=out,
    )
    return out


# ffmpeg's fast AAC coder: about half the time of the default two-loop search, no audible loss at 160k
AAC = ("-c:a", "aac", "-aac_coder", "fast", "-b:a", "160k", "-ar", str(RATE))


def encode(mixed: Path, out: Path, audio_filter: str | None, *, cancel=None, timeout: float = 1800.0) -> Path:
    """The mix as AAC in an .m4a, through `audio_filter` (the levelling gain) when given."""
    args = ["-i", str(mixed), *(["-af", audio_filter] if audio_filter else []), *AAC, str(out)]
    ffmpeg.run(args, cancel=cancel, timeout=timeout, remove_on_failure=out)
    return out


def soundtrack(
    voices: list[tuple[Path, float]],
    total: float,
    music: MusicBed | None,
    loudness: float | None,
    store: ArtifactStore,
    *,
    cancel: CancelToken | None = None,
    timeout: float = 1800.0,
) -> tuple[Path, bool]:
    """The film's sound as AAC, levelled to `loudness` LUFS (None: left as mixed), and whether it
    was made now (False: it came from the store)."""
    key = key_of(
        stage="soundtrack",
        voices=[(content_key(audio), round(start, 4)) for audio, start in voices],
        total=round(total, 4),
        music=(content_key(music.track), music.volume, music.fade_in, music.fade_out, music.duck) if music else None,
        loudness=loudness,
        graph=(CHANNELS, DUCKING, AAC),
    )
    if (found := store.find(key, ".m4a")) is not None:
        return found, False
    with tempfile.TemporaryDirectory(prefix=".soundtrack-") as work, store.making(key, ".m4a") as part:
        mixed = mix(voices, total, music, Path(work) / "mix.wav", cancel=cancel, timeout=timeout)
        gain = levelling(mixed, loudness, timeout) if loudness is not None else None
        encode(mixed, part, gain, cancel=cancel, timeout=timeout)
    return store.path(key, ".m4a"), True
