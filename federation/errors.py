"""A fetch error as a class the operator can act on, in the portal's language.

The store keeps each branch's raw error text (whatever aiohttp or the parser said, often
library English such as ``Cannot connect to host … [Name or service not known]``). The public
health page and the cron summary show the class instead ("the branch's domain name does not
resolve"), in the portal's language, with what to do about it.
"""

from __future__ import annotations

import re

from tongxin.i18n import translate

#: (class, pattern) in order: the first that matches the raw text names the class.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        # a branch entry the registry's own mistake left out (health.set_aside)
        ("registry", r"^(?:登记表里这一项有误|登記表裡這一項有誤|this branch's registry entry)"),
        # a login page where the feed should be (federation.webpage)
        ("login", r"登录页面|登入頁面|login page"),
        ("gone", r"\b410\b|永久删除|permanently (removed|deleted)"),
        ("signature", r"签名|signature"),
        ("dns", r"name or service not known|nodename nor servname|getaddrinfo|"
                r"temporary failure in name resolution|no address associated|域名"),
        # the address policy's own refusal (federation.fetch.blocked): not the site's doing
        ("blocked", r"allow_networks|non-public address"),
        # aiohttp names "ssl:default" in every connection error: not a TLS problem by itself
        ("refused", r"connection refused|connect call failed|errno 111|拒绝连接"),
        ("tls", r"ssl(?!:default)|certificate|\btls\b|证书"),
        ("timeout", r"timeout|timed out|超时"),
        ("too_large", r"太大|too large|压缩炸弹"),
        ("retry_later", r"retry-after|后再试|\b429\b|\b503\b"),
        ("not_found", r"\b404\b"),
        ("forbidden", r"\b40[13]\b"),
        ("server", r"\b5\d\d\b"),
        ("redirect", r"重定向|redirect"),
        ("not_a_feed", r"网页（HTML）|not a feed|无法识别|无法解析|实体声明|empty|为空|"
                       r"unreadable|xml|json"),
        ("connection", r"连接|connect|reset|network|socket|errno"),
    )
)  # fmt: skip


def error_class(error: str | None, http_status: int | None = None) -> str | None:
    """The class of a branch's last error (``None`` when there is no error)."""
    if not error:
        return None
    if http_status is not None and http_status >= 400:
        for name, pattern in _PATTERNS:
            if name in ("gone", "not_found", "forbidden", "server", "retry_later") and (
                pattern.search(str(http_status))
            ):
                return name
    for name, pattern in _PATTERNS:
        if pattern.search(error):
            return name
    return "other"


def describe(language: str | None, error: str | None, http_status: int | None = None) -> str:
    """The error's class as a sentence in ``language`` (never the library's own words)."""
    name = error_class(error, http_status)
    if name is None:
        return ""
    return translate(language, f"health.error_class.{name}")


#: Classes whose raw text is our own message, advice included (the address policy's refusal,
#: a registry mistake): the class's sentence says it all, the raw text would say it again.
_OWN_WORDS = frozenset({"blocked", "registry"})


def own_words(error: str | None) -> bool:
    """True when ``error`` is one of our own messages (:data:`_OWN_WORDS`), not a library's."""
    return error_class(error) in _OWN_WORDS
