"""What is actually spoken: slogans as written, rewritten so every engine reads numbers, times, phone
numbers, web addresses, acronyms and polyphones the way a listener expects.

Chinese text goes through the lexicon (hanzi polyphones, then Latin words) and one left-to-right pass over
the digits and Latin tokens, so a part already rewritten is never rewritten again. Uyghur and Kazakh get
their phone numbers digit by digit, and Arabic-script Kazakh its letters in the Uyghur forms the `ug` voice
reads."""

import functools
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

LEXICON_FILE = Path(__file__).resolve().parents[2] / "slogans" / "lexicon.yaml"


def load_default_lexicon(path: Path = LEXICON_FILE) -> dict[str, str]:
    """The lexicon shipped with the project (slogans/lexicon.yaml), keyed as the lexicon_entry table is."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]
    return {str(e["word"]).lower(): str(e["spoken"]) for e in entries}


# Where there is no database (`ebike-voice normalize` without one, tests); a database starts with a copy.
DEFAULT_LEXICON: dict[str, str] = load_default_lexicon()

_DIGITS = "零一二三四五六七八九"
# Read as numbers (幺幺零 would be the radio style, 一一零 is what the public hears in campaigns).
_EMERGENCY_NUMBERS = frozenset({"110", "119", "120", "122", "12110"})
# A number right before one of these counts something; otherwise 5+ digits are a hotline or phone number.
_QUANTITY_UNITS = frozenset("元块角万亿千百十人名位个次起笔张条户家天日月周年岁倍台辆项余多分秒")
# A number right after one of these, or right before one of the second, is a number to dial or type.
_DIALLED_AFTER = ("拨打", "致电", "电话", "热线", "专线", "号码", "尾号", "手机", "短信", "验证码", "号段")
_DIALLED_BEFORE = ("号段", "开头", "打头", "电话", "热线", "客服", "专线")
# cn2an reads at most 16 integer digits; anything that long is an identifier anyway.
_MAX_QUANTITY_DIGITS = 12

_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"
    "～〜－＋／．％",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz~~-+/.%",
)
_HALF_TO_FULL_PUNCTUATION = str.maketrans(",.!?:;()", "，。！？：；（）")

_NUM = r"\d+(?:\.\d+)?"
_CLOCK = r"(?:[01]?\d|2[0-3])[:：][0-5]\d"
_NOT_ON = r"(?!\d|\.\d)"  # no more digits follow (a full stop may)
# Numbers in groups: with a country code, 3+4+4 (400-800-1234, 138 0013 8000), area code + 7-8 digits.
_GROUPED = r"\+\d{1,3}(?:[ -]\d{1,8})+|\d{3,4}[ -]\d{3,4}[ -]\d{4}|\d{3,4}[ -]\d{7,8}"
_TLD = r"(?i:cn|com|net|org|gov|edu|top|xyz|info|cc|io|me)"
_TOKENS = re.compile(
    "|".join(
        (
            rf"(?P<url>(?:https?://)?(?:[A-Za-z0-9-]+\.)+{_TLD}(?![A-Za-z0-9])(?:/[A-Za-z0-9._~/?=&%-]*)?)",
            rf"(?P<time>(?<![\d.]){_CLOCK}(?:\s?[-~至到]\s?{_CLOCK})?(?!\d))",
            r"(?P<date>(?<![\d.])\d{4}(?P<sep>[/-])\d{1,2}(?P=sep)\d{1,2}" + _NOT_ON + ")",
            rf"(?P<phone>(?<![\d.])(?:{_GROUPED}){_NOT_ON}(?!%))",
            r"(?P<country>\+\d{1,3}(?!\d))",
            rf"(?P<range>(?<![\d.]){_NUM}%?\s?[-~]\s?{_NUM}%?{_NOT_ON})",
            r"(?P<fraction>(?<![\d./])\d+/\d+(?![\d/]))",
            rf"(?P<percent>{_NUM}\s?%)",
            r"(?P<number>\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?|" + _NUM + ")",
            r"(?P<latin>[A-Za-z]+)",
        )
    )
)
_NUMBER_IN = re.compile(_NUM)
_LISTED_NUMBERS = re.compile(r"^(?:[、，,和或]\d+)+")
_RANGE_SEPARATOR = re.compile(r"\s?[-~]\s?")
_TIME = re.compile(r"(\d+)[:：](\d+)")


def normalize_text(text: str, language: str, lexicon: Mapping[str, str] = DEFAULT_LEXICON) -> str:
    text = " ".join(text.split()).translate(_FULL_WIDTH)
    if language != "zh-CN":
        return _normalize_turkic(text, language)
    text = _polyphones(lexicon).sub(lambda m: lexicon[m[0]], text)
    text = _TOKENS.sub(lambda m: _speak_token(m, lexicon), text)
    return text.translate(_HALF_TO_FULL_PUNCTUATION)


def _polyphones(lexicon: Mapping[str, str]) -> re.Pattern[str]:
    """The lexicon's hanzi words, longest first (so 还车 wins over a shorter 还 entry)."""
    words = sorted((w for w in lexicon if not w.isascii()), key=len, reverse=True)
    return _alternation(tuple(words))


