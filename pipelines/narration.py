"""Narration: one audio file per line, text made speakable, long lines spoken in pieces and joined."""

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile

from models.cancel import CancelToken
from models.qwen_tts import TRANSCRIPT
from models.tts import is_reference_clip
from pipelines import ffmpeg
from pipelines.artifact_store import ArtifactStore, content_key, key_of
from pipelines.shot import MAX_LINE_CHARS
from pipelines.specs import Audio, Character, Line, check_scene_ids
from pipelines.text import detect_language, sentences, speakable

PIECE_CHARS = {"zh": 60, "en": 220}  # what one synthesis call gets; longer lines are cut at sentences
PAUSE_SECONDS = 0.15
# What a designed voice says in its reference clip (and the clip's transcript): long enough for the
# speech model to take the voice from, the same for every character of a language.
DESIGN_SENTENCE = {
    "en": "The morning was quiet, and I walked along the river to see where it would take me.",
    "zh": "那天早上很安静，我沿着河边慢慢地走，想看看它会把我带到哪里。",
}


def check_speed(speed: float) -> None:
    if not 0.5 <= speed <= 2.0:
        raise ValueError("speed must be between 0.5 and 2.0")


def check_inputs(lines: list[Line], speed: float, fmt: str) -> None:
    check_scene_ids(lines, "lines to speak")
    if any(len(line.text) > MAX_LINE_CHARS for line in lines):
        raise ValueError(f"a line is longer than {MAX_LINE_CHARS} characters")
    if any(line.parts and "".join(p.text for p in line.parts) != line.text for line in lines):
        raise ValueError("a line's parts must join to its text")
    check_speed(speed)
    if fmt not in ("wav", "mp3"):
        raise ValueError("format must be wav or mp3")


def speak(
    tts,
    parts: list[tuple[str, str | None]],
    language: str,
    speed: float,
    cancel: CancelToken | None = None,
    style: str | None = None,
) -> tuple[np.ndarray, int, list]:
    """Speak a line's parts, each in its voice and the line's style, sentence by sentence, joined
    with a short pause; returns the samples, their rate, and each sentence's (start, end, text) in
    seconds: the subtitles' timing."""
    chunks, timed, rate, at = [], [], tts.sample_rate, 0
    for text, voice in parts:
        for piece in sentences(text, PIECE_CHARS.get(language, 220)):
            spoken_form = speakable(piece, language)
            if not any(ch.isalnum() for ch in spoken_form):
                continue  # punctuation alone has nothing to say
            speech = tts.synthesize(spoken_form, voice, language, speed, cancel, style=style)
            rate = speech.sample_rate
            if chunks:
                pause = np.zeros(int(PAUSE_SECONDS * rate), dtype=np.float32)
                chunks.append(pause)
                at += len(pause)
            timed.append((round(at / rate, 3), round((at + len(speech.samples)) / rate, 3), piece))
            chunks.append(speech.samples)
            at += len(speech.samples)
    if not chunks:  # a line with nothing speakable still gets its moment of silence
        return np.zeros(int(0.5 * rate), dtype=np.float32), rate, []
    return np.concatenate(chunks), rate, timed


def design_voices(
    cast: list[Character], tts, store: ArtifactStore, language: str, cancel: CancelToken | None = None
) -> dict[str, str]:
    """A voice for each character with a voice_description and no voice, from an engine that designs
    voices (none otherwise): a reference clip it makes once from the description, kept in the store by
    the model, description and language with its transcript beside it, then cloned for every line. A
    later render finds the same clip (or, evicted, makes the same bytes again: the take is seeded),
    so the character sounds the same in every render. Returns each such character's clip path by name."""
    if not tts.designs_voices:
        return {}
    clips = {}
    for character in cast:
        description = character.voice_description.strip()
        if character.voice or not description:
            continue
        lang = detect_language(description) if language == "auto" else language
        sentence = DESIGN_SENTENCE.get(lang, DESIGN_SENTENCE["en"])
        key = key_of(stage="voice-design", description=description, language=lang, text=sentence, model=tts.identity)
        if store.find(key, ".wav") is None or store.find(key, TRANSCRIPT) is None:
            speech = tts.design_voice(description, sentence, lang, cancel)
            with store.making(key, TRANSCRIPT) as part:
                part.write_text(sentence, encoding="utf-8")
            with store.making(key, ".wav") as part:
                soundfile.write(part, speech.samples, speech.sample_rate, subtype="PCM_16", format="WAV")
        clips[character.name] = str(store.path(key, ".wav").resolve())  # absolute: a reference clip
    return clips


