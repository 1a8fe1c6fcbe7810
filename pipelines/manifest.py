"""What a render used, in frames at the film's rate: each shot's clip and its place in the film, the
transition into the next shot, its narration (and the dialogue parts in it), the music bed and the
subtitle cues. The render records it beside its video, so the film can be handed to an editor as a
timeline (`pipelines.timeline`) built from facts, not guessed from the mp4."""

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from pipelines import ffmpeg
from pipelines.artifact_store import content_key
from pipelines.compose import TimelineScene, frame_plan
from pipelines.soundtrack import MusicBed
from pipelines.specs import Part
from pipelines.subtitles import Cue


class Media(BaseModel):
    """A file the film uses: where it is (absolute in a task folder, relative to the render's folder
    once a project keeps it), its content hash, and how many of the film's frames it holds."""

    path: Path
    name: str  # its file name in an export: unique within a render
    artifact: str
    frames: int


class DialoguePart(BaseModel):
    """A stretch of a shot's narration spoken by one voice, in frames of its audio."""

    start: int
    end: int
    speaker: str | None = None  # None: the narrator
    text: str


class ShotCut(BaseModel):
    shot_id: str
    take_id: str | None = None  # the project's take its files belong to
    clip: Media
    start: int  # the film frame its clip starts on
    transition: str  # into the next shot
    overlap: int  # frames it shares with the next shot (the transition); 0: a cut
    narration: Media | None = None
    narration_start: int = 0  # the film frame its narration starts on
    text: str = ""
    parts: list[DialoguePart] = Field(default_factory=list)


class MusicCut(BaseModel):
    track: Media  # looped under the whole film
    volume: float
    fade_in: float  # seconds
    fade_out: float
    duck: bool


class CueCut(BaseModel):
    start: int
    end: int
    lines: list[str]


class RenderManifest(BaseModel):
    version: int = 1
    fps: int
    width: int
    height: int
    frames: int  # the film's length
    shots: list[ShotCut]
    music: MusicCut | None = None
    cues: list[CueCut] = Field(default_factory=list)

    def media(self) -> list[Media]:
        narrations = [shot.narration for shot in self.shots if shot.narration is not None]
        return [*(shot.clip for shot in self.shots), *narrations, *([self.music.track] if self.music else [])]

    def relinked(self, place: Callable[[Media], Path]) -> "RenderManifest":
        """A copy whose every media path is `place(media)` (where a project keeps it)."""
        copy = self.model_copy(deep=True)
        for media in copy.media():
            media.path = place(media)
        return copy

    def visible(self, index: int) -> tuple[int, int]:
        """The frames of shot `index`'s clip an editor's track shows, from the cut in the middle of
        the transition before it to the one in the middle of the transition after it."""
        before = self.shots[index - 1].overlap if index else 0
        return cut_halves(before)[0], self.shots[index].clip.frames - cut_halves(self.shots[index].overlap)[1]


def cut_halves(overlap: int) -> tuple[int, int]:
    """A transition's frames before its cut point and after it."""
    return overlap // 2, overlap - overlap // 2


def frames_of(seconds: float, fps: int) -> int:
    return round(seconds * fps)


def media_of(path: Path, stem: str, frames: int) -> Media:
    artifact = content_key(path)
    return Media(path=path, name=f"{stem}-{artifact[:12]}{path.suffix.lower()}", artifact=artifact, frames=frames)


def timed_parts(text: str, parts: list[Part], timings: list, seconds: float, fps: int) -> list[DialoguePart]:
    """Each dialogue part's stretch of the audio, from the sentence timings the narration recorded
    (each sentence is found in the text, so it belongs to the part holding it). The stretches
    tile the audio: a part runs until the next one starts. Empty when there is one voice or the
    timings cannot be placed (an uploaded recording has none)."""
    if not parts or not timings:
        return []
    bounds, at = [], 0
    for part in parts:
        at += len(part.text)
        bounds.append(at)
    starts: dict[int, float] = {}
    cursor = 0
    for start, _, piece in timings:
        found = text.find(piece, cursor)
        if found < 0:
            return []
        cursor = found + len(piece)
        owner = next(i for i, bound in enumerate(bounds) if found < bound)
        starts.setdefault(owner, start)
    spoken = sorted(starts)
    end = frames_of(seconds, fps)
    placed = []
    for number, index in enumerate(spoken):
        first = 0 if number == 0 else frames_of(starts[index], fps)
        last = end if number == len(spoken) - 1 else frames_of(starts[spoken[number + 1]], fps)
        if last > first:
            placed.append(DialoguePart(start=first, end=last, speaker=parts[index].speaker, text=parts[index].text))
    return placed


def manifest_of(
    shot_ids: list[str],
    scenes: list[TimelineScene],
    parts: list[list[Part]],
    cues: list[Cue],
    music: MusicBed | None,
    *,
    fps: int,
    width: int,
    height: int,
    transition_seconds: float,
) -> RenderManifest:
    """The manifest of a film composed from `scenes` (as `pipelines.compose` laid them out)."""
    starts, frames, tails, total = frame_plan(scenes, transition_seconds, fps)
    shots, film_start = [], 0
    for index, (shot_id, scene) in enumerate(zip(shot_ids, scenes, strict=True)):
        shot = ShotCut(
            shot_id=shot_id,
            clip=media_of(scene.clip, shot_id, frames[index]),
            start=film_start,
            transition=scene.transition,
            overlap=tails[index],
            text=scene.text,
        )
        if scene.audio is not None:
            shot.narration = media_of(scene.audio, f"{shot_id}-voice", frames_of(scene.speech_seconds, fps))
            shot.narration_start = frames_of(starts[index], fps)
            shot.parts = timed_parts(scene.text, parts[index], scene.cues, scene.speech_seconds, fps)
        shots.append(shot)
        film_start += frames[index] - tails[index]
    bed = None
    if music is not None:
        track = media_of(music.track, "music", frames_of(ffmpeg.probe(music.track).duration, fps))
        bed = MusicCut(
            track=track, volume=music.volume, fade_in=music.fade_in, fade_out=music.fade_out, duck=music.duck
        )
    timed = [
        CueCut(start=frames_of(cue.start, fps), end=min(frames_of(cue.end, fps), total), lines=cue.lines)
        for cue in cues
    ]
    return RenderManifest(
        fps=fps,
        width=width,
        height=height,
        frames=total,
        shots=shots,
        music=bed,
        cues=[cue for cue in timed if cue.end > cue.start],
    )
