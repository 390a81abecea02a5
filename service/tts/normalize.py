"""What is actually spoken: slogans as written, rewritten so both engines read numbers and acronyms right."""

import re
from collections.abc import Mapping

# Latin words as they should be spoken in Chinese, keyed by lower-case spelling (matched case-insensitively
# as whole words). eSpeak's cmn voice spells upper-case Latin words letter by letter in English ("APP" →
# "A P P", the way Chinese speakers say it), but reads lower- or mixed-case ones as English words ("app"
# → /æp/) and a lone spaced letter "A" as the article. Admins edit the lexicon through /v1/lexicon (the
# lexicon_entry table, seeded with these); this default serves where there is no database.
DEFAULT_LEXICON: dict[str, str] = {
    "app": "APP",
    "qq": "QQ",
    "atm": "ATM",
}

_DIGITS = "零一二三四五六七八九"
# Read as numbers (幺幺零 would be the radio style, 一一零 is what the public hears in campaigns).
_EMERGENCY_NUMBERS = frozenset({"110", "119", "120", "122", "12110"})
# A number right before one of these counts something; otherwise 5+ digits are a hotline or phone number.
_QUANTITY_UNITS = frozenset("元块角万亿千百十人名位个次起笔张条户家天日月周年岁倍台辆项余多")
# cn2an reads at most 16 integer digits; anything that long is an identifier anyway.
_MAX_QUANTITY_DIGITS = 12

_FULL_WIDTH_ALNUM = str.maketrans(
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
)
_HALF_TO_FULL_PUNCTUATION = str.maketrans(",.!?:;()", "，。！？：；（）")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_PERCENT = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*[%％]")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def normalize_text(text: str, language: str, lexicon: Mapping[str, str] = DEFAULT_LEXICON) -> str:
    text = " ".join(text.split())
    if language != "zh-CN":
        return text
    text = text.translate(_FULL_WIDTH_ALNUM)
    text = _LATIN_WORD.sub(lambda m: lexicon.get(m[0].lower(), m[0]), text)
    text = _PERCENT.sub(lambda m: "百分之" + _an2cn(m[1]), text)
    text = _NUMBER.sub(_speak_number, text)
    return text.translate(_HALF_TO_FULL_PUNCTUATION)


def _speak_number(match: re.Match[str]) -> str:
    number = match[0]
    following = match.string[match.end() : match.end() + 1]
    if "." in number:
        return _an2cn(number)
    as_digits = (
        number in _EMERGENCY_NUMBERS
        or (len(number) == 4 and following == "年")
        or (len(number) > 1 and number.startswith("0"))
        or (len(number) >= 5 and following not in _QUANTITY_UNITS)
        or len(number) > _MAX_QUANTITY_DIGITS
    )
    if as_digits:
        return "".join(_DIGITS[int(digit)] for digit in number)
    return _an2cn(number)


def _an2cn(number: str) -> str:
    """A number in Chinese numerals. cn2an (4 MB in memory) is imported at the first one, so a server
    that only answers lock events never loads it."""
    import cn2an

    return cn2an.an2cn(number, "low")
