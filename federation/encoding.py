"""A feed body's encoding, made right before lxml reads it."""

from __future__ import annotations

import re

_DECLARATION_RE = re.compile(rb"^\s*<\?xml[^>]*?encoding=[\"']([A-Za-z0-9._-]+)[\"'][^>]*\?>")
_XML_START_RE = re.compile(rb"^\s*<\?xml[^>]*\?>")


def fix_encoding(body: bytes, content_type: str | None) -> bytes:
    """Bytes lxml can read: transcoded to UTF-8 when the declared encoding is missing or wrong.

    Chinese sites often serve GBK without saying so (or while declaring UTF-8); the HTTP
    charset wins when the document declares nothing, then GB18030 (a superset of GBK) is tried.
    """
    if body[:3] == b"\xef\xbb\xbf" or body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return body  # a BOM says it all
    match = _DECLARATION_RE.match(body[:512])
    declared = match.group(1).decode("ascii").lower() if match else None
    charset = None
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=")[1].split(";")[0].strip(" \"'")
    candidates: list[str] = []
    if declared is None and charset and charset not in ("utf-8", "utf8"):
        candidates.append(charset)
    if declared in (None, "utf-8", "utf8"):
        try:
            body.decode("utf-8")
            if not candidates:
                return body
        except UnicodeDecodeError:
            pass
        candidates.append(_japanese(body) or "gb18030")
    for encoding in candidates:
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        text_bytes = text.encode("utf-8")
        return _XML_START_RE.sub(b'<?xml version="1.0" encoding="utf-8"?>', text_bytes, count=1)
    return body


_KANA_RE = re.compile("[\u3041-\u3096\u30a1-\u30fa]")
_WIDE_RE = re.compile("[^\x00-\x7f\uff61-\uff9f]")


def _japanese(body: bytes) -> str | None:
    """``shift_jis`` or ``euc_jp`` when undeclared bytes read as Japanese: many full-width
    kana (at least 8, a fifth of the wide characters), which Chinese text read either way
    almost never holds (GBK read as Shift_JIS gives half-width kana, not full-width)."""
    for encoding in ("shift_jis", "euc_jp"):
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        kana = len(_KANA_RE.findall(text))
        if kana >= 8 and kana * 5 >= len(_WIDE_RE.findall(text)):
            return encoding
    return None
