import pytest

from pipelines.text import balanced_groups, clean, detect_language, sentences, speakable, zh_number


def test_language_detection():
    assert detect_language("很久以前，一只小狐狸 named Qing。") == "zh"
    assert detect_language("On a windy island lived a keeper.") == "en"
    assert detect_language("1234 !!") == "en"


def test_sentences_keep_every_character_in_order():
    story = "第一句。第二句！“第三句？”\n\nA fourth. And a fifth!"
    found = sentences(story)
    assert found == ["第一句。", "第二句！", "“第三句？”", "A fourth.", "And a fifth!"]


def test_overlong_sentence_is_cut_without_losing_text():
    long = "字" * 1000
    pieces = sentences(long, limit=300)
    assert all(len(p) <= 300 for p in pieces) and "".join(pieces) == long


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_balanced_groups_are_contiguous_and_complete(count):
    items = [f"s{i}" * (i % 4 + 1) for i in range(8)]
    groups = balanced_groups(items, count)
    assert len(groups) == count and all(groups)
    assert [item for group in groups for item in group] == items


def test_clean_strips_invisible_and_bidi_characters():
    assert clean("a\u200bb\u202ec\x00d\r\ne") == "abcd\ne"


@pytest.mark.parametrize(
    ("value", "spoken"),
    [
        (0, "零"),
        (10, "十"),
        (15, "十五"),
        (112, "一百一十二"),
        (1002, "一千零二"),
        (10010, "一万零一十"),
        (20000, "二万"),
    ],
)
def test_chinese_numbers(value, spoken):
    assert zh_number(value) == spoken


def test_speakable_text():
    assert speakable("他爬了112级台阶，用了3.5小时，20%", "zh") == "他爬了一百一十二级台阶，用了三点五小时，百分之二十"
    assert speakable("112 steps & 20%\nnext", "en") == "one hundred and twelve steps and twenty percent next"