@functools.lru_cache(maxsize=32)
def _alternation(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, words)) if words else r"(?!)")


def _speak_token(match: re.Match[str], lexicon: Mapping[str, str]) -> str:
    token, kind = match[0], match.lastgroup
    after = match.string[match.end() :]
    if kind == "url":
        return _speak_url(token)
    if kind == "time":
        spoken = "到".join(_speak_time(int(h), m) for h, m in _TIME.findall(token))
        return spoken.removesuffix("分") if after.startswith("分") else spoken  # 8:05分
    if kind == "date":
        year, month, day = re.split(r"[/-]", token)
        return f"{_digits(year)}年{_an2cn(str(int(month)))}月{_an2cn(str(int(day)))}日"
    if kind == "phone":
        groups = re.split(r"[ -]", token.lstrip("+"))
        return ("加" if token.startswith("+") else "") + " ".join(map(_digits, groups))
    if kind == "country":
        return "加" + _digits(token[1:])
    if kind == "range":
        low, high = _RANGE_SEPARATOR.split(token)
        percent = high.endswith("%")
        low, high = low.rstrip("%"), high.rstrip("%")
        # The unit after the range counts both ends (2024-2025年: two years, 3-5天: a number of days).
        ends = [_speak_number(n, match.string[: match.start()], after) for n in (low, high)]
        return "到".join(("百分之" + s if percent else s) for s in ends)
    if kind == "fraction":
        numerator, denominator = token.split("/")
        return f"{_an2cn(denominator)}分之{_an2cn(numerator)}"
    if kind == "percent":
        return "百分之" + _an2cn(_NUMBER_IN.search(token)[0])  # type: ignore[index]  # a percent token holds a number
    if kind == "number":
        return _speak_number(token.replace(",", ""), match.string[: match.start()], after)
    return _speak_latin(lexicon.get(token.lower(), token))


def _speak_number(number: str, before: str, after: str) -> str:
    if "." in number:
        return _an2cn(number)
    following = after[:1]
    as_digits = (
        number in _EMERGENCY_NUMBERS
        or (len(number) == 4 and following == "年")
        or (len(number) > 1 and number.startswith("0"))
        or (len(number) >= 5 and following not in _QUANTITY_UNITS)
        or len(number) > _MAX_QUANTITY_DIGITS
        or before.endswith(_DIALLED_AFTER)
        or _LISTED_NUMBERS.sub("", after).startswith(_DIALLED_BEFORE)  # 170、171号段
    )
    return _digits(number) if as_digits else _an2cn(number)


