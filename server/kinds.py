"""The five kinds of task: the body each takes, its stages, its `prepare` (checks, at acceptance)
and its `plan` (what runs on the GPU worker and what on the ffmpeg pool)."""

from collections.abc import Callable
from dataclasses import dataclass

from pipelines import render as render_stage
from server import prepare, runs
from server.schemas import ClipsCreate, FramesCreate, NarrationCreate, RenderCreate, StoryboardCreate


@dataclass
class Kind:
    body: type
    stages: tuple[str, ...]
    prepare: Callable
    plan: Callable[[object], runs.Plan]


KINDS = {
    "storyboard": Kind(
        StoryboardCreate, ("storyboard",), prepare.prepare_storyboard, lambda r: runs.Plan(runs.run_storyboard, None)
    ),
    "frames": Kind(FramesCreate, ("frames",), prepare.prepare_frames, lambda r: runs.Plan(runs.run_frames, None)),
    "narration": Kind(
        NarrationCreate, ("narration",), prepare.prepare_narration, lambda r: runs.Plan(runs.run_narration, None)
    ),
    "clips": Kind(ClipsCreate, ("clips",), prepare.prepare_clips, runs.plan_clips),
    "render": Kind(RenderCreate, render_stage.STAGES, prepare.prepare_render, runs.plan_render),
}
WEIGHTS = {"render": render_stage.WEIGHTS}
