"""The Qwen3-TTS speech worker: a process of its own, run by .venv-qwen-tts's python (qwen_tts needs
transformers 4.57; the server runs transformers 5), started and supervised by models/qwen_tts.py.

    .venv-qwen-tts/bin/python -P models/qwen_tts_worker.py FOLDER DEVICE DTYPE

FOLDER holds custom-voice/ (named speakers) and, where present, voice-design/ and base/ (cloning).
It imports qwen_tts, torch, numpy and the standard library only: none of the project's modules.

The protocol, one JSON object a line: the worker says {"ready": ...} once its models are loaded, then
answers each request on stdin, in order, with {"ok": true, ...} or {"ok": false, "error": ...}.
Requests:
    {"op": "ping"}
    {"op": "speak", "text", "language", "seed", "out", and one of "speaker", "reference" or "design"}
"speak" writes the samples (float32, .npy) to "out" and answers with their rate. "reference" is a
clip's path, cloned by the base model (in context with its "transcript", else from its speaker
embedding); "design" a voice's description (the voice-design model). A "speaker" may come with an
"instruct": how the line is spoken, which the custom-voice model reads unless it is the 0.6B one
("takes_styles" in the ready line says which).
"""

import json
import os
import sys
from pathlib import Path

import numpy as np
import torch

KINDS = ("custom-voice", "voice-design", "base")
LANGUAGES = {"en": "english", "zh": "chinese"}


def protocol_channel():
    """The protocol's own copy of stdout; fd 1 then points at stderr, so what the libraries print
    (qwen_tts prints banners) reaches the server's log and never the protocol."""
    channel = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


class Speaker:
    def __init__(self, folder: Path, device: str, dtype: torch.dtype):
        from qwen_tts import Qwen3TTSModel  # after protocol_channel: its import prints a banner to stdout

        self.models = {
            kind: Qwen3TTSModel.from_pretrained(str(folder / kind), device_map=device, dtype=dtype)
            for kind in KINDS
            if (folder / kind / "config.json").is_file()
        }
        self.prompts: dict[tuple, list] = {}  # a clip's clone prompt, by path, modification time and transcript

    def about(self) -> dict:
        named = self.models["custom-voice"]
        return {
            "speakers": sorted(named.get_supported_speakers() or []),
            "kinds": sorted(self.models),
            "takes_styles": named.model.tts_model_size != "0b6",  # qwen_tts drops the 0.6B model's instruction
            "parameters": sum(p.numel() for m in self.models.values() for p in m.model.parameters()),
        }

    def _clone_prompt(self, clip: str, transcript: str | None) -> list:
        """With the clip's transcript, its codes and words (in context); without, its speaker embedding only."""
        key = (clip, os.stat(clip).st_mtime_ns, transcript)
        if key not in self.prompts:
            self.prompts[key] = self.models["base"].create_voice_clone_prompt(
                ref_audio=clip, ref_text=transcript, x_vector_only_mode=transcript is None
            )
        return self.prompts[key]

    def speak(self, request: dict) -> tuple[np.ndarray, int]:
        text, language = request["text"], LANGUAGES.get(request["language"], "auto")
        torch.manual_seed(request["seed"])  # one seed a call: a text and voice are the same take every time
        if request.get("reference"):
            prompt = self._clone_prompt(request["reference"], request.get("transcript"))
            wavs, rate = self.models["base"].generate_voice_clone(text, language=language, voice_clone_prompt=prompt)
        elif request.get("design"):
            wavs, rate = self.models["voice-design"].generate_voice_design(
                text, instruct=request["design"], language=language
            )
        else:
            wavs, rate = self.models["custom-voice"].generate_custom_voice(
                text, speaker=request["speaker"], language=language, instruct=request.get("instruct")
            )
        return np.asarray(wavs[0], dtype=np.float32), int(rate)


def answer(speaker: Speaker, request: dict) -> dict:
    if request["op"] == "ping":
        return {"ok": True}
    samples, rate = speaker.speak(request)
    np.save(request["out"], samples)
    return {"ok": True, "sample_rate": rate}


def main(folder: str, device: str, dtype: str) -> None:
    channel = protocol_channel()
    speaker = Speaker(Path(folder), device, getattr(torch, dtype))
    channel.write(json.dumps({"ready": True, **speaker.about()}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = answer(speaker, request)
        except Exception as error:  # the request fails; the worker stays up for the next one
            reply = {"ok": False, "error": f"Qwen3-TTS: {type(error).__name__}: {error}"}
        channel.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
