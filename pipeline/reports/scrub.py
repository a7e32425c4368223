"""Removal of personal data from customer verbatims before they appear in a report."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Final

from phonenumbers import UNKNOWN_REGION, Leniency, PhoneNumberMatcher

# Obfuscated forms count as much as the real thing: "name(at)example.com", "name [at] example
# [dot] com", "name at example dot com". Full-width "＠" and "．" are plain after NFKC.
_AT: Final = r"(?:\s?@\s?|\s?[(\[{<]\s?(?:at|@)\s?[)\]}>]\s?)"
_DOT: Final = r"(?:\.|\s?[(\[{<]\s?(?:dot|\.)\s?[)\]}>]\s?|\sdot\s)"
_LABEL: Final = r"[\w-]+"
EMAIL: Final = re.compile(
    # Starts only where a word starts, and never gives back the local part: linear in the text.
    rf"(?<![\w.+%-])[\w.+%-]++(?:{_AT}{_LABEL}(?:{_DOT}{_LABEL})+"
    # Spelled-out "at" and "dot" only before a top-level domain: "look at this dot matrix" stays.
    rf"|\sat\s{_LABEL}(?:\sdot\s{_LABEL})*\sdot\s"
    r"(?:com|net|org|edu|gov|info|biz|io|[a-zA-Z]{2})\b)",
    re.IGNORECASE,
)
# 17 characters of the VIN alphabet (no I, O, Q), one a digit at least: a long word is no VIN.
VIN: Final = re.compile(r"\b(?=[A-HJ-NPR-Z0-9]*\d)[A-HJ-NPR-Z0-9]{17}\b", re.IGNORECASE)
# Chinese plates: province, issuing-office letter, an optional "·", then five characters (six on
# new-energy vehicles), the last possibly 学 (learner), 警 (police), 挂 (trailer), 港/澳.
PROVINCES: Final = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
CHINESE_PLATE: Final = re.compile(
    rf"[{PROVINCES}]\s?[A-HJ-NP-Z][\s·•・.\-]?[A-HJ-NP-Z0-9]{{4,5}}[A-HJ-NP-Z0-9学警挂港澳领使试超]"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# A surname (and up to two given-name characters) before an honorific: 王先生, 李女士, 张小明先生.
# Rare surnames that are common words (和 "and", 向 "to", 时, 应, 全, 成) are left out, so that
# "我和王先生" keeps its "和".
SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左"
    "柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈"
    "饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵"
    "苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
    "陳張劉楊黃趙吳鄭謝韓馮鄧曹彭蕭葉許蔣蔡魏呂盧姜鍾譚陸範賈韋鄒熊閻顧龔萬錢嚴湯龐聶關蘭鄔"
)
COMPOUND_SURNAMES: Final = (
    "欧阳|歐陽|司马|司馬|诸葛|諸葛|上官|东方|東方|皇甫|尉迟|尉遲|公孙|公孫|慕容|令狐|长孙|長孫|"
    "夏侯|轩辕|軒轅|宇文|司徒|端木|独孤|獨孤|南宫|南宮|西门|西門|闻人|聞人|澹台|澹臺"
)
HONORIFICS: Final = "先生|女士|小姐|太太|夫人|师傅|師傅|老师|老師"
HONORIFIC_NAME: Final = re.compile(
    rf"(?:{COMPOUND_SURNAMES}|[{SURNAMES}])[\u3400-\u4dbf\u4e00-\u9fff]{{0,2}}?(?:{HONORIFICS})"
)
INTERNATIONAL_PHONE: Final = re.compile(r"(?<![\w+])(?:\+|00)\d(?:[\s().\-/]{0,2}\d){6,}")
# Nine or more digits in separated groups; an ISO date (eight digits) is left alone.
GROUPED_PHONE: Final = re.compile(r"(?<![\w.])\(?\d+\)?(?:[\s.\-/]{1,2}\(?\d+\)?){1,5}(?![\w])")
LOCAL_PHONE: Final = re.compile(r"(?<![\w.\-])\d{3}[\s.\-]\d{4}(?![\w.\-])")
DIGIT_RUN: Final = re.compile(r"\d{6,}")
# Digits with the separators phone numbers are written with: "+49 (0)171 234-56 78".
# Chinese and Japanese write numbers right against words: only Latin letters and digits bound it.
PHONE_GROUP: Final = re.compile(r"(?<![A-Za-z0-9+])\+?\(?\d[\d\s().\-/]{5,}\d\)?(?![A-Za-z0-9])")
MIN_GROUP_DIGITS: Final = 7
# Dashes and minus signs people type between digit groups ("090−1234−5678"), read as hyphens.
DIGIT_DASH: Final = re.compile(r"(?<=\d)\s?[‐‑‒–—―−⁃ー]\s?(?=\d)")
# Dates are not phone numbers: 2024-03-01, 01.03.2024, 3/1/24.
DATE: Final = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
# Where national formats are tried besides the complaint's own market; "+…" numbers need none.
PHONE_REGIONS: Final = (
    "US", "GB", "DE", "FR", "IT", "ES", "NL", "PL", "SE", "CN", "HK", "TW", "JP", "KR", "IN",
    "SG", "AU", "BR", "MX",
)  # fmt: skip
MIN_PHONE_DIGITS: Final = 9
MAX_VERBATIM: Final = 400


def scrub_personal_data(
    text: str,
    *,
    identifiers: Iterable[str | None] = (),
    regions: Iterable[str | None] = (),
    max_length: int = MAX_VERBATIM,
) -> str:
    """The text without identifiers, contact details, VINs, plates, names or long digit runs.

    ``identifiers`` are values that must not appear, whatever their case or separators: the
    complaint's customer id and serial, say. ``regions`` (ISO country codes, the complaint's market)
    are tried first for phone numbers written the national way. The text comes back NFKC-normalised
    (full-width letters and digits as ASCII) with whitespace tidied.

    Over-scrubbing (a mileage of 150000 becomes ``[number]``) is the price of never leaking an
    account or serial number; the report needs the story, not the figures.
    """
    cleaned = DIGIT_DASH.sub("-", unicodedata.normalize("NFKC", text))
    for identifier in identifiers:
        cleaned = _without(cleaned, identifier)
    cleaned = EMAIL.sub("[email]", cleaned)
    cleaned = VIN.sub("[vin]", cleaned)
    cleaned = CHINESE_PLATE.sub("[plate]", cleaned)
    cleaned = HONORIFIC_NAME.sub("[name]", cleaned)
    cleaned = _without_phone_numbers(cleaned, regions)
    cleaned = INTERNATIONAL_PHONE.sub("[phone]", cleaned)
    cleaned = GROUPED_PHONE.sub(_phone_or_keep, cleaned)
    cleaned = LOCAL_PHONE.sub("[phone]", cleaned)
    cleaned = DIGIT_RUN.sub("[number]", cleaned)
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > max_length:
        cleaned = cleaned[: max_length - 1].rstrip() + "…"
    return cleaned


def _without(text: str, identifier: str | None) -> str:
    """``text`` with ``identifier`` replaced, matched by its letters and digits alone.

    "CUST-0042" is found as "cust 0042", "CUST0042" or "ＣＵＳＴ－００４２"; never inside a longer
    word or number.
    """
    parts = re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", identifier or ""))
    # Most texts do not hold their own id: a substring test spares compiling a pattern for it.
    if not parts or max(parts, key=len).casefold() not in text.casefold():
        return text
    pattern = r"[\W_]{0,2}".join(re.escape(part) for part in parts)
    return re.sub(rf"(?<![^\W_]){pattern}(?![^\W_])", "[id]", text, flags=re.IGNORECASE)


def _without_phone_numbers(text: str, regions: Iterable[str | None]) -> str:
    """Numbers libphonenumber finds valid, looked for in each group of digits and separators.

    A group is read as written in the complaint's own regions, or as an international "+…"
    number; one of seven or eight digits that is neither is tried in every ``PHONE_REGIONS``.
    Longer groups are left to the patterns that follow, which take any nine digits or more.
    """
    own = list(dict.fromkeys(r.upper() for r in regions if r)) or [UNKNOWN_REGION]
    return PHONE_GROUP.sub(lambda m: _phones_in(m.group(0), own), text)


def _phones_in(group: str, own: Sequence[str]) -> str:
    digits = sum(ch.isdigit() for ch in group)
    if digits < MIN_GROUP_DIGITS or DATE.fullmatch(group):
        return group
    for region in own:
        found = _replaced(group, region)
        if found != group:
            return found
    if digits >= MIN_PHONE_DIGITS:
        return group
    for region in PHONE_REGIONS:
        found = _replaced(group, region)
        if found != group:
            return found
    return group


def _replaced(text: str, region: str) -> str:
    spans = [(m.start, m.end) for m in PhoneNumberMatcher(text, region, Leniency.VALID)]
    for start, end in reversed(spans):
        text = text[:start] + "[phone]" + text[end:]
    return text


def _phone_or_keep(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "[phone]" if digits >= MIN_PHONE_DIGITS else match.group(0)
