"""scripts/bench_llm.py on the tiny LLM, as the lead runs it: before and after side by side, ratios,
and a storyboard whose scenes are told while it is written."""

import json

import bench_llm
import torch


def test_the_bench_compares_the_old_loop_with_each_mode(tmp_path, tiny_weights):
    out = tmp_path / "llm.json"
    argv = ["--weights", str(tiny_weights), "--tokens", "24", "--repeats", "1", "--storyboard", "3", "--out", str(out)]
    threads = torch.get_num_threads()
    try:
        assert bench_llm.main([*argv, "--threads", "1"]) == 0  # as the server on this two-core machine
    finally:
        torch.set_num_threads(threads)
    report = json.loads(out.read_text())
    assert [(row["call"], row["loop"]) for row in report["rows"]] == [
        (call, loop) for call in ("greedy", "JSON schema") for loop in ("before", "eager", "static")
    ]
    assert all(row["ms_per_token"] > 0 and row["tokens"] == 24 for row in report["rows"])
    assert {row["ms_per_token_ratio"] for row in report["rows"] if row["loop"] == "before"} == {1.0}
    storyboard = report["storyboard"]
    assert storyboard["by_llm"] and len(storyboard["scenes_told_s"]) == 3
    assert 0 < storyboard["first_scene_s"] < storyboard["scenes_told_s"][-1] <= storyboard["seconds"]
