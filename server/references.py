"""References a request makes to files: `/data/...` URLs of the caller's tasks and uploads, image
data URIs, and what a render or storyboard request starts from."""

from collections.abc import Callable
from pathlib import Path

from pipelines.cast import check_cast
from pipelines.render_options import Source
from pipelines.specs import Character, InvalidInput, Shot, blame
from pipelines.story_writer import Topic
from server import paths, uploads
from studio.files import url_of


class FileResolver:
    """Turns a request's `/data/...` reference into a file of the data root the caller may read:
    a file of one of its tasks, or one of its uploads; and a voice into one the engine speaks."""

    def __init__(
        self,
        data_dir: Path,
        readable: Callable[[tuple[str, ...]], bool],
        check_voice: Callable[[str], None] = lambda voice: None,
    ):
        self.data_dir = data_dir
        self.readable = readable
        self.check_voice = check_voice

    def __call__(self, value: str) -> Path:
        try:
            return paths.owned_file(paths.data_parts(value), self.data_dir, self.readable)
        except FileNotFoundError:
            raise ValueError("names no file of yours under /data/") from None

    def image(self, value: str) -> Path:
        path = self(value)
        paths.check_image(path).close()
        return path

    def audio(self, value: str) -> Path:
        path = self(value)
        uploads.check_audio(path)
        return path

    def voice(self, value: str) -> str:
        """A voice of the speech engine, or the caller's speech clip (its path) for one that clones."""
        spoken = str(self.audio(value)) if value.startswith(paths.PREFIX) else value
        self.check_voice(spoken)
        return spoken


def keyframe(value: str, scene_id: str, settings, task_dir: Path, resolve: FileResolver) -> str:
    """A shot's `frame` as stored with the task: a data URI becomes a file of the task, a /data/
    reference is checked to be one of the caller's images."""
    if not value.startswith("data:"):
        resolve.image(value)
        return value
    image = paths.decode_data_uri(value)
    inputs = task_dir / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    path = inputs / f"{scene_id}.png"
    image.convert("RGB").save(path, format="PNG")
    return url_of(path, settings.data_dir)


def source_of(request, resolve: FileResolver) -> Source:
    """What a render or storyboard request starts from, with every /data/ reference a file (a
    project's render also brings each shot's take variant)."""
    if request.topic is not None:
        return Topic(**request.topic.model_dump())
    if request.story is not None:
        return request.story
    variants = request.project.variants if request.project else {}
    shots = []
    for index, item in enumerate(request.storyboard):
        try:
            files = {name: resolve(value) if (value := getattr(item, name)) else None for name in ("frame", "audio")}
        except ValueError as error:  # its task was deleted while this one waited
            raise InvalidInput(f"{item.scene_id}: {error}", f"storyboard[{index}]") from None
        fields = item.model_dump(include=set(Shot.model_fields), exclude={"frame", "audio"}, exclude_none=True)
        variant = variants[item.scene_id].model_dump() if item.scene_id in variants else {}
        shots.append(Shot(**fields, **files, **variant))
    return shots


def cast_of(request, resolve: FileResolver) -> list[Character]:
    """The request's characters with their files: a reference picture, a voice given as a speech clip."""
    cast = []
    for index, item in enumerate(request.characters or []):
        fields = item.model_dump(exclude_none=True)
        if item.reference:
            with blame(f"characters[{index}].reference"):
                fields["reference"] = resolve.image(item.reference)
        if item.voice:
            with blame(f"characters[{index}].voice"):
                fields["voice"] = resolve.voice(item.voice)
        cast.append(Character(**fields))
    with blame("characters"):
        check_cast(cast)
    return cast


def check_source_fields(body, settings) -> None:
    """Exactly one of story, storyboard, topic; a topic needs the LLM."""
    sources = ("story", "storyboard", "topic") if "storyboard" in type(body).model_fields else ("story", "topic")
    given = [name for name in sources if getattr(body, name) is not None]
    if len(given) != 1:
        names = "story, storyboard or topic" if "storyboard" in sources else "story or topic"
        raise InvalidInput(f"send exactly one of {names}", given[1] if len(given) > 1 else "story")
    if given == ["topic"] and settings.llm_backend == "none":
        raise InvalidInput(
            "no LLM is configured (S2V_LLM_BACKEND=none), so a topic cannot be written: send a story", "topic"
        )
