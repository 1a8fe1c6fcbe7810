"""References a request makes to files: `/data/...` URLs of the caller's tasks and uploads, image
data URIs, and what a render or storyboard request starts from."""

from collections.abc import Callable
from pathlib import Path

from pipelines.cast import check_cast
from pipelines.render_options import Source
from pipelines.specs import Character, InvalidInput, Shot, blame
from pipelines.story_writer import Topic
from server import paths, uploads


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
    return paths.url_of(path, settings.data_dir)


def source_of(request: dict, resolve: FileResolver) -> Source:
    """What a stored render or storyboard request starts from, with every /data/ reference a file."""
    if request.get("topic"):
        return Topic(**request["topic"])
    if request.get("story") is not None:
        return request["story"]
    shots = []
    for index, item in enumerate(request["storyboard"]):
        try:
            files = {name: resolve(item[name]) if item[name] else None for name in ("frame", "audio")}
        except ValueError as error:  # its task was deleted while this one waited
            raise InvalidInput(f"{item['scene_id']}: {error}", f"storyboard[{index}]") from None
        fields = {k: v for k, v in item.items() if k in Shot.model_fields and v is not None}
        shots.append(Shot(**{**fields, **files}))
    return shots


def cast_of(request: dict, resolve: FileResolver) -> list[Character]:
    """The request's characters with their files: a reference picture, a voice given as a speech clip."""
    cast = []
    for index, item in enumerate(request.get("characters") or []):
        fields = {k: v for k, v in item.items() if v is not None}
        if item.get("reference"):
            with blame(f"characters[{index}].reference"):
                fields["reference"] = resolve.image(item["reference"])
        if item.get("voice"):
            with blame(f"characters[{index}].voice"):
                fields["voice"] = resolve.voice(item["voice"])
        cast.append(Character(**{"description": "", **fields}))
    with blame("characters"):
        check_cast(cast)
    return cast


def check_source_fields(body, settings) -> None:
    """Exactly one of story, storyboard, topic; a topic needs the LLM."""
    given = [name for name in ("story", "storyboard", "topic") if getattr(body, name, None) is not None]
    if len(given) != 1:
        names = "story, storyboard or topic" if hasattr(body, "storyboard") else "story or topic"
        raise InvalidInput(f"send exactly one of {names}", given[1] if len(given) > 1 else "story")
    if given == ["topic"] and settings.llm_backend == "none":
        raise InvalidInput(
            "no LLM is configured (S2V_LLM_BACKEND=none), so a topic cannot be written: send a story", "topic"
        )
