import pytest

from service.tts.normalize import DEFAULT_LEXICON, load_default_lexicon, normalize_text


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("请拨打96110反诈专线", "请拨打九六一一零反诈专线"),
        ("遇到诈骗请拨打110", "遇到诈骗请拨打一一零"),
        ("急救120，火警119，短信报警12110", "急救一二零，火警一一九，短信报警一二一一零"),
        ("报警电话0871-12345678", "报警电话零八七一 一二三四五六七八"),
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


def test_latin_words_come_from_the_lexicon_in_any_case_and_acronyms_are_spelled():
    assert DEFAULT_LEXICON["app"] == "APP"
    assert normalize_text("下载国家反诈中心app", "zh-CN") == "下载国家反诈中心A-P-P"
    assert normalize_text("国家反诈中心App", "zh-CN") == "国家反诈中心A-P-P"
    assert normalize_text("登录Happy网", "zh-CN") == "登录Happy网"
    assert normalize_text("CCTV报道", "zh-CN") == "C-C-T-V报道"


def test_the_shipped_lexicon_is_the_data_file(tmp_path):
    assert DEFAULT_LEXICON["还车"] == "环车"
    assert normalize_text("还车成功！", "zh-CN") == "环车成功！"
    own = tmp_path / "lexicon.yaml"
    own.write_text("entries:\n  - {word: APP, spoken: 软件}\n  - {word: 还, spoken: 环}\n", encoding="utf-8")
    assert load_default_lexicon(own) == {"app": "软件", "还": "环"}


def test_admin_polyphones_apply_longest_first():
    lexicon = {"还": "环", "还是": "孩是"}
    assert normalize_text("还是要还", "zh-CN", lexicon) == "孩是要环"
    # An admin lexicon without the entry reads the text as written.
    assert normalize_text("还车成功！", "zh-CN", {}) == "还车成功！"


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
def test_other_languages_get_numbers_to_dial_digit_by_digit(language):
    assert normalize_text(" 110  ساقلىنىڭ!\t2024 ", language) == "1 1 0 ساقلىنىڭ! 2024"
    assert normalize_text("+86 138 0013 8000", language) == "8 6, 1 3 8, 0 0 1 3, 8 0 0 0"
    assert normalize_text("10400 يۈەن", language) == "10400 يۈەن"


def test_arabic_script_kazakh_letters_become_the_uyghur_ones():
    assert normalize_text("عالامتور ٵرقاشان ٶتىنىش ٷي ٸس ٴبىز", "kk") == "غالامتور ەرقاشان ۆتىنىش ۈي ىس بىز"
    # Uyghur text is left as written.
    assert normalize_text("ئالدامچىلىقتىن ساقلىنىڭ", "ug") == "ئالدامچىلىقتىن ساقلىنىڭ"
