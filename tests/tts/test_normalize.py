import pytest

from service.tts.normalize import DEFAULT_LEXICON, normalize_text


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("请拨打96110反诈专线", "请拨打九六一一零反诈专线"),
        ("遇到诈骗请拨打110", "遇到诈骗请拨打一一零"),
        ("急救120，火警119，短信报警12110", "急救一二零，火警一一九，短信报警一二一一零"),
        ("报警电话0871-12345678", "报警电话零八七一-一二三四五六七八"),
        ("2024年", "二零二四年"),
        ("被骗10400元", "被骗一万零四百元"),
        ("共12345人受骗", "共一万二千三百四十五人受骗"),
        ("转账3.5万元", "转账三点五万元"),
        ("第1次", "第一次"),
        ("30%的受害者", "百分之三十的受害者"),
        ("12.5％", "百分之十二点五"),
        ("１２０", "一二零"),
        ("8月15日起", "八月十五日起"),
        ("2024年8月15日", "二零二四年八月十五日"),
        ("８月１５日", "八月十五日"),
        ("５０％的人", "百分之五十的人"),
        ("返利100%", "返利百分之一百"),
    ],
)
def test_numbers_are_read_the_way_people_say_them(text, spoken):
    assert normalize_text(text, "zh-CN") == spoken


def test_latin_words_come_from_the_lexicon_in_any_case():
    assert DEFAULT_LEXICON["app"] == "APP"
    assert normalize_text("下载国家反诈中心app", "zh-CN") == "下载国家反诈中心APP"
    assert normalize_text("国家反诈中心App", "zh-CN") == "国家反诈中心APP"
    assert normalize_text("登录Happy网", "zh-CN") == "登录Happy网"


def test_half_width_punctuation_becomes_full_width():
    assert normalize_text("开锁成功!刷单是骗局,别信(真的)?注意:小心;", "zh-CN") == (
        "开锁成功！刷单是骗局，别信（真的）？注意：小心；"
    )


def test_full_width_punctuation_is_kept():
    assert normalize_text("刷单？不！「返利」是骗局……", "zh-CN") == "刷单？不！「返利」是骗局……"


def test_admin_lexicon_replaces_the_default():
    assert normalize_text("连WiFi，装app", "zh-CN", {"wifi": "无线网"}) == "连无线网，装app"


def test_whitespace_is_collapsed():
    assert normalize_text("  网络刷单\n 全是骗  ", "zh-CN") == "网络刷单 全是骗"


@pytest.mark.parametrize("language", ["ug", "kk"])
def test_other_languages_only_get_whitespace_collapsed(language):
    assert normalize_text(" 110  ساقلىنىڭ!\t2024 ", language) == "110 ساقلىنىڭ! 2024"
