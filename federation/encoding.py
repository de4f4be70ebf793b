"""A feed body's encoding, made right before lxml reads it."""

from __future__ import annotations

import re

import charset_normalizer
from charset_normalizer.utils import is_multi_byte_encoding

_DECLARATION_RE = re.compile(rb"^\s*<\?xml[^>]*?encoding=[\"']([A-Za-z0-9._-]+)[\"'][^>]*\?>")
_XML_START_RE = re.compile(rb"^\s*<\?xml[^>]*\?>")


#: East Asian labels read as the superset browsers decode them with (WHATWG Encoding): a site
#: declaring gb2312 serves GBK, and GBK pages carry GB18030's four-byte characters (rare
#: characters of names: 𠀀, 䶮); libxml2 reads each label strictly and drops the document.
SUPERSETS = {
    **dict.fromkeys(
        ("gb2312", "gbk", "x-gbk", "cp936", "euc-cn", "gb_2312-80", "csgb2312"), "gb18030"
    ),
    **dict.fromkeys(("big5", "big5-hkscs", "x-x-big5", "cn-big5", "csbig5"), "big5hkscs"),
    **dict.fromkeys(
        ("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis"), "cp932"
    ),
    **dict.fromkeys(("euc-kr", "ks_c_5601-1987", "csksc56011987", "korean"), "cp949"),
}


def declaration_first(body: bytes) -> bytes:
    """``body`` without the blank lines (and a UTF-8 BOM before them) a PHP include put ahead
    of ``<?xml``: XML wants the declaration first, browsers and feedparser read past them."""
    rest = body[3:] if body[:3] == b"\xef\xbb\xbf" else body
    stripped = rest.lstrip(b" \t\r\n")
    if len(stripped) < len(rest) and stripped.startswith(b"<?xml"):
        return stripped
    return body


def fix_encoding(body: bytes, content_type: str | None) -> bytes:
    """Bytes lxml can read: transcoded to UTF-8 when the declared encoding is missing or wrong.

    Chinese sites often serve GBK without saying so (or while declaring UTF-8); the HTTP
    charset wins when the document declares nothing, then :func:`_undeclared` chooses.
    """
    body = declaration_first(body)
    if body[:3] == b"\xef\xbb\xbf" or body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return body  # a BOM says it all
    if b"\x00" in body[:4]:
        return body  # UTF-16 or UTF-32 without a BOM: "<\0?\0…", which lxml recognises
    match = _DECLARATION_RE.match(body[:512])
    declared = match.group(1).decode("ascii").lower() if match else None
    charset = None
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=")[1].split(";")[0].strip(" \"'")
    candidates: list[str] = []
    if declared in SUPERSETS and _plainly_utf8(body):
        candidates.append("utf-8")  # a template's old label on a site now in UTF-8
    elif declared in SUPERSETS:
        candidates.append(SUPERSETS[declared])
    if declared is None and charset and charset not in ("utf-8", "utf8"):
        if not _plainly_utf8(body):  # a server's default charset is no word on the body
            candidates.append(SUPERSETS.get(charset, charset))
    if declared in (None, "utf-8", "utf8"):
        try:
            body.decode("utf-8")
            if not candidates:
                return body
        except UnicodeDecodeError:
            pass
        candidates.append(_undeclared(body))
    for encoding in candidates:
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        text_bytes = text.encode("utf-8")
        return _XML_START_RE.sub(b'<?xml version="1.0" encoding="utf-8"?>', text_bytes, count=1)
    return body


def _plainly_utf8(body: bytes) -> bool:
    """Valid UTF-8 with at least 16 bytes outside ASCII: GBK, Big5, Shift_JIS or EUC-KR text
    that long is valid UTF-8 by chance about once in ten million."""
    if len(body.translate(None, _ASCII)) < 16:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


#: Below this many bytes outside ASCII (32 CJK characters) charset-normalizer cannot tell
#: Chinese from Japanese or Korean: in 5,381 random GBK documents of 12 to 160 such bytes
#: (Decap CMS's zh_Hans and zh_Hant strings, the demo's text) it chose Korean or Japanese for
#: 24, all under 50 bytes. Shorter undeclared text is read as GB18030.
MIN_EVIDENCE = 64
_GB = frozenset({"gb18030", "gbk", "gb2312"})
_ASCII = bytes(range(0x80))


#: Hiragana and (full-width) katakana: Chinese text has next to none.
_KANA_RE = re.compile("[\u3041-\u30ff]")


def _japanese(body: bytes) -> str | None:
    """Shift_JIS or EUC-JP for short undeclared text that reads as Japanese: a third or more
    of its characters outside ASCII are kana (の, に, ゲーム). GBK Chinese read as either has
    next to no kana (its bytes make kanji and half-width katakana), so Chinese is never taken
    for it; short Korean still is (its syllables read as Chinese in GB18030)."""
    for encoding in ("shift_jis", "euc_jp"):
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        wide = sum(1 for ch in text if ord(ch) > 0x7F)
        if wide and 3 * len(_KANA_RE.findall(text)) >= wide:
            return encoding
    return None


def _undeclared(body: bytes) -> str:
    """The encoding of undeclared bytes that are not UTF-8: GB18030 (a superset of GBK and
    GB2312, what Chinese sites serve without saying so) unless charset-normalizer finds a
    multi-byte East Asian encoding (EUC-KR, EUC-JP, Shift_JIS, Big5 …) that reads them with
    less chaos than GB18030 does, on enough text to tell. Single-byte readings are not
    taken: on short Chinese text they win on the ASCII markup's letters."""
    try:
        body.decode("gb18030")
        readable = True
    except UnicodeDecodeError:
        readable = False
    if readable and len(body.translate(None, _ASCII)) < MIN_EVIDENCE:
        return _japanese(body) or "gb18030"
    matches = [
        match
        for match in charset_normalizer.from_bytes(body)
        if is_multi_byte_encoding(match.encoding) and not match.encoding.startswith("utf")
    ]
    if not matches or matches[0].encoding in _GB:
        return "gb18030"
    best = matches[0]
    if readable:
        chinese = charset_normalizer.from_bytes(body, cp_isolation=["gb18030"]).best()
        if chinese is not None and chinese.chaos <= best.chaos:
            return "gb18030"
    return best.encoding
