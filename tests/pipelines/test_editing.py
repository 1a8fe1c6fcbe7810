"""The editing engine on the tiny weights: renders from a storyboard, counted model calls, the store."""

import os
import time

import pytest

from models.registry import ModelRegistry
from pipelines import ffmpeg
from pipelines.artifact_store import ArtifactStore, key_of
from pipelines.render import ImageOptions, RenderOptions, VideoOptions, render
from pipelines.specs import Shot
from pipelines.story_writer import Topic

LINES = [
    "The keeper climbed the stairs.",
    "He lit the lamp at dusk.",
    "A ship turned toward the light.",
    "The sailors cheered in the rain.",
    "Morning came over the cliffs.",
    "The keeper slept at last.",
]


class Counter:
    """A runtime whose model calls are counted, item by item."""

    def __init__(self, runtime, counts: dict, role: str):
        self.runtime, self.counts, self.role = runtime, counts, role

    def __getattr__(self, name):
        return getattr(self.runtime, name)

    def _count(self, items: int) -> None:
        self.counts[self.role] = self.counts.get(self.role, 0) + items

    def generate(self, prompts, *args, **kwargs):  # t2i: a batch of prompts
        self._count(len(prompts))
        return self.runtime.generate(prompts, *args, **kwargs)

    def generate_json(self, *args, **kwargs):
        self._count(1)
        return self.runtime.generate_json(*args, **kwargs)

    def synthesize(self, *args, **kwargs):
        self._count(1)
        return self.runtime.synthesize(*args, **kwargs)

    def animate(self, *args, **kwargs):
        self._count(1)
        return self.runtime.animate(*args, **kwargs)


class CountingRegistry(ModelRegistry):
    def __init__(self, settings):
        super().__init__(settings)
        self.counts: dict[str, int] = {}

    def get(self, role):
        runtime = super().get(role)
        return None if runtime is None else Counter(runtime, self.counts, role)

    def take(self) -> dict:
        counts, self.counts = self.counts, {}
        return counts


@pytest.fixture(scope="module")
def counting(settings):
    return CountingRegistry(settings)


def small(**overrides) -> RenderOptions:
    video = VideoOptions(fps=8, resolution="160x90", motion="i2v")
    return RenderOptions(**{"image": ImageOptions(resolution="64x64", seed=3), "video": video, **overrides})


def shots() -> list[Shot]:
    return [
        Shot(scene_id=f"s{i + 1}", prompt=f"lighthouse, moment {i}", narration=text) for i, text in enumerate(LINES)
    ]


def test_the_same_render_twice_makes_nothing_the_second_time(counting, tmp_path):
    store = ArtifactStore(tmp_path / "store")
    story = " ".join(LINES[:3])
    first = render(story, tmp_path / "one", counting, small(scene_count=3), store)
    made = counting.take()
    assert made["llm"] == 1 and made["t2i"] == 3 and made["tts"] == 3 and made["i2v"] == 3
    second = render(story, tmp_path / "two", counting, small(scene_count=3), store)
    assert counting.take() == {}  # storyboard, keyframes, narration and clips all came from the store
    for a, b in zip(first.clips, second.clips, strict=True):
        assert a.clip.read_bytes() == b.clip.read_bytes()
    assert first.video.read_bytes() != b"" and ffmpeg.probe(second.video).duration > 0


def test_one_edited_shot_of_six_remakes_exactly_that_shot(counting, tmp_path):
    store = ArtifactStore(tmp_path / "store")
    first = render(shots(), tmp_path / "one", counting, small(), store)
    assert counting.take() == {"t2i": 6, "tts": 6, "i2v": 6}  # no LLM: the storyboard is the caller's
    edited = shots()
    edited[2] = edited[2].model_copy(update={"prompt": "a storm at sea", "narration": "Thunder shook the tower."})
    second = render(edited, tmp_path / "two", counting, small(), store)
    assert counting.take() == {"t2i": 1, "tts": 1, "i2v": 1}
    for index, (a, b) in enumerate(zip(first.clips, second.clips, strict=True)):
        same = a.clip.read_bytes() == b.clip.read_bytes()
        assert same == (index != 2), index
    assert second.storyboard.storyboard[2].narration == "Thunder shook the tower."


