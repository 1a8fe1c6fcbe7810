"""frames, narration, clips and compose on the tiny weights, checked with ffmpeg's own reading."""

import math
import subprocess

import numpy as np
import pytest
import soundfile
from PIL import Image

from models.text_windows import Reading
from pipelines import ffmpeg
from pipelines.artifact_store import ArtifactStore
from pipelines.clips import make_clips, video_size
from pipelines.compose import TimelineScene, compose, timeline
from pipelines.fonts import find_font, missing_glyphs
from pipelines.frames import make_frames, parse_resolution
from pipelines.narration import make_narration
from pipelines.soundtrack import MusicBed
from pipelines.specs import ClipSpec, FrameSpec, Line


class Counting:
    def __init__(self, runtime):
        self.runtime, self.calls = runtime, 0

    def __getattr__(self, name):
        return getattr(self.runtime, name)

    def generate(self, *args, **kwargs):
        self.calls += 1
        return self.runtime.generate(*args, **kwargs)


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(tmp_path / "artifacts")


def test_frames_batched_seeded_and_reused(registry, tmp_path, store):
    t2i = Counting(registry.get("t2i"))
    specs = [FrameSpec(scene_id=f"s{i}", prompt=f"scene {i}", seed=6 + i) for i in range(1, 6)]
    frames, warnings = make_frames(specs, tmp_path / "one", t2i, store, width=96, height=64, steps=1, batch=2)
    assert warnings == []  # short prompts: nothing cut
    assert t2i.calls == 3  # 5 scenes in batches of 2
    assert [f.seed for f in frames] == [7, 8, 9, 10, 11]
    assert all(Image.open(f.frame).size == (96, 64) for f in frames)
    again, _ = make_frames(specs, tmp_path / "two", t2i, store, width=96, height=64, steps=1, batch=2)
    assert t2i.calls == 3  # all from the store, into another folder
    assert all(a.frame.read_bytes() == b.frame.read_bytes() for a, b in zip(frames, again, strict=True))
    assert all(a.frame.stat().st_ino == b.frame.stat().st_ino for a, b in zip(frames, again, strict=True))
    make_frames(
        specs[:1],
        tmp_path / "three",
        t2i,
        ArtifactStore(tmp_path / "artifacts", "other-key"),
        width=96,
        height=64,
        steps=1,
    )
    assert t2i.calls == 4  # another owner's store shares nothing


@pytest.mark.parametrize(
    ("text", "message"),
    [("768x510", "multiples of 8"), ("abc", "look like"), ("16384x16384", "pixel budget"), ("0x0", "multiples")],
)
def test_keyframe_resolution_checks(text, message):
    with pytest.raises(ValueError, match=message):
        parse_resolution(text, 1024 * 1024)


def test_narration_wav_and_mp3(registry, tmp_path):
    lines = [Line(scene_id="s1", text="The lamp went dark. " * 6), Line(scene_id="s2", text="阿青决定去寻找月亮。")]
    audios = make_narration(lines, tmp_path, registry.get("tts"), ArtifactStore(tmp_path / "store"), fmt="wav")
    for audio in audios:
        info = soundfile.info(audio.audio)
        assert info.samplerate == 22050 and info.frames > 0
        assert audio.duration == pytest.approx(info.duration, abs=1e-3)
    mp3 = make_narration(
        lines[:1], tmp_path / "mp3", registry.get("tts"), ArtifactStore(tmp_path / "store"), fmt="mp3"
    )[0]
    probe = ffmpeg.probe(mp3.audio)
    assert probe.audio_codec == "mp3" and mp3.duration == pytest.approx(audios[0].duration, abs=0.1)


def test_video_sizes():
    assert video_size("720p") == (1280, 720)
    assert video_size("1080p", "9:16") == (1080, 1920)
    assert video_size("720p", "1:1") == (720, 720)
    assert video_size("640x360", "9:16") == (640, 360)
    for bad in ("abc", "641x360", "99999x99999"):
        with pytest.raises(ValueError):
            video_size(bad)


