"""Per-text language, stopwords and word tokens for readable topic labels.

Language is told by script (Hangul, kana, Han, Cyrillic, Latin...) and, within a
script, by which language's stopwords the text uses most (the classic stopword
profile method), with the lists of ``stopwordsiso`` (maintained, 58 languages).
Korean is split into morphemes by ``kiwipiepy`` (its model ships in the
``kiwipiepy_model`` wheel) and only content words are kept; without it, Korean
falls back to space-separated words. Chinese and Japanese keep the CJK bigram
rule of :mod:`.vectorise`, grown back into whole words by :mod:`.label`.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib.util import find_spec
from typing import Any

from .vectorise import _CJK_RE, STOP_WORDS, is_stop_token, normalise_text, tokenize

__all__ = [
    "boilerplate_sentences",
    "detect_language",
    "language_stopwords",
    "split_sentences",
    "strip_boilerplate",
    "topic_tokens",
]

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_GREEK = re.compile(r"[\u0370-\u03ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_HEBREW = re.compile(r"[\u0590-\u05ff]")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+")
# Latin- and Cyrillic-script languages told apart by their stopwords.
LATIN = (
    "en fr de es it pt nl pl cs sk sl hr ro hu sv da no fi et lv lt tr ca id"
).split()
CYRILLIC = ("ru", "uk", "bg")
# Words that name no topic in opinion writing, beyond the usual lists.
_EXTRA = {
    "en": STOP_WORDS,
    "pl": frozenset("nr np tj itp itd m.in ul".split()),
    "ko": frozenset("것 수 등 때 좀 더 및 분 중 곳 내 안 위 거 점".split()),
}
# Kiwi tags kept as topic words: common and proper nouns, roots, foreign words.
_KO_KEEP = {"NNG", "NNP", "XR", "SL"}


def _share(pattern: re.Pattern[str], text: str, letters: int) -> float:
    return len(pattern.findall(text)) / letters if letters else 0.0


@lru_cache(maxsize=64)
def language_stopwords(lang: str) -> frozenset[str]:
    """``stopwordsiso``'s list for ``lang`` plus our few extras (lower-cased)."""
    import stopwordsiso

    words: set[str] = set()
    if stopwordsiso.has_lang(lang):
        words = {w.lower() for w in stopwordsiso.stopwords(lang)}
    return frozenset(words | _EXTRA.get(lang, frozenset()))


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or "und" when nothing tells."""
    text = normalise_text(text)
    letters = len(_LETTER.findall(text))
    if not letters:
        return "und"
    if _share(_HANGUL, text, letters) > 0.3:
        return "ko"
    if _share(_KANA, text, letters) > 0.1:
        return "ja"
    if _share(_HAN, text, letters) > 0.3:
        return "zh"
    for pattern, code in ((_GREEK, "el"), (_ARABIC, "ar"), (_HEBREW, "he")):
        if _share(pattern, text, letters) > 0.3:
            return code
    candidates = CYRILLIC if _share(_CYRILLIC, text, letters) > 0.3 else LATIN
    words = _WORD.findall(text)
    best, best_hits = "und", 0
    for lang in candidates:
        stop = language_stopwords(lang)
        hits = sum(1 for w in words if w in stop)
        if hits > best_hits:
            best, best_hits = lang, hits
    return best


_kiwi: Any = None
_kiwi_lock = threading.Lock()


def _korean_analyser() -> Any:
    global _kiwi
    if _kiwi is None and find_spec("kiwipiepy") is not None:
        with _kiwi_lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                _kiwi = Kiwi(num_workers=0)
    return _kiwi


def korean_tokenizer_available() -> bool:
    return find_spec("kiwipiepy") is not None


def topic_tokens(text: str, lang: str | None = None) -> list[str | None]:
    """Content words of ``text`` in order; ``None`` marks a removed stopword.

    The gaps let callers form phrases only from words that stood together.
    """
    lang = lang or detect_language(text)
    if lang == "ko":
        kiwi = _korean_analyser()
        if kiwi is not None:
            stop = language_stopwords("ko")
            out: list[str | None] = []
            for tok in kiwi.tokenize(normalise_text(text)):
                form = tok.form
                if tok.tag in _KO_KEEP and len(form) > 1 and form not in stop:
                    out.append(form)
                elif out and out[-1] is not None:
                    out.append(None)
            return out
    stop = language_stopwords(lang) if lang != "und" else STOP_WORDS
    tokens: list[str | None] = []
    for tok in tokenize(text):
        if _CJK_RE.match(tok):
            tokens.append(None if is_stop_token(tok) else tok)
        else:
            tokens.append(None if tok in stop or tok in STOP_WORDS else tok)
    return tokens


_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|[\r\n]+|(?<=[。！？])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a text (full stops, question and exclamation marks, lines)."""
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s and s.strip()]


def _key(sentence: str) -> str:
    return " ".join(normalise_text(sentence).split())


def boilerplate_sentences(
    texts: list[str], min_share: float = 0.02, min_docs: int = 4, min_chars: int = 20
) -> frozenset[str]:
    """Normalised sentences found in at least ``min_share`` of the texts.

    A site's standard wording ("This petition was started on…", a form's
    instructions) appears in hundreds of texts and would otherwise become a
    topic and a label of its own.
    """
    threshold = max(min_docs, int(min_share * len(texts)))
    counts: dict[str, int] = {}
    for text in texts:
        for key in {_key(s) for s in split_sentences(text)}:
            if len(key) >= min_chars:
                counts[key] = counts.get(key, 0) + 1
    return frozenset(k for k, n in counts.items() if n >= threshold)


def strip_boilerplate(text: str, boilerplate: frozenset[str]) -> str:
    """The text without its boilerplate sentences (the text itself if none)."""
    if not boilerplate:
        return text
    kept = [s for s in split_sentences(text) if _key(s) not in boilerplate]
    return " ".join(kept)