def test_an_emotion_the_speech_engine_ignores_finds_the_same_narration(counting, tmp_path):
    assert not counting.get("tts").takes_styles  # the tiny VITS
    store = ArtifactStore(tmp_path / "store")
    options = small(video=VideoOptions(fps=8, resolution="160x90", motion="kenburns"))
    moved = [shot.model_copy(update={"emotion": "whispering, afraid"}) for shot in shots()[:2]]
    first = render(moved, tmp_path / "one", counting, options, store)
    assert counting.take()["tts"] == 2
    plain = render(shots()[:2], tmp_path / "two", counting, options, store)
    assert counting.take() == {}  # not spoken again: its narration's key holds no style it would ignore
    for a, b in zip(first.audios, plain.audios, strict=True):
        assert a.audio.read_bytes() == b.audio.read_bytes()


def test_inserting_a_shot_remakes_only_the_new_one(counting, tmp_path):
    store = ArtifactStore(tmp_path / "store")
    options = small(video=VideoOptions(fps=8, resolution="160x90", motion="kenburns"))
    render(shots()[:3], tmp_path / "one", counting, options, store)
    counting.take()
    longer = shots()[:3]
    longer.insert(1, Shot(scene_id="new", prompt="gulls over the cliff", narration="Gulls cried overhead."))
    render(longer, tmp_path / "two", counting, options, store)
    assert counting.take() == {"t2i": 1, "tts": 1}  # seeds follow scene ids, not positions


def test_a_shot_carries_its_own_duration_motion_camera_and_transition(counting, tmp_path):
    carried = shots()[:2]
    carried[0] = carried[0].model_copy(update={"duration": 3.0, "motion": "kenburns", "camera": "tilt_up"})
    carried[1] = carried[1].model_copy(update={"motion": "static", "transition": "none"})
    result = render(carried, tmp_path / "task", counting, small(), ArtifactStore(tmp_path / "store"))
    assert counting.take().get("i2v", 0) == 0
    assert [c.motion for c in result.clips] == ["kenburns", "static"]
    assert result.clips[0].duration == 3.0
    assert ffmpeg.probe(result.clips[0].clip).frames == 24
    assert result.duration == pytest.approx(3.0 - 0.5 + result.clips[1].duration, abs=0.15)


def test_a_topic_becomes_a_story_first(counting, tmp_path):
    topic = Topic(topic="a lighthouse keeper and a lost ship", length="short")
    options = small(scene_count=2, video=VideoOptions(fps=8, resolution="160x90", motion="static"))
    result = render(topic, tmp_path / "task", counting, options, ArtifactStore(tmp_path / "store"))
    assert result.story is not None and result.story.story
    narrated = "".join(scene.narration for scene in result.storyboard.storyboard)
    assert "".join(result.story.story.split()) == "".join(narrated.split())  # every word of it is narrated
    assert counting.take()["llm"] == 2  # the story, then the storyboard


def test_eviction_spares_referenced_artifacts(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts", "owner")
    paths = []
    for name in ("kept", "loose", "fresh"):
        key = key_of(name=name)
        with store.making(key, ".bin") as part:
            part.write_bytes(b"x" * 1000)
        paths.append(store.path(key, ".bin"))
    kept, loose, fresh = paths
    store.place(kept, tmp_path / "task" / "frame.bin")  # a task uses it
    old = time.time() - 3600
    for path in (kept, loose):
        os.utime(path, (old, old))
    removed = store.evict(max_bytes=0)
    assert removed == [loose]
    assert kept.is_file() and fresh.is_file()  # referenced, and used a moment ago
    (tmp_path / "task" / "frame.bin").unlink()  # the task is deleted
    assert store.evict(max_bytes=0) == [kept]
