"""Composition in segments: exact frame counts, narration on its scene's first frame, no seam at the
joins, a one-shot edit that encodes that shot's body and its two joints (and its sound's stem) and
nothing else, and subtitles burned in, carried as a stream, or both, from the same segments."""

import itertools
import subprocess

import numpy as np
import pytest
import soundfile
from PIL import Image, ImageDraw
from scipy import signal

from pipelines import ffmpeg
from pipelines.artifact_store import ArtifactStore
from pipelines.clips import make_clips
from pipelines.compose import TimelineScene, compose
from pipelines.fonts import find_font
from pipelines.segments import cut
from pipelines.soundtrack import MusicBed
from pipelines.specs import ClipSpec
from pipelines.stems import GRID, LEAD
from tests.conftest import subtitle_streams

WIDTH, HEIGHT, FPS, RATE = 160, 96, 12, 48000


def test_cut_covers_every_frame_once():
    clips = [f"c{i}" for i in range(4)]
    segments = cut(clips, [24, 30, 18, 24], [6, 0, 9, 0], ["fade", "", "wipeleft", ""])
    assert [s.name for s in segments] == ["body-0", "joint-0", "body-1", "body-2", "joint-2", "body-3"]
    assert [s.frames for s in segments] == [18, 6, 24, 9, 9, 15]
    assert sum(s.frames for s in segments) == 24 + 30 + 18 + 24 - 6 - 9
    assert all(b.start == a.start + a.frames for a, b in itertools.pairwise(segments))
    joint = segments[1]
    assert [(p.clip, p.first, p.end) for p in joint.pieces] == [("c0", 18, 24), ("c1", 0, 6)]
    assert segments[2].pieces[0].first == 6  # scene 1's head went into the joint


def keyframe(path, index: int):
    image = Image.new("RGB", (WIDTH, HEIGHT), ((index * 70) % 255, 90, (200 - index * 40) % 255))
    draw = ImageDraw.Draw(image)
    for k in range(6):
        x, y = (k * 37 + index * 11) % WIDTH, (k * 23 + index * 7) % HEIGHT
        draw.ellipse((x, y, x + 24, y + 24), outline=(255, 255, 255), width=2)
    image.save(path)
    return path


def beep(path, seconds: float, freq: float):
    """A line of "narration": a tone burst from its first sample, then silence."""
    t = np.arange(int(seconds * RATE)) / RATE
    sound = np.where(t < 0.4, 0.5 * np.sin(2 * np.pi * freq * t), 0.0).astype(np.float32)
    soundfile.write(path, sound, RATE)
    return path


@pytest.fixture
def film(tmp_path):
    store = ArtifactStore(tmp_path / "store")
    cameras = ["push_in", "pan_right", "pull_out", "pan_left"]
    specs = [
        ClipSpec(scene_id=f"s{i}", frame=keyframe(tmp_path / f"k{i}.png", i), duration=2.0, motion="kenburns", camera=c)
        for i, c in enumerate(cameras)
    ]
    clips, _ = make_clips(specs, tmp_path / "clips", store, fps=FPS, width=WIDTH, height=HEIGHT)
    scenes = [
        TimelineScene(c.clip, c.duration, t, beep(tmp_path / f"v{i}.wav", 1.2, 300 + 150 * i), 1.2, f"Line {i}.")
        for i, (c, t) in enumerate(zip(clips, ["crossfade", "none", "wipeleft", "crossfade"], strict=True))
    ]
    return scenes, specs, store


def render(scenes, out, store):
    return compose(
        scenes, out, width=WIDTH, height=HEIGHT, fps=FPS, transition_seconds=0.5, font=find_font(), store=store
    )


def decoded_frames(path) -> np.ndarray:
    command = [ffmpeg.binary(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(command, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, HEIGHT, WIDTH, 3).astype(np.float64)


def decoded_audio(path) -> np.ndarray:
    command = [ffmpeg.binary(), "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"]
    return np.frombuffer(subprocess.run(command, capture_output=True, check=True).stdout, np.float32)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a - b) ** 2)
    return 100.0 if mse == 0 else 10 * np.log10(255**2 / mse)