@pytest.fixture(scope="module")
def keyframe(registry, tmp_path_factory):
    folder = tmp_path_factory.mktemp("key")
    spec = FrameSpec(scene_id="k", prompt="a fox")
    frames, _ = make_frames([spec], folder, registry.get("t2i"), ArtifactStore(folder / "store"), width=96, height=64)
    return frames[0]


@pytest.mark.parametrize("motion", ["static", "kenburns", "i2v"])
def test_clips_last_exactly_their_duration(registry, settings, tmp_path, keyframe, motion):
    specs = [ClipSpec(scene_id="a", frame=keyframe.frame, duration=1.3, motion=motion)]
    clips, warnings = make_clips(
        specs,
        tmp_path,
        ArtifactStore(tmp_path / "store"),
        fps=10,
        width=160,
        height=90,
        i2v=registry.get("i2v"),
        settings=settings,
    )
    info = ffmpeg.probe(clips[0].clip)
    assert warnings == [] and clips[0].motion == motion
    assert info.frames == 13 and info.fps == 10 and (info.width, info.height) == (160, 90)
    assert info.video_codec == "h264" and info.pix_fmt == "yuv420p" and info.audio_codec is None


def test_a_clip_lasts_as_long_as_its_narration_even_past_30_seconds(tmp_path, keyframe):
    spec = ClipSpec(scene_id="a", frame=keyframe.frame, duration=31.0, motion="static")
    clips, _ = make_clips([spec], tmp_path, ArtifactStore(tmp_path / "store"), fps=2, width=32, height=32)
    assert ffmpeg.probe(clips[0].clip).frames == 62


class ReadsNoText:
    """A stand-in video model's text window: it reads no prompt, so nothing of one is cut."""

    text_window = 0

    def read_prompts(self, prompts):
        return [Reading(0, 0) for _ in prompts]


class Exploding(ReadsNoText):
    identity = "exploding"

    def animate(self, *args, **kwargs):
        raise RuntimeError("CUDA error: device-side assert")


def test_failed_i2v_scene_falls_back_to_kenburns(settings, tmp_path, keyframe):
    specs = [ClipSpec(scene_id=s, frame=keyframe.frame, duration=1.0, motion="i2v") for s in ("a", "b")]
    store = ArtifactStore(tmp_path / "store")
    clips, warnings = make_clips(specs, tmp_path, store, fps=8, width=96, height=64, i2v=Exploding(), settings=settings)
    assert [c.motion for c in clips] == ["kenburns", "kenburns"]
    assert len(warnings) == 2 and "image-to-video failed" in warnings[0]
    assert all(ffmpeg.probe(c.clip).frames == 8 for c in clips)
    _, again = make_clips(specs, tmp_path, store, fps=8, width=96, height=64, i2v=Exploding(), settings=settings)
    assert len(again) == 2  # a pan/zoom stands in for this render, but the next one asks the model again


def test_timeline_overlaps():
    scenes = [
        TimelineScene(clip=None, duration=d, transition=t) for d, t in [(3, "crossfade"), (2, "none"), (4, "fade")]
    ]
    starts, overlaps, total = timeline(scenes, 0.5)
    assert starts == [0, 2.5, 4.5] and overlaps == [0.5, 0, 0] and total == 8.5


def tone(path, seconds, rate=44100, freq=220.0):
    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(path, (0.3 * np.sin(2 * math.pi * freq * t)).astype(np.float32), rate)
    return path


