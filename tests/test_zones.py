"""One rule turns a ``timezone`` name into a zone, for branch builds and portals alike."""

from zoneinfo import ZoneInfo

from tongxin.federation.health_table import portal_zone
from tongxin.federation.model import Registry
from tongxin.plugins.content_types import build_day

from tongxin.zones import site_zone, zone


def test_a_known_name_is_that_zone():
    assert zone("Asia/Taipei") == ZoneInfo("Asia/Taipei")
    assert zone("America/New_York") == ZoneInfo("America/New_York")


def test_an_empty_or_unknown_name_is_shanghai():
    for name in (None, "", "Mars/Olympus", "../etc/passwd", "Asia/Shanghai "):
        assert zone(name) == ZoneInfo("Asia/Shanghai"), name


def test_a_site_yaml_timezone_wins_over_the_pelican_setting():
    settings = {"TONGXIN_SITE": {"timezone": "Europe/London"}, "TIMEZONE": "Asia/Taipei"}
    assert site_zone(settings) == ZoneInfo("Europe/London")
    assert site_zone({"TIMEZONE": "Asia/Taipei"}) == ZoneInfo("Asia/Taipei")
    assert site_zone({}) == ZoneInfo("Asia/Shanghai")


def test_an_unknown_portal_zone_counts_days_in_shanghai_not_utc():
    # (the health table once fell back to UTC, eight hours off every other date on the page)
    registry = Registry(name="门户", url="https://p.example/", branches=(), timezone="Nowhere/X")
    assert portal_zone(registry) == ZoneInfo("Asia/Shanghai")


def test_expiry_is_measured_in_the_sites_zone():
    from datetime import datetime

    day = build_day({"TIMEZONE": "Pacific/Kiritimati"})  # UTC+14: a day ahead of UTC in the evening
    assert day == datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