def _speak_time(hour: int, minute: str) -> str:
    # 2:00 is 两点, as a Mandarin speaker says it; 8:05 is 八点零五分, 8:00 just 八点.
    spoken = "两点" if hour == 2 else _an2cn(str(hour)) + "点"
    if minute == "00":
        return spoken
    return spoken + ("零" + _DIGITS[int(minute[1])] if minute[0] == "0" else _an2cn(minute)) + "分"


def _speak_url(url: str) -> str:
    """A web address as people read it out: its parts joined by 点 (a dot is not a sentence break), digits
    one by one, letters spelled, / as 斜杠; the scheme is left out."""
    host, _, path = re.sub(r"^https?://", "", url).partition("/")
    spoken = "点".join(_speak_url_part(part) for part in host.split("."))
    for part in filter(None, re.split(r"[/.]", path)):
        spoken += "斜杠" + _speak_url_part(part)
    return spoken


def _speak_url_part(part: str) -> str:
    pieces = re.findall(r"\d+|[A-Za-z]+|-", part)
    return "".join(
        _digits(p) if p.isdigit() else "杠" if p == "-" else _speak_latin(p.upper()) for p in pieces
    )


def _speak_latin(word: str) -> str:
    """Upper-case Latin words of two or more letters are acronyms, said letter by letter: written A-P-P,
    which both engines spell (eSpeak reads "APP" as /æp/ and "A P P" with "A" as the article)."""
    if len(word) > 1 and word.isascii() and word.isalpha() and word.isupper():
        return "-".join(word)
    return word


def _digits(number: str) -> str:
    return "".join(_DIGITS[int(digit)] for digit in number)


def _an2cn(number: str) -> str:
    """A number in Chinese numerals. cn2an (4 MB in memory) is imported at the first one, so a server
    that only answers lock events never loads it."""
    import cn2an

    spoken: str = cn2an.an2cn(number, "low")
    return spoken


# Arabic-script Kazakh (as written in Xinjiang) letters the `ug` voice lacks, as the Uyghur letters for the
# same sounds: ع is ğ (Uyghur غ); the precomposed hamza letters are the front vowels ä, ö, ü, i; a lone
# hamza only marks a word as front-vowelled, which the vowels now say themselves.
_KAZAKH_ARABIC_TO_UYGHUR = str.maketrans({"ع": "غ", "ٵ": "ە", "ٶ": "ۆ", "ٷ": "ۈ", "ٸ": "ى", "ٴ": None})
# A number right after one of these is a sum of money (ug: يۈەن yuan, kk: теңге, юань, يۋان); otherwise
# 5+ digits are read as a number to dial, digit by digit.
_TURKIC_CURRENCIES = ("يۈەن", "يۋان", "تەڭگە", "юань", "теңге", "тг")
_TURKIC_PHONE = re.compile(r"(?<![\d.])\+?\d+(?:[ -]\d+)*" + _NOT_ON)


def _normalize_turkic(text: str, language: str) -> str:
    if language == "kk":
        text = text.translate(_KAZAKH_ARABIC_TO_UYGHUR)
    return _TURKIC_PHONE.sub(_speak_turkic_number, text)


def _speak_turkic_number(match: re.Match[str]) -> str:
    """Digits spaced apart, so the voice says each in its own language (9 6 1 1 0: toqquz alte bir bir
    nöl); a group break becomes a comma, a pause. Amounts and counts stay numbers."""
    token = match[0]
    groups = re.split(r"[ -]", token.lstrip("+"))
    after = match.string[match.end() :].lstrip()
    dialled = (
        len(groups) > 1
        or token.startswith("+")
        or token in _EMERGENCY_NUMBERS
        or (len(token) > 1 and token.startswith("0"))
        or (len(token) >= 5 and not after.startswith(_TURKIC_CURRENCIES))
    )
    if not dialled:
        return token
    return ", ".join(" ".join(group) for group in groups)
