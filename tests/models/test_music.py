"""The music role on its tiny ACE-Step: real folder format, real 48 kHz stereo output, validated inputs."""

import numpy as np
import pytest

from models.music import MusicRuntime


@pytest.fixture(scope="module")
def music(tiny_weights, placement):
    return MusicRuntime(tiny_weights / "music", placement)


def test_ace_step_composes_a_stereo_bed_of_the_asked_length(music):
    assert music.name == "AceStepPipeline" and music.sample_rate == 48000
    bed = music.compose("calm piano, soft strings", 2.5, seed=1, steps=2)
    assert bed.samples.dtype == np.float32 and bed.samples.shape == (120000, 2)
    assert bed.seconds == 2.5 and np.abs(bed.samples).max() > 0
    again = music.compose("calm piano, soft strings", 2.5, seed=1, steps=2)
    assert np.array_equal(bed.samples, again.samples)  # a seed means the same bed


def test_music_inputs_are_checked_before_the_model_runs(music):
    with pytest.raises(ValueError, match="prompt"):
        music.compose("  ", 2.0)
    with pytest.raises(ValueError, match="length"):
        music.compose("calm", 0)
    with pytest.raises(ValueError, match="length"):
        music.compose("calm", 601)
