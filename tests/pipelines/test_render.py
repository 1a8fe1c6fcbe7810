"""Whole renders on the tiny weights: the output a user gets, determinism, cancel, batch."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from models.cancel import CancelToken
from models.errors import Cancelled
from models.registry import ModelRegistry
from pipelines import ffmpeg
from pipelines.artifact_store import ArtifactStore
from pipelines.render import ImageOptions, MusicOptions, RenderOptions, VideoOptions, render
from pipelines.specs import Shot
from tests.conftest import ROOT, loudness_of, subtitle_streams, tiny_settings

FOX = (ROOT / "samples" / "fox-and-moon.zh.txt").read_text()
LIGHTHOUSE = (ROOT / "samples" / "lighthouse.en.txt").read_text()


def options(**overrides):
    base = dict(
        scene_count=3, video=VideoOptions(fps=8, resolution="320x180"), image=ImageOptions(resolution="128x96", seed=5)
    )
    return RenderOptions(**{**base, **overrides})


@pytest.fixture(scope="module")
def fox_render(registry, tmp_path_factory):
    return render(FOX, tmp_path_factory.mktemp("fox"), registry, options())


def test_render_output(fox_render):
    result = fox_render
    info = ffmpeg.probe(result.video)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert (info.width, info.height) == (320, 180) and info.fps == 8
    overlaps = 0.5 * (len(result.clips) - 1)
    expected = sum(clip.duration for clip in result.clips) - overlaps
    assert result.duration == pytest.approx(expected, abs=0.1)
    assert info.duration == pytest.approx(expected, abs=0.1)
    check_subtitles(result, fps=8)
    for clip, audio in zip(result.clips, result.audios, strict=True):
        assert clip.duration >= audio.duration  # each scene is at least as long as its narration
    task = result.video.parent
    for name in ("storyboard.json", "final.srt", "frames/s1.png", "audio/s1.wav", "clips/s1.mp4"):
        assert (task / name).is_file()
    assert set(result.timings) == {"storyboard", "frames", "narration", "clips", "compose"}


CLOSING = "，。！？、；：”’）》」』,.!?;:)"


def check_subtitles(result, fps: int) -> None:
    """The guide's rules on a whole render: one cue per sentence at most two lines, lines of at most
    16 CJK / 42 Latin characters that never start with closing punctuation, at least 5/6 s on screen
    (or up to the next cue), each scene's first cue within a frame of its narration's start."""
    blocks = [b.splitlines() for b in result.subtitles.read_text().strip().split("\n\n")]
    times = [
        [
            sum(float(x) * 60**i for i, x in enumerate(reversed(t.replace(",", ".").split(":"))))
            for t in b[1].split(" --> ")
        ]
        for b in blocks
    ]
    for block, (start, end), following in zip(blocks, times, [*times[1:], None], strict=True):
        lines = block[2:]
        assert 1 <= len(lines) <= 2, block
        for line in lines:
            assert len(line) <= (16 if any("\u4e00" <= ch <= "\u9fff" for ch in line) else 42), line
            assert line[0] not in CLOSING, line
        assert end - start >= 5 / 6 - 1e-3 or (following and abs(end - following[0]) < 1e-3), block
    assert len(blocks) > len(result.storyboard.storyboard)  # a cue per sentence, not one per scene
    starts = [start for start, _ in times]
    cursor = 0.0
    for clip in result.clips:
        assert min(abs(s - cursor) for s in starts) <= 1 / fps  # the scene's narration starts with it
        cursor += clip.duration - 0.5


def test_the_tiny_narrator_is_heard_at_the_target_loudness(fox_render, settings):
    integrated, true_peak = loudness_of(fox_render.video)  # ffmpeg's ebur128, as a meter reads the film
    assert abs(integrated - settings.loudness_lufs) <= 1.0 and true_peak <= -1.5


def test_a_prompt_the_video_model_cuts_is_named_in_the_warnings(registry, tmp_path):
    scene = "The keeper climbed the stairs of the lighthouse at night in a storm, soft light, watercolor. " * 4
    board = [
        Shot(scene_id="quay", prompt="a boat at the quay", narration="A boat came in."),
        Shot(scene_id="stairs", prompt=scene, narration="The keeper climbed."),
    ]
    result = render(board, tmp_path, registry, options(video=VideoOptions(fps=8, resolution="160x96", motion="i2v")))
    cut = [w for w in result.warnings if "the video model reads 128 tokens" in w]
    assert len(cut) == 1 and cut[0].startswith("stairs: ")
    assert not any("image model" in w for w in result.warnings)  # SDXL reads the prompt whole


def test_same_seed_same_keyframes(registry, fox_render, tmp_path):
    again = render(FOX, tmp_path, registry, options(), ArtifactStore(tmp_path / "fresh"))  # drawn again
    assert fox_render.frames and len(again.frames) == len(fox_render.frames)  # the loop below checks something
    for first, second in zip(fox_render.frames, again.frames, strict=True):
        assert np.array_equal(np.asarray(Image.open(first.frame)), np.asarray(Image.open(second.frame)))


def test_rerun_reuses_finished_artifacts(registry, fox_render):
    task = fox_render.video.parent
    before = {p: p.stat().st_ino for p in task.glob("*/*.*")}
    render(FOX, task, registry, options())
    assert {p: p.stat().st_ino for p in task.glob("*/*.*")} == before  # the same files, not remade


def test_cancel_stops_a_render_and_leaves_no_partial_files(registry, tmp_path):
    token = CancelToken()

    def progress(stage, fraction):
        if stage == "clips":
            token.cancel()

    with pytest.raises(Cancelled):
        render(LIGHTHOUSE, tmp_path, registry, options(), cancel=token, on_progress=progress)
    assert not (tmp_path / "final.mp4").exists()
    assert not list(tmp_path.rglob(".*part*"))


def test_vertical_render_with_rules_and_music_warning(tmp_path):
    settings = tiny_settings(
        tmp_path, llm_backend="none", i2v_backend="none", tts_backend="espeak", music_backend="none"
    )
    registry = ModelRegistry(settings)
    result = render(
        LIGHTHOUSE,
        tmp_path / "task",
        registry,
        options(aspect="9:16", music=MusicOptions(), video=VideoOptions(fps=8, resolution="480p"), subtitles="soft"),
    )
    info = ffmpeg.probe(result.video)
    assert (info.width, info.height) == (480, 854)
    assert subtitle_streams(result.video) == [("eng", "mov_text")]  # the storyboard's language
    check_subtitles(result, fps=8)  # English: 42 characters a line
    assert any("rule-based" in w for w in result.warnings)
    assert any("S2V_MUSIC_DIR" in w for w in result.warnings)
    assert any("no image-to-video model" in w for w in result.warnings)


def test_batch_render_keeps_going_and_skips_done(tmp_path, tiny_weights):
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "good.txt").write_text("A fox saw the moon. The moon smiled back.")
    (stories / "empty.txt").write_text("   ")
    command = [sys.executable, str(ROOT / "scripts" / "batch_render.py"), str(stories), "--out", str(tmp_path / "out")]
    command += ["--scenes", "2", "--fps", "8", "--resolution", "320x180", "--motion", "kenburns"]
    env = {**os.environ, "S2V_WEIGHTS_DIR": str(tiny_weights), "S2V_DATA_DIR": str(tmp_path / "data")}
    env["S2V_LLM_BACKEND"] = "none"
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 1
    assert "failed: empty: InvalidInput: story is empty" in first.stderr
    assert (tmp_path / "out" / "good.mp4").is_file() and (tmp_path / "out" / "good.srt").is_file()
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert "skip   good" in second.stderr + second.stdout
