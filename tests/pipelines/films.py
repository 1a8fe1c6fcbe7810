"""A small film's manifest for the timeline and export tests: three shots at 24 fps with narration,
dialogue in the first, a second that runs past its cut, music and two cues; its media linked into
`media/` under their names, as a project keeps a render's."""

import math
import os
from pathlib import Path

import numpy as np
import soundfile

from pipelines import ffmpeg
from pipelines.compose import TimelineScene
from pipelines.manifest import RenderManifest, manifest_of
from pipelines.soundtrack import MusicBed
from pipelines.specs import Part
from pipelines.subtitles import Cue

FPS = 24
CLIP_SECONDS = (2.5, 3.0, 2.0)
SPEECH_SECONDS = (1.5, 3.4, 1.2)  # the second runs past its shot's cut into the third's narration
TRANSITION = 0.46  # 11 frames: an odd overlap, split 5 before the cut and 6 after it


def clip_file(path, frames: int):
    ffmpeg.run(["-f", "lavfi", "-i", f"testsrc=size=160x90:rate={FPS}", "-frames:v", str(frames), str(path)])
    return path


def tone(path, seconds: float, freq: float = 220.0):
    t = np.arange(int(seconds * 22050)) / 22050
    soundfile.write(path, (0.3 * np.sin(2 * math.pi * freq * t)).astype(np.float32), 22050)
    return path


def made_film(folder: Path) -> tuple[list[TimelineScene], RenderManifest]:
    """The scenes as composition takes them, and the manifest with paths relative to `folder`."""
    """A manifest of three shots with narration, dialogue in the first, music and two cues."""
    scenes = [
        TimelineScene(
            clip_file(folder / f"c{i}.mp4", round(seconds * FPS)),
            seconds,
            "crossfade" if i != 1 else "fadeblack",
            tone(folder / f"a{i}.wav", SPEECH_SECONDS[i]),
            SPEECH_SECONDS[i],
            "The fox ran. “Wait!” she said." if i == 0 else f"Line {i}.",
            [(0.0, 0.6, "The fox ran."), (0.75, 1.0, "“Wait!”"), (1.1, 1.5, "she said.")] if i == 0 else [],
        )
        for i, seconds in enumerate(CLIP_SECONDS)
    ]
    parts = [
        [Part(text="The fox ran. "), Part(text="“Wait!”", speaker="Mara"), Part(text=" she said.")],
        [],
        [],
    ]
    cues = [Cue(0.1, 1.4, ["The fox ran."]), Cue(5.0, 6.2, ["Line one,", "two lines"])]
    music = MusicBed(tone(folder / "bed.wav", 2.0, 110.0), volume=0.3, fade_in=1.0, fade_out=2.0, duck=True)
    manifest = manifest_of(
        ["s1", "s2", "s3"], scenes, parts, cues, music, fps=FPS, width=160, height=90, transition_seconds=TRANSITION
    )
    (folder / "media").mkdir()

    def kept(media):
        os.link(media.path, folder / "media" / media.name)
        return Path("media") / media.name

    return scenes, manifest.relinked(kept)
