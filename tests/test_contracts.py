"""Both registries, and every runtime they hand out, keep the Protocols of models/contracts.py: the
members are there (isinstance on the runtime_checkable Protocols) and each method takes the
Protocol's parameters, so a change on one side without the other fails here and not in a render."""

import inspect

import pytest

from cluster.calls import plain_attributes
from cluster.registry import RemoteRegistry
from models.contracts import CONTRACTS, ROLES, LocalRegistry, Registry, TaskThreads, Voices
from models.kokoro import KokoroVoices
from models.qwen_tts import QwenVoices
from models.registry import RUNTIMES, ModelRegistry
from models.tts import CoquiVoices, EspeakRuntime, EspeakVoices
from server.worker import Worker

IMPLEMENTATIONS = [
    *((CONTRACTS[role], runtime_class) for (role, _), runtime_class in RUNTIMES.items()),
    (LocalRegistry, ModelRegistry),
    (Registry, RemoteRegistry),
    (Voices, CoquiVoices),
    (Voices, EspeakVoices),
    (Voices, KokoroVoices),
    (Voices, QwenVoices),
    (TaskThreads, Worker),
]


def declared_methods(protocol: type) -> dict:
    """The protocol's methods, its parent protocols' included."""
    methods = {}
    for klass in reversed(protocol.__mro__):
        if klass.__module__ == "models.contracts":
            methods.update({name: value for name, value in vars(klass).items() if inspect.isfunction(value)})
    return {name: method for name, method in methods.items() if not name.startswith("_")}


def parameters(function) -> list[tuple]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize(("protocol", "implementation"), IMPLEMENTATIONS, ids=lambda c: c.__name__)
def test_every_method_takes_the_protocols_parameters(protocol, implementation):
    for name, declared in declared_methods(protocol).items():
        method = getattr(implementation, name, None)
        assert callable(method), f"{implementation.__name__} has no {name}"
        assert parameters(method) == parameters(declared), f"{implementation.__name__}.{name} differs from the Protocol"


class DescribedPool:
    """Stands in for a SlotPool whose first slot described these runtimes, as a render slot does."""

    def __init__(self, local: ModelRegistry):
        self.local = local
        roles = {role: plain_attributes(local.get(role)) for role in ROLES}
        self.description = {"device": "cpu", "dtype": "float32", "roles": roles}

    def describe(self, role: str) -> dict:
        return plain_attributes(self.local.get(role))


def test_the_local_registry_and_its_runtimes_keep_the_contracts(registry):
    assert isinstance(registry, LocalRegistry)
    for role, contract in CONTRACTS.items():
        assert isinstance(registry.get(role), contract), role
    assert isinstance(registry.speech, Voices)
    assert registry.cluster_status() is None


def test_the_cluster_registry_and_its_proxies_keep_the_contracts(registry, settings):
    remote = RemoteRegistry(settings)
    remote.pool = DescribedPool(registry)
    assert isinstance(remote, Registry) and not isinstance(remote, LocalRegistry)  # the slots keep their models
    for role, contract in CONTRACTS.items():
        assert isinstance(remote.get(role), contract), role
        assert remote.get(role).identity == registry.get(role).identity
    assert remote.prompt_window() == registry.prompt_window() == registry.get("t2i").text_window


def test_voices_rebuilt_from_a_description_answer_as_the_runtime_does(registry):
    for runtime in (registry.get("tts"), EspeakRuntime()):
        voices = type(runtime).described(plain_attributes(runtime))
        assert isinstance(voices, Voices) and not hasattr(voices, "synthesize")  # the lists, not the model
        assert voices.character_voices("en") == runtime.character_voices("en")
        assert voices.character_voices("zh") == runtime.character_voices("zh")
        with pytest.raises(ValueError, match="unknown"):
            voices.check_voice("no-such-voice")
