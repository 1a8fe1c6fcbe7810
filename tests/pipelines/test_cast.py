"""The cast's rules: merging the caller's characters into the storyboard's, design seeds, which
pictures a shot's keyframe is conditioned on, and how keyframes with identities are batched."""

from pathlib import Path

import pytest
import torch

from pipelines.cast import check_cast, described, design_size, identities, merge_cast, seeded
from pipelines.frames import batches
from pipelines.specs import Character, FrameSpec, Identity, Shot


def person(name: str, **fields) -> Character:
    return Character(name=name, description=fields.pop("description", f"{name} looks"), **fields)


def test_the_callers_characters_replace_the_storyboards_by_name_and_join_at_the_end():
    found = [person("Fox"), person("Owl")]
    given = [person("Owl", description="", reference=Path("/r/owl.png")), person("Badger")]
    merged = merge_cast(found, given)
    assert [c.name for c in merged] == ["Fox", "Owl", "Badger"]
    assert merged[1].reference == Path("/r/owl.png") and merged[1].description == "Owl looks"  # kept
    assert merge_cast(found, []) == found


def test_design_seeds_are_the_characters_own_or_follow_the_render_seed():
    cast = seeded([person("Fox"), person("Owl", design_seed=7)], base_seed=1)
    assert cast[1].design_seed == 7
    assert cast[0].design_seed == seeded([person("Fox")], base_seed=1)[0].design_seed  # stable
    assert cast[0].design_seed != seeded([person("Fox")], base_seed=2)[0].design_seed


def test_a_shot_is_conditioned_on_the_characters_it_names_in_its_order():
    cast = [person("Fox", reference=Path("/r/fox.png"), strength=0.8), person("Owl"), person("Cat", strength=0)]
    designs = {"Owl": Path("/d/owl.png"), "Cat": Path("/d/cat.png")}
    shot = Shot(scene_id="s1", title="", prompt="p", narration="n", characters=["Owl", "Fox", "Cat", "Nobody"])
    assert identities(shot, cast, designs) == [
        Identity(image=Path("/d/owl.png"), strength=0.6),  # no reference: its design
        Identity(image=Path("/r/fox.png"), strength=0.8),  # its reference wins over a design
    ]  # strength 0 and names not in the cast condition nothing


def test_keyframes_share_a_call_only_with_the_same_identities():
    face = [Identity(image=Path("/a.png"), strength=0.5)]
    specs = [FrameSpec(scene_id=f"s{i}", prompt="p", identities=face if i % 2 else []) for i in range(5)]
    chunks = list(batches([(spec, None, None) for spec in specs], 2))
    assert [[job[0].scene_id for job in chunk] for _, chunk in chunks] == [["s0", "s2"], ["s4"], ["s1", "s3"]]
    assert [start for start, _ in chunks] == [0, 2, 3]


@pytest.mark.parametrize(
    "cast",
    [
        [person("A"), person("A")],
        [person(" ")],
        [person("A", strength=1.5)],
        [person("A", description="x" * 401)],
        [person(f"c{i}") for i in range(17)],
    ],
)
def test_bad_casts_are_refused(cast):
    with pytest.raises(ValueError):
        check_cast(cast)


def test_designs_are_square_within_the_pixel_budget():
    assert design_size(1_048_576) == (512, 512)
    assert design_size(100 * 100) == (96, 96)


def test_a_shot_is_described_by_the_cast_as_it_is_now():
    cast = [person("Fox", description="a red fox"), person("Owl", description="")]
    shot = Shot(scene_id="s1", title="", prompt="a forest", narration="n", characters=["Fox", "Owl"])
    assert described(shot, cast) == "Fox: a red fox; a forest"  # the looks first: a cut takes the scene's end
    edited = [person("Fox", description="a grey fox")]
    assert described(shot, edited) == "Fox: a grey fox; a forest"  # an edited look reaches the shot
    baked = shot.model_copy(update={"prompt": "a forest; Fox: a red fox"})  # a storyboard from before
    assert described(baked, cast) == "a forest; Fox: a red fox"
    assert described(shot.model_copy(update={"prompt": ""}), cast) == "Fox: a red fox"


def test_a_characters_look_survives_a_prompt_the_video_model_cuts(registry):
    ltx = registry.get("i2v")  # LTX-Video: its T5 reads 128 tokens and drops the rest
    scene = "The keeper climbed the stairs of the lighthouse at night in a storm, soft light, watercolor. " * 4
    shot = Shot(scene_id="s1", title="", prompt=scene, narration="n", characters=["Mira"])

    def read(look: str, tail: str = "") -> torch.Tensor:
        """What the video model's transformer is conditioned on (the tiny one's pixels barely show it)."""
        prompt = described(shot.model_copy(update={"prompt": scene + tail}), [person("Mira", description=look)])
        with torch.inference_mode():
            embeds, *_ = ltx.pipe.encode_prompt(
                prompt, do_classifier_free_guidance=False, max_sequence_length=ltx.text_window, device="cpu"
            )
        return embeds

    red = described(shot, [person("Mira", description="a girl in a red coat")])
    assert ltx.read_prompts([red])[0].dropped > 0  # the prompt is cut...
    assert torch.equal(read("a girl in a red coat"), read("a girl in a red coat", tail="a fox"))
    # ...at the scene's end, not at the look, which the model still reads.
    assert not torch.equal(read("a girl in a red coat"), read("an old man in a grey cloak"))
