"""Text normalisation and a cheap language guess (script first, then stopword counts)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Final

_COMBINING_MARKS: Final = re.compile(r"[\u0300-\u036f]+")
_HAN: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA: Final = re.compile(r"[\u3040-\u30ff]")
_HANGUL: Final = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_LATIN_WORD: Final = re.compile(r"[a-z]+")


# Function words that are frequent in one language and rare in the others; words shared by two
# of them ("la", "que", "de", "un") are left out on purpose so they cannot tip the balance.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS: Final[Mapping[str, frozenset[str]]] = {
    "en": _words(
        "the and is was my it to of with when while this have has had not but for on after at "
        "would could were been from they there which car vehicle i me"
    ),
    "de": _words(
        "der die das und ist nicht mit ich mein meine ein eine einem einen bei nach wird wurde "
        "auf sich auch zu von dem den des im beim hat habe sind war fahrzeug wagen kein keine"
    ),
    "es": _words(
        "el los las y es con por para mi una del se pero cuando fue esta muy al lo mis tiene "
        "hace como sin coche carro vehiculo hay ya"
    ),
    "fr": _words(
        "le les et est avec pour mon ma une des du pas ne je il sur dans mais quand tres au aux "
        "ai ete cette voiture vehicule plus"
    ),
}

# Han characters carry about a word each, so a text counts as Chinese well before Han
# characters outnumber Latin letters ("2023款 121Max增程版" is Chinese).
_HAN_PER_LATIN_LETTER: Final = 0.25


def normalise(text: str) -> str:
    """Case-fold, map compatibility forms (full-width letters) and strip accents.

    Keywords and texts go through the same function, so "Batería", "bateria" and "BATERÍA" match.
    """
    folded = text.casefold()
    if folded.isascii():
        return folded
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", folded))


def primary_subtag(language: str | None) -> str | None:
    """The primary language subtag of a BCP 47 tag, lower case: "es-MX" -> "es"."""
    if not language:
        return None
    head = language.replace("_", "-").split("-", 1)[0].strip().lower()
    return head or None


def detect_language(text: str, normalised: str | None = None) -> str | None:
    """Guess the language of a short complaint: zh, ja, ko by script, else en/de/es/fr by stopwords.

    Returns None when there is no evidence (empty text, codes only, a tie).
    """
    han = 0
    if not text.isascii():
        if _KANA.search(text):
            return "ja"
        if _HANGUL.search(text):
            return "ko"
        han = len(_HAN.findall(text))
    norm = normalised if normalised is not None else normalise(text)
    words = _LATIN_WORD.findall(norm)
    if han and han >= _HAN_PER_LATIN_LETTER * sum(map(len, words)):
        return "zh"
    # Distinct stopwords seen, not their frequency: one set intersection per language is cheap.
    vocabulary = set(words)
    counts = sorted(
        ((len(stopwords & vocabulary), language) for language, stopwords in STOPWORDS.items()),
        reverse=True,
    )
    (best_count, best), (runner_up_count, _) = counts[0], counts[1]
    if best_count in (0, runner_up_count):
        return "zh" if han else None
    return best
