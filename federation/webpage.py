"""A web page served where a feed should be: what it is, said so the operator can act.

Sites put feeds behind a login (an intranet CMS, a "members only" section) or redirect an old
feed address to their home page; the portal then receives HTML. "Not a feed" sends the
operator to check the address; a login page needs the branch to publish its feed where no
login is asked (or the server to let the portal through), which is a different request to a
different person. A page is a login page when it asks for a password, or when its title or
a form says it signs in.
"""

from __future__ import annotations

import re

from tongxin.i18n import translate

_PAGE = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S
)
_PASSWORD = re.compile(rb"<input\b[^>]*\btype\s*=\s*[\"']?password", re.I)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)
_FORM_ACTION = re.compile(rb"<form\b[^>]*\baction\s*=\s*[\"']?([^\"'\s>]*)", re.I)
_SIGN_IN = re.compile(
    r"登录|登錄|登入|统一认证|統一認證|身份认证|身份認證|单点登录|"
    r"\blog\s?in\b|\bsign\s?in\b|\bsso\b|\bcas\b|\bpassport\b|\bauth(?:enticate)?\b",
    re.I,
)


def is_web_page(head: bytes) -> bool:
    """Whether a body starts as an HTML page (a doctype, ``<html>``, ``<head>`` or ``<body>``
    after any comments)."""
    return _PAGE.match(head) is not None


def is_login_page(head: bytes) -> bool:
    """Whether the start of an HTML body (its first 64 KiB) is a login page."""
    if _PASSWORD.search(head):
        return True
    title = _TITLE.search(head)
    if title and _SIGN_IN.search(title.group(1).decode("utf-8", "replace")):
        return True
    return any(
        _SIGN_IN.search(action.decode("utf-8", "replace").replace("/", " ").replace("_", " "))
        for action in _FORM_ACTION.findall(head)
    )


def html_error(head: bytes) -> str:
    """The parse error for an HTML body in place of a feed: a login page, or any page."""
    key = "login" if is_login_page(head) else "html"
    return translate(None, f"federation.parse.{key}")
