"""A login page where the feed should be (an intranet CMS, a members-only section, an old feed
address redirected to a sign-in) is named as one, with what to ask for; any other web page
stays "not a feed". The pages are in the shapes the systems branches run serve."""

from __future__ import annotations

import pytest
import yaml
from feedserver import FeedServer
from lxml import html
from tongxin.federation.errors import describe, error_class
from tongxin.federation.pipeline import run
from tongxin.federation.webpage import is_login_page, is_web_page

# WordPress's wp-login.php (its form, cut to what matters)
WORDPRESS = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="UTF-8">
<title>登录 &lsaquo; 东江社区 &#8212; WordPress</title></head>
<body class="login no-js login-action-login wp-core-ui"><div id="login">
<form name="loginform" id="loginform" action="https://dj.example/wp-login.php" method="post">
<p><label for="user_login">用户名或电子邮箱地址</label>
<input type="text" name="log" id="user_login" class="input" value="" size="20"></p>
<div class="user-pass-wrap"><input type="password" name="pwd" id="user_pass"></div>
</form></div></body></html>""".encode()

# a university or government CAS (统一身份认证), password field drawn by script
CAS = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>统一身份认证平台</title><script src="/cas/js/login.js"></script></head>
<body><div id="app"></div><noscript>请启用 JavaScript</noscript></body></html>""".encode()

# a Discuz! forum's member login, no password field in the first bytes
DISCUZ = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>提示信息 - 学习论坛</title></head>
<body><form method="post" action="member.php?mod=logging&amp;action=login&amp;loginsubmit=yes">
<input type="hidden" name="formhash" value="a1b2"></form></body></html>""".encode()

# pages that are not logins: a home page (a search form, a 登录 link in its bar), a 404
HOME = """<!doctype html><html lang="zh-CN"><head><title>东江社区党支部</title></head>
<body><nav><a href="/user/login">登录</a></nav>
<form action="/search/" method="get"><input name="q" type="search"></form>
<h1>东江社区党支部</h1><p>欢迎访问</p></body></html>""".encode()
NOT_FOUND = (
    b"<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1>"
    b"</center><hr><center>nginx</center></body></html>"
)


@pytest.mark.parametrize("page", [WORDPRESS, CAS, DISCUZ], ids=["wordpress", "cas", "discuz"])
def test_login_pages_are_known(page: bytes) -> None:
    assert is_web_page(page) and is_login_page(page)


@pytest.mark.parametrize("page", [HOME, NOT_FOUND], ids=["home", "404"])
def test_other_pages_are_not_logins(page: bytes) -> None:
    assert is_web_page(page) and not is_login_page(page)


def test_a_feed_redirected_to_a_login_is_named_on_the_health_page(tmp_path) -> None:
    with FeedServer() as server:
        server.route("/dj/feed.xml", status=302, body=b"",
                     headers={"Location": "/cas/login?service=/dj/feed.xml"})  # fmt: skip
        server.route("/cas/login", body=CAS, content_type="text/html; charset=utf-8")
        server.route("/home/feed.xml", body=HOME, content_type="text/html; charset=utf-8")
        document = {
            "name": "门户", "url": "https://portal.example/", "allow_networks": ["127.0.0.1"],
            "branches": [
                {"id": "dj", "name": "东江", "feed": server.url("/dj/feed.xml")},
                {"id": "home", "name": "南湖", "feed": server.url("/home/feed.xml")},
            ],
        }  # fmt: skip
        registry = tmp_path / "registry.yaml"
        registry.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        run(registry, tmp_path / "www", tmp_path / "www.sqlite3")
    tree = html.fromstring((tmp_path / "www/health/index.html").read_text("utf-8"))
    login = tree.get_element_by_id("branch-dj").text_content()
    assert "订阅地址要求登录" in login and "无需登录" in login
    other = tree.get_element_by_id("branch-home").text_content()
    assert "不是可识别的订阅" in other and "登录" not in other


def test_the_class_reads_in_every_language() -> None:
    raw = "取到的是登录页面，不是订阅：这个订阅地址要求登录"
    assert error_class(raw) == "login"
    assert describe("zh-TW", raw).startswith("訂閱位址要求登入")
    assert describe("en", raw).startswith("the feed's address asks to sign in")