def test_compose_with_music_subtitles_and_hostile_text(tmp_path, keyframe):
    clips, _ = make_clips(
        [
            ClipSpec(scene_id=f"c{i}", frame=keyframe.frame, duration=d, motion="static")
            for i, d in enumerate([2.5, 2.0, 3.0])
        ],
        tmp_path / "clips",
        ArtifactStore(tmp_path / "store"),
        fps=12,
        width=320,
        height=180,
    )
    hostile = ["it's 50% : [a] \\ %{pts} ,;", "第二行\n換行 \u202eRTL\u200b", "plain last line"]
    scenes = [
        TimelineScene(c.clip, c.duration, t, tone(tmp_path / f"v{i}.wav", 1.0 + i * 0.3), 1.0 + i * 0.3, text)
        for i, (c, t, text) in enumerate(zip(clips, ["crossfade", "none", "crossfade"], hostile, strict=True))
    ]
    music = MusicBed(tone(tmp_path / "calm-piano.wav", 1.7, freq=440.0))  # shorter than the video: it loops
    font = find_font()
    result = compose(
        scenes, tmp_path / "final.mp4", width=320, height=180, fps=12, transition_seconds=0.5, music=music, font=font
    )
    info = ffmpeg.probe(result.video)
    assert info.video_codec == "h264" and info.audio_codec == "aac" and (info.width, info.height) == (320, 180)
    assert info.fps == 12 and result.duration == pytest.approx(2.5 + 2.0 + 3.0 - 0.5)
    assert info.duration == pytest.approx(result.duration, abs=0.1)
    srt = result.subtitles.read_text().strip().split("\n\n")
    assert len(srt) == 4  # a cue per sentence: scene 2 has two lines of text
    assert srt[1].splitlines()[1].startswith("00:00:02,000 --> ")  # scene 2's first cue starts with it
    assert srt[3].splitlines()[1].startswith("00:00:04,000 --> ")
    assert result.video.with_suffix(".vtt").read_text().startswith("WEBVTT")
    assert "%{pts}" in srt[0] and result.warnings == []
    assert not list(tmp_path.glob(".*part*")) and not list(tmp_path.glob(".compose-*"))
    with open(result.video, "rb") as handle:  # faststart: the index comes before the media data
        head = handle.read(4096)
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_cjk_font_has_the_glyphs():
    font = find_font()
    story = (__import__("tests.conftest").conftest.ROOT / "samples" / "fox-and-moon.zh.txt").read_text()
    assert missing_glyphs(font, story) == set()
    assert missing_glyphs(font, "\U0001f98a") == {"\U0001f98a"}  # proves the check can fail


def test_ffmpeg_failure_carries_its_stderr(tmp_path):
    with pytest.raises(ffmpeg.FFmpegError, match="No such file"):
        ffmpeg.run(["-i", str(tmp_path / "missing.mp4"), str(tmp_path / "out.mp4")])


def test_ffmpeg_timeout_kills_the_process(tmp_path):
    out = tmp_path / "long.mp4"
    args = ["-f", "lavfi", "-i", "testsrc=size=1280x720:rate=30", "-t", "600", "-c:v", "libx264", str(out)]
    with pytest.raises(ffmpeg.FFmpegError, match="timeout"):
        ffmpeg.run(args, timeout=0.5, remove_on_failure=out)
    assert not out.exists()
    leftover = subprocess.run(["pgrep", "-f", "testsrc=size=1280x720"], capture_output=True, text=True).stdout
    assert leftover.strip() == ""


def test_the_i2v_guidance_setting_reaches_the_model(settings, tmp_path, keyframe):
    seen = []

    class Recording(ReadsNoText):
        identity = "recording"

        def animate(self, image, frames, width, height, **kwargs):
            seen.append(kwargs["guidance"])
            return [image] * frames

    tuned = settings.model_copy(update={"i2v_guidance": 1.0})
    spec = ClipSpec(scene_id="a", frame=keyframe.frame, duration=1.0, motion="i2v")
    store = ArtifactStore(tmp_path / "store")
    make_clips([spec], tmp_path, store, fps=8, width=96, height=64, i2v=Recording(), settings=tuned)
    make_clips([spec], tmp_path, store, fps=8, width=96, height=64, i2v=Recording(), settings=settings)
    assert seen == [1.0, None]  # and the setting is part of the clip's key: the default made its own