def voice_key(voice: str | None) -> str | None:
    """A voice as a key holds it: a speech clip (an absolute path) by its content and its transcript's
    (beside it, when there is one), a name as it is."""
    if not is_reference_clip(voice):
        return voice
    transcript = Path(voice).with_suffix(TRANSCRIPT)  # a clip's transcript changes how it is cloned
    return content_key(Path(voice)) + (content_key(transcript) if transcript.is_file() else "")


def spoken_style(tts, style: str | None, voices: list[str | None]) -> str | None:
    """The line's style where the engine reads it for one of its voices (a named one: a cloned voice
    keeps its clip's manner); None elsewhere, so an engine that ignores it keeps its narration."""
    style = (style or "").strip()
    if not style or not tts.takes_styles or all(is_reference_clip(v) for v in voices):
        return None
    return style


def make_narration(
    lines: list[Line],
    out_dir: Path,
    tts,
    store: ArtifactStore,
    *,
    voice: str | None = None,
    speed: float = 1.0,
    fmt: str = "wav",
    language: str = "auto",
    cancel: CancelToken | None = None,
    on_progress: Callable[[float], None] | None = None,
    on_item: Callable[[Audio], None] | None = None,
    timeout: float = 600.0,
) -> list[Audio]:
    check_inputs(lines, speed, fmt)
    audios = []
    for index, line in enumerate(lines):
        if cancel:
            cancel.raise_if_cancelled(boundary=True)
        lang = detect_language(line.text) if language == "auto" else language
        suffix = f".{fmt}"
        # A line with characters' parts: each part in its voice (None: the line's); the key names them.
        parts = [(p.text, p.voice or voice) for p in line.parts] or [(line.text, voice)]
        voiced = {"parts": [(text, voice_key(v)) for text, v in parts]} if line.parts else {}
        style = spoken_style(tts, line.style, [v for _, v in parts])
        styled = {"style": style} if style else {}  # a line the engine speaks plainly keeps its key
        key = key_of(
            stage="narration",
            text=line.text,
            voice=voice,
            speed=speed,
            language=lang,
            model=tts.identity,
            fmt=fmt,
            variant=line.variant,
            **voiced,
            **styled,
        )
        artifact, timing = store.find(key, suffix), store.find(key, ".cues.json")
        if artifact is None or timing is None:
            samples, rate, timed = speak(tts, parts, lang, speed, cancel, style)
            with store.making(key, ".cues.json") as part:
                part.write_text(json.dumps(timed, ensure_ascii=False), encoding="utf-8")
            with store.making(key, suffix) as part:
                if fmt == "wav":
                    soundfile.write(part, samples, rate, subtype="PCM_16", format="WAV")
                else:
                    with tempfile.TemporaryDirectory() as tmp:
                        wav = Path(tmp) / "speech.wav"
                        soundfile.write(wav, samples, rate, subtype="PCM_16")
                        args = ["-i", str(wav), "-c:a", "libmp3lame", "-q:a", "2", "-f", "mp3", str(part)]
                        ffmpeg.run(args, cancel=cancel, timeout=timeout, remove_on_failure=part)
            artifact = store.path(key, suffix)
        path = store.place(artifact, out_dir / f"{line.scene_id}{suffix}")
        cues = json.loads(store.path(key, ".cues.json").read_text(encoding="utf-8"))
        audio = Audio(scene_id=line.scene_id, audio=path, duration=round(duration_of(path), 3), cues=cues)
        audios.append(audio)
        if on_item:
            on_item(audio)
        if on_progress:
            on_progress((index + 1) / len(lines))
    return audios


def duration_of(path: Path) -> float:
    if path.suffix == ".wav":
        return soundfile.info(path).duration
    return ffmpeg.probe(path).duration