def test_frames_sync_and_seams(tmp_path, film):
    scenes, _, store = film
    result = render(scenes, tmp_path / "final.mp4", store)
    # 4 x 24 frames, less the two 6-frame transitions ("none" between scenes 1 and 2 overlaps nothing)
    expected = 4 * 24 - 6 - 6
    frames = decoded_frames(result.video)
    assert len(frames) == expected and result.duration == pytest.approx(expected / FPS)
    info = ffmpeg.probe(result.video)
    assert (info.video_codec, info.audio_codec, info.pix_fmt) == ("h264", "aac", "yuv420p")
    assert info.duration == pytest.approx(expected / FPS, abs=0.05)
    segments = ["body-0", "body-1", "body-2", "body-3", "joint-0", "joint-2"]
    stems = [f"stem-{i}{kind}" for i in range(4) for kind in ("", ".aac")]  # mixed and measured, encoded
    assert sorted(result.encoded) == sorted(segments + stems)

    # Each scene's narration starts within one frame of the scene's first frame.
    audio = decoded_audio(result.video)
    loud = np.flatnonzero(np.abs(audio) > 0.05)
    for start in result.starts:
        onset = loud[loud >= int((start - 0.2) * RATE)][0] / RATE
        assert abs(onset - start) <= 1 / FPS, (start, onset)

    # No seam: where one segment meets the next, neighbouring frames are as alike as elsewhere.
    steps = [psnr(frames[i - 1], frames[i]) for i in range(1, len(frames))]
    typical = float(np.median(steps))
    segments = cut([s.clip for s in scenes], [24] * 4, [6, 0, 6, 0], ["fade", "", "wipeleft", ""])
    for segment in segments[1:]:
        if segment.name == "body-2":  # the straight cut between scenes 1 and 2: a new picture by design
            continue
        assert steps[segment.start - 1] > typical - 6.0, (segment.name, steps[segment.start - 1], typical)
    # No frame doubled or dropped: each body frame is its own source frame, not a neighbour
    # (compared above the subtitles, which the source does not have).
    top = slice(0, HEIGHT * 6 // 10)
    for segment in segments:
        if segment.transition:
            continue
        piece = segment.pieces[0]
        source = decoded_frames(piece.clip)[:, top]
        for offset in range(segment.frames):
            shown, k = frames[segment.start + offset, top], piece.first + offset
            here = psnr(shown, source[k])
            assert here > 30.0
            for other in (k - 1, k + 1):
                if 0 <= other < len(source):
                    assert here >= psnr(shown, source[other]) - 0.01, (segment.name, offset)


def test_a_one_shot_edit_encodes_three_segments(tmp_path, film):
    scenes, specs, store = film
    first = render(scenes, tmp_path / "a.mp4", store)
    assert len(first.encoded) == 6 + 2 * 4  # six segments, four stems mixed and encoded
    again = render(scenes, tmp_path / "b.mp4", store)
    assert again.encoded == []  # everything from the store
    assert decoded_frames(again.video).tobytes() == decoded_frames(first.video).tobytes()

    scenes[2].clip = make_clips(
        [specs[2].model_copy(update={"camera": "tilt_down", "scene_id": "s2-edited"})],
        tmp_path / "clips",
        store,
        fps=FPS,
        width=WIDTH,
        height=HEIGHT,
    )[0][0].clip
    edit = render(scenes, tmp_path / "d.mp4", store)
    # Scene 2 enters by a straight cut and leaves by a wipe: its body and its one joint. A scene
    # with transitions on both sides (the three-segment case) is scene 1 of the benchmark.
    assert sorted(edit.encoded) == ["body-2", "joint-2"]  # the sound did not change: kept
    assert len(decoded_frames(edit.video)) == 4 * 24 - 12

    scenes[0].audio = beep(tmp_path / "v0-new.wav", 1.2, 900)  # a new line of the same length
    spoken = render(scenes, tmp_path / "e.mp4", store)
    assert spoken.encoded == ["stem-0", "stem-0.aac"]  # pictures and the other stems kept


def test_an_edit_between_two_transitions_encodes_its_body_and_both_joints(tmp_path, film):
    scenes, specs, store = film
    scenes[1].transition = "crossfade"  # scene 1 now has a transition on each side
    render(scenes, tmp_path / "a.mp4", store)
    spec = specs[1].model_copy(update={"camera": "tilt_down", "scene_id": "s1-edited"})
    (clip,), _ = make_clips([spec], tmp_path / "clips", store, fps=FPS, width=WIDTH, height=HEIGHT)
    scenes[1].clip = clip.clip
    edit = render(scenes, tmp_path / "b.mp4", store)
    assert sorted(edit.encoded) == ["body-1", "joint-0", "joint-1"]
    assert len(decoded_frames(edit.video)) == 4 * 24 - 18


def test_subtitle_modes_share_their_segments(tmp_path, film):
    """Soft subtitles are a stream beside a clean picture (the same segments as a film without
    any); burned ones are drawn into the segments that show a line; "both" reuses both."""
    scenes, _, store = film
    modes = {}
    for mode in ("none", "soft", "burn", "both"):
        result = compose(
            scenes, tmp_path / f"{mode}.mp4", width=WIDTH, height=HEIGHT, fps=FPS, subtitles=mode,
            language="en", font=find_font(), store=store,
        )  # fmt: skip
        modes[mode] = result, decoded_frames(result.video)
        assert result.subtitles.read_text().startswith("1\n")  # the .srt (and .vtt) in every mode
        assert result.video.with_suffix(".vtt").read_text().startswith("WEBVTT")
    assert subtitle_streams(modes["none"][0].video) == [] == subtitle_streams(modes["burn"][0].video)
    assert subtitle_streams(modes["soft"][0].video) == [("eng", "mov_text")] == subtitle_streams(modes["both"][0].video)
    assert modes["soft"][0].encoded == []  # the picture and the sound of "none", reused
    assert modes["soft"][1].tobytes() == modes["none"][1].tobytes()  # no text in the picture
    # Every segment here shows a line (a shot's line starts in the transition into it): all drawn again.
    assert sorted(modes["burn"][0].encoded) == ["body-0", "body-1", "body-2", "body-3", "joint-0", "joint-2"]
    assert modes["both"][0].encoded == [] and modes["both"][1].tobytes() == modes["burn"][1].tobytes()
    lower = slice(HEIGHT * 6 // 10, HEIGHT)  # where the lines are drawn
    assert psnr(modes["burn"][1][:, lower], modes["none"][1][:, lower]) < 30.0
    carried = subprocess.run(
        [ffmpeg.binary(), "-v", "error", "-i", str(modes["soft"][0].video), "-map", "0:s", "-f", "srt", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert [f"Line {i}." in carried for i in range(4)] == [True] * 4


def test_a_longer_line_mixes_and_encodes_its_own_stem_only(tmp_path, film):
    """Lengthening a shot moves every shot after it; their stems hold the same sound and are kept."""
    scenes, specs, store = film
    render(scenes, tmp_path / "a.mp4", store)
    longer = specs[1].model_copy(update={"duration": 2.5, "scene_id": "s1-longer"})
    (clip,), _ = make_clips([longer], tmp_path / "clips", store, fps=FPS, width=WIDTH, height=HEIGHT)
    scenes[1].clip, scenes[1].duration = clip.clip, 2.5
    scenes[1].audio = beep(tmp_path / "v1-long.wav", 1.7, 450)
    edit = render(scenes, tmp_path / "b.mp4", store)
    assert sorted(edit.encoded) == ["body-1", "joint-0", "stem-1", "stem-1.aac"]
    frames = decoded_frames(edit.video)
    assert len(frames) == 4 * 24 + 6 - 12
    audio = decoded_audio(edit.video)  # every line still starts with its shot, the later ones 0.5 s later
    loud = np.flatnonzero(np.abs(audio) > 0.05)
    for start in edit.starts:
        onset = loud[loud >= int((start - 0.2) * RATE)][0] / RATE
        assert abs(onset - start) <= 1 / FPS, (start, onset)


def test_the_stems_join_without_a_click(tmp_path, film):
    """A pure tone under every join: the stems' encodes meet sample for sample (encoded with their
    neighbours' sound around them), so above 3 kHz there is no more energy at a join than elsewhere
    (encoded on their own, each join clicks at 10^4 to 10^5 times that)."""
    scenes, _, store = film
    t = np.arange(3 * 44100) / 44100
    soundfile.write(tmp_path / "tone.wav", (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 44100)
    for scene in scenes:
        scene.audio, scene.text = None, ""
    bed = MusicBed(tmp_path / "tone.wav", fade_in=0, fade_out=0, duck=False)
    result = compose(
        scenes, tmp_path / "tone.mp4", width=WIDTH, height=HEIGHT, fps=FPS, music=bed, subtitles="none", store=store
    )
    high = signal.sosfilt(signal.butter(8, 3000, "highpass", fs=RATE, output="sos"), decoded_audio(result.video))
    energy = (high[: len(high) // GRID * GRID].reshape(-1, GRID) ** 2).sum(axis=1)
    typical = np.median(energy)
    for start in result.starts[1:]:  # a stem starts LEAD before the AAC grid point nearest its shot
        join = (round(start * RATE / GRID) * GRID - LEAD) // GRID
        assert energy[join - 2 : join + 3].max() < 3 * typical, (start, energy[join - 2 : join + 3] / typical)
