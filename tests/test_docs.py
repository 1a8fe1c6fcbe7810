"""The documentation against the code: generated files current, every setting and model listed,
every relative link and anchor resolving."""

import re
from pathlib import Path

import make_docs
import pytest
from docs_reference import github_anchor
from fetch_weights import load_manifest

from settings import Settings
from tests.conftest import ROOT

PAGES = [ROOT / "README.md", ROOT / "weights" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|<(?:img|a)\s[^>]*(?:src|href)=\"([^\"]+)\"")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def without_code(text: str) -> str:
    return CODE_SPAN.sub("", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    """GitHub's heading ids: a repeated heading gets -1, -2, ..."""
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", page.read_text())):
        anchor = github_anchor(heading)
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        if count:
            seen[f"{anchor}-{count}"] = 1
    return set(seen)


def broken_links(page: Path) -> list[str]:
    broken = []
    for match in LINK.finditer(without_code(page.read_text())):
        target = match.group(1) or match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # http:, https:, mailto: leave the repository
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading with that anchor")
    return broken


@pytest.fixture(scope="module")
def generated() -> dict[Path, str]:
    return make_docs.generated()


def test_generated_files_match_the_code(generated):
    for path, text in generated.items():
        assert path.read_text() == text, f"{path.name} is stale: run python scripts/make_docs.py"


def test_every_setting_is_on_the_settings_page():
    page = (ROOT / "docs" / "settings.md").read_text()
    missing = [f"S2V_{name.upper()}" for name in Settings.model_fields if f"`S2V_{name.upper()}`" not in page]
    assert not missing


def test_every_manifest_entry_is_on_the_models_page():
    page = (ROOT / "docs" / "models.md").read_text()
    missing = [name for name, entry in load_manifest().items() if f"`{name}`" not in page or entry["repo"] not in page]
    assert not missing


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(page):
    assert broken_links(page) == []


def test_the_link_check_finds_a_missing_file_and_a_missing_anchor(tmp_path):
    (tmp_path / "other.md").write_text("# Real output on a GPU\n\n## Step 1. Set up\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#real-output-on-a-gpu) [ok](other.md#step-1-set-up) [ok](https://example.org/x.md)\n"
        '[gone](missing.md) [bad](other.md#nowhere) ![gone](pic.png) <img src="gone.png">\n'
        "`[in code](missing.md)`\n```\n[in a block](missing.md)\n```\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#nowhere: no heading with that anchor",
        "pic.png: no such file",
        "gone.png: no such file",
    ]


def test_github_anchors():
    assert github_anchor("POST /projects/{project_id}/render") == "post-projectsproject_idrender"
    assert github_anchor("4. Check, then render") == "4-check-then-render"
    assert github_anchor("The `--licence-clean` trap") == "the---licence-clean-trap"


def test_setting_meanings_come_from_the_comment_on_the_fields_line():
    source = (
        "class Settings:\n"
        "    # a section\n"
        "    a: int = 1  # one\n"
        "    b: float = Field(\n"
        "        2.0\n"
        "    )  # two\n"
        '    c: str = ""\n'
    )
    assert make_docs.field_comments(source) == {"a": "one", "b": "two", "c": ""}


def test_check_mode_names_a_stale_file_and_writes_nothing(tmp_path, monkeypatch, capsys):
    target = tmp_path / "page.md"
    target.write_text("old\n")
    monkeypatch.setattr(make_docs, "generated", lambda: {target: "new\n"})
    assert make_docs.main(["--check"]) == 1
    assert target.read_text() == "old\n" and "page.md: differ" in capsys.readouterr().out
    assert make_docs.main([]) == 0
    assert target.read_text() == "new\n"
    assert make_docs.main(["--check"]) == 0
