"""Decoding a text upload: the one decoder every importer reads CSV, TSV and JSON
through, the sheets' uploads and the official institution lists alike."""

import codecs
import re

import charset_normalizer
from django.utils.translation import gettext as _

from ..cells import ONLY_IN_JAPANESE
from .tables import FileRejected

# What Excel saves CSV in on Japanese Windows (Shift_JIS as Microsoft extends it) and
# on Western Windows: when the bytes are not UTF-8, the text is one or the other.
GUESSED = ("cp932", "cp1252")
# Bytes 0x80-0x9F read as Latin-1 are C1 controls: give them their Windows-1252
# meaning where it has one (IPEDS writes an en dash as 0x96).
C1_AS_CP1252 = {
    code: bytes([code]).decode("cp1252", errors="ignore") or chr(code)
    for code in range(0x80, 0xA0)
}
# A file of a few short cells reads as mess in any encoding ("€100" is half symbol):
# charset-normalizer weighs every reading that decodes, however messy.
MESS_ALLOWED = 1.0
# How close two readings are when charset-normalizer calls them a tie (in mess, and
# in coherence with some language): see its CharsetMatch.__lt__.
TIE_CHAOS = 0.005
TIE_COHERENCE = 0.02
# Bytes that are never part of a two-byte CP932 character (controls, space, digits,
# punctuation): the text can be cut into words there, read alike by both encodings.
_WORD_BREAKS = re.compile(rb"[\x00-\x3f]+")
_NOT_ASCII = re.compile(rb"[\x80-\xff]")
# One non-ASCII character between ASCII ones, touching a Latin letter.
_LONE_BESIDE_LATIN = re.compile(
    r"[A-Za-z][^\x00-\x7f](?![^\x00-\x7f])|(?<![^\x00-\x7f])[^\x00-\x7f][A-Za-z]"
)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file as it was most probably saved; return (text, encoding).

    A byte-order mark is believed (UTF-8, or UTF-16 as Excel's "Unicode Text" writes).
    Otherwise UTF-8 if the bytes are valid UTF-8: other encodings of non-ASCII text
    almost never are. Otherwise the text is CP932 (Shift_JIS as Japanese Windows and
    Excel save it) or cp1252 (Western Windows): when only one of them decodes the
    bytes, it is that one; when both do, charset-normalizer weighs the two readings
    (:func:`_cp932_or_cp1252`). Latin-1 is the last resort: it decodes anything, the
    bytes 0x80-0x9F as Windows-1252 reads them where it can.
    """
    if data.startswith(codecs.BOM_UTF8):
        return decode_declared(data, "utf-8-sig"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_declared(data, "utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    japanese = _decode_or_none(data, "cp932")
    western = _decode_or_none(data, "cp1252")
    if japanese is not None and western is not None:
        encoding = _cp932_or_cp1252(data, japanese)
        return (japanese if encoding == "cp932" else western), encoding
    if japanese is not None:
        return japanese, "cp932"
    if western is not None:
        return western, "cp1252"
    return data.decode("latin-1").translate(C1_AS_CP1252), "latin-1"


def _cp932_or_cp1252(data: bytes, japanese: str) -> str:
    """Which of CP932 and cp1252 bytes that decode as both were saved in: as
    charset-normalizer judges the words that tell them apart, less the two cases it
    gets wrong."""
    # Kana, CJK punctuation and full-width letters are Japanese: charset-normalizer
    # counts full-width letters as symbols ("ＡＢＣ") and a kana among Latin letters as
    # a weird word ("IoTとAI"), and drops the CP932 reading as mess. Western text
    # hardly makes them by chance: their CP932 codes start with 0x81 (no character
    # in cp1252), with the rarely typed ‚, ƒ or ‡ (0x82, 0x83, 0x87), or are "îû" and
    # "îü" (0xEE 0xFB, 0xEE 0xFC).
    if ONLY_IN_JAPANESE.search(japanese):
        return "cp932"
    matches = charset_normalizer.from_bytes(
        _words_not_ascii(data), cp_isolation=list(GUESSED), threshold=MESS_ALLOWED
    )
    best = matches.best()
    if best is None:
        return "cp1252"  # neither reads as text: one character a byte, at least
    western = next((match for match in matches if match.encoding == "cp1252"), None)
    tied = (
        western is not None
        and abs(western.chaos - best.chaos) < TIE_CHAOS
        and abs(western.coherence - best.coherence) <= TIE_COHERENCE
    )
    # On a tie charset-normalizer prefers the reading with more two-byte characters.
    # But a lone kanji glued to a Latin letter is how an accented letter decodes as
    # CP932, swallowing the letter after it: "São Paulo" reads "S縊 Paulo".
    if best.encoding == "cp932" and tied and _LONE_BESIDE_LATIN.search(japanese):
        return "cp1252"
    return best.encoding


def _words_not_ascii(data: bytes) -> bytes:
    """The words of ``data`` that hold non-ASCII bytes, once each, a line each: ASCII
    reads the same in both encodings, and in a file of mostly English cells it would
    drown the few Japanese names and make the cp1252 reading look like English."""
    words = (word for word in _WORD_BREAKS.split(data) if _NOT_ASCII.search(word))
    return b"\n".join(dict.fromkeys(words))


def decode_declared(data: bytes, encoding: str) -> str:
    """The text of a file whose byte-order mark names its encoding; FileRejected if
    the bytes are not in it."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise FileRejected(
            _(
                "The file says it is Unicode text (%(encoding)s) but byte %(position)s "
                "(line %(line)s) is not. Open it in Excel or a text editor and save it "
                "again as “CSV UTF-8”."
            )
            % {
                "encoding": encoding.upper().removesuffix("-SIG"),
                "position": f"{error.start:,}",
                "line": data.count(b"\n", 0, error.start) + 1,
            },
            code="encoding",
        ) from error


def _decode_or_none(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None
