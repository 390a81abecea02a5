"""The console in a real headless Chromium (Debian's, driven by Playwright), on demo data, against a real
uvicorn server: the police journey and the admin journey, each checked against the API."""

import re
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from service.demo.service import DemoKeys
from service.zones.kinds import KIND_NAMES
from tests.dashboard.test_dashboard import live  # noqa: F401  (the live server fixture)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[2] / "data" / "console"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM, "Chromium is needed for the console test: make test installs Debian's chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _page(browser: Browser, base: str, key: str, phone: bool = False, locale: str = "zh-CN") -> Page:
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    page = browser.new_context(viewport=size, base_url=base, locale=locale).new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/console/")
    assert page.url.endswith("/console/signin")
    page.get_by_test_id("signin-key").fill(key)
    page.get_by_test_id("signin-submit").click()
    return page


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 5_000


def _api(base: str, key: str, path: str, **params: Any) -> Any:
    response = httpx.get(f"{base}{path}", params=params, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return response.json()


def _wait_for_clips(base: str, key: str, slogan_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        body = _api(base, key, f"/v1/slogans/{slogan_id}")
        if body["clips"] and all(c["status"] == "ready" for c in body["clips"]):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


def _explain_draft(base: str, key: str, page: Page, draft: dict[str, Any]) -> Any:
    """The API's answer for the draft and the point and fleet the page's explain form holds."""
    query = {"fleet_id": page.get_by_test_id("explain-fleet").input_value(), "bike_id": "console",
             "lat": page.get_by_test_id("explain-lat").input_value(),
             "lon": page.get_by_test_id("explain-lon").input_value(), "campaign": draft}  # fmt: skip
    response = httpx.post(
        f"{base}/v1/decisions/explain", json=query, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def _shown_verdicts(page: Page) -> dict[int, str | None]:
    rows = page.locator("[data-testid=explain-table] tbody tr").all()
    return {int(r.get_attribute("data-campaign-id") or -1): r.get_attribute("data-reason") for r in rows}


TEXT = "陌生链接不要点，96110帮您辨真假。"


def test_police_write_hear_submit_then_see_approved_with_clips(
    live: tuple[str, DemoKeys],  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base, keys = live
    page = _page(browser, base, keys.police)
    expect(page.get_by_test_id("nav-slogans")).to_be_visible()
    assert page.get_by_test_id("nav-review").count() == 0  # police views only
    page.goto("/console/review")  # an admin page sends a police key back to its own
    assert page.url.endswith("/console/slogans")

    page.get_by_test_id("new-slogan").click()
    # Errors come in Chinese next to the field.
    page.get_by_test_id("slogan-text-input").fill("刷单" * 41)
    expect(page.get_by_test_id("char-count")).to_have_text("82")
    page.get_by_test_id("submit-slogan").click()
    expect(page.get_by_test_id("error-text")).to_contain_text("超过 80 字的上限")
    page.get_by_test_id("slogan-text-input").fill("<b>刷单</b>")
    page.get_by_test_id("preview-button").click()
    expect(page.get_by_test_id("error-text")).to_have_text("不能包含 HTML 或 SSML 等标记")

    # Write, hear, fix.
    existing = _api(base, keys.police, "/v1/slogans")[0]
    page.get_by_test_id("slogan-text-input").fill(existing["text"] + " ")
    page.get_by_test_id("preview-button").click()
    expect(page.get_by_test_id("duplicate-warning")).to_contain_text(f"已有相同内容的标语 #{existing['id']}")
    page.get_by_test_id("slogan-text-input").fill(TEXT)
    page.get_by_test_id("slogan-category").fill("链接诈骗")
    page.get_by_test_id("preview-button").click()
    expect(page.get_by_test_id("spoken-text")).to_have_text("陌生链接不要点，九六一一零帮您辨真假。")
    audio = page.get_by_test_id("preview-audio")
    src = audio.get_attribute("src") or ""
    # The page's player loads and decodes the clip.
    page.wait_for_function("document.querySelector('[data-testid=preview-audio]').readyState >= 1")
    assert page.evaluate("document.querySelector('[data-testid=preview-audio]').duration") > 1
    assert httpx.get(f"{base}{src}").content[:1] == b"\xff"  # an MPEG frame
    _shot(page, "police-new-slogan")

    page.get_by_test_id("submit-slogan").click()
    expect(page.get_by_test_id("created-notice")).to_be_visible()
    mine = _api(base, keys.police, "/v1/slogans")
    slogan = next(s for s in mine if s["text"] == TEXT)
    row = page.locator(f"tr[data-slogan-id='{slogan['id']}']")
    expect(row.get_by_test_id("slogan-status")).to_have_text("待审核")
    assert slogan["status"] == "pending" and slogan["category"] == "链接诈骗"
    assert len(page.locator("[data-testid=slogans-table] tbody tr[data-slogan-id]").all()) == len(mine)

    # An admin approves it through the API; the officer sees it approved, with its clips to play.
    approved = httpx.post(
        f"{base}/v1/slogans/{slogan['id']}/approve", headers={"Authorization": f"Bearer {keys.admin}"}
    )
    assert approved.status_code == 200
    clips = _wait_for_clips(base, keys.police, slogan["id"])["clips"]
    page.reload()
    expect(row.get_by_test_id("slogan-status")).to_have_text("已通过")
    players = row.get_by_test_id("clip-audio")
    ready_mp3 = sorted(c["url"] for c in clips if c["format"] == "mp3")
    assert sorted(p.get_attribute("src") or "" for p in players.all()) == ready_mp3 and len(ready_mp3) == 2
    expect(row.get_by_test_id("unscheduled-warning")).to_be_visible()  # in no campaign yet
    # Reach figures as the stats API gives them.
    reach = {s["slogan_id"]: s for s in _api(base, keys.police, "/v1/stats/slogans")["slogans"]}
    some = next(s for s in mine if s["id"] in reach and reach[s["id"]]["plays"] > 0)
    other = page.locator(f"tr[data-slogan-id='{some['id']}']")
    expect(other.get_by_test_id("reach-plays")).to_have_text(str(reach[some["id"]]["plays"]))
    expect(other.get_by_test_id("reach-bikes")).to_have_text(str(reach[some["id"]]["unique_bikes"]))
    _shot(page, "police-slogans")

    phone = _page(browser, base, keys.police, phone=True)
    expect(phone.get_by_test_id("slogans-table")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls, not the page
    _shot(phone, "police-slogans-phone")

    # The coverage dashboard opens signed in by the console: no key asked again.
    page.get_by_test_id("nav-dashboard").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#signin")).to_be_hidden()
    titles = page.locator("#map g.zone title").all_text_contents()
    assert len(titles) == len(_api(base, keys.police, "/v1/zones")) and any("（小区）" in t for t in titles)
    _shot(page, "police-dashboard")
    page.locator("#signout").click()  # signs out of the console as well
    expect(page.locator("#signin")).to_be_visible()
    page.goto("/console/slogans")
    assert page.url.endswith("/console/signin")


def test_admin_approve_target_edit_end_and_delete(live: tuple[str, DemoKeys], browser: Browser) -> None:  # noqa: F811
    base, keys = live
    police = {"Authorization": f"Bearer {keys.police}"}
    admin_h = {"Authorization": f"Bearer {keys.admin}"}
    created = httpx.post(f"{base}/v1/slogans", json={"text": TEXT}, headers=police).json()
    rejected = httpx.post(
        f"{base}/v1/slogans", json={"text": "冒充客服要退款，先挂电话再核实。"}, headers=police
    ).json()

    page = _page(browser, base, keys.admin)
    assert page.url.endswith("/console/review")
    # Hear it in the queue, then approve.
    audio = f"document.querySelector('[data-testid=review-audio-{created['id']}]')"
    page.evaluate(f"{audio}.load()")  # preload="none": the officer's click would load it
    page.wait_for_function(f"{audio}.readyState >= 1")
    assert page.evaluate(f"{audio}.duration") > 1
    _shot(page, "admin-review")
    page.get_by_test_id(f"reject-{rejected['id']}").click()
    expect(page.get_by_test_id(f"review-error-{rejected['id']}")).to_have_text(
        "请填写驳回理由（500 字以内），作者会看到它"
    )
    page.get_by_test_id(f"reject-reason-{rejected['id']}").fill("与本辖区当前诈骗类型不符")
    page.get_by_test_id(f"reject-{rejected['id']}").click()
    expect(page.get_by_test_id("done-notice")).to_contain_text("已驳回")
    page.get_by_test_id(f"approve-{created['id']}").click()
    expect(page.get_by_test_id("done-notice")).to_contain_text("已通过")
    assert _api(base, keys.admin, f"/v1/slogans/{created['id']}")["status"] == "approved"
    assert (
        _api(base, keys.police, f"/v1/slogans/{rejected['id']}")["review_reason"]
        == "与本辖区当前诈骗类型不符"
    )
    _wait_for_clips(base, keys.admin, created["id"])

    # A campaign on two zones picked on the map.
    zones = _api(base, keys.admin, "/v1/zones")
    campaigns_before = _api(base, keys.admin, "/v1/campaigns")
    picked = [zones[0]["id"], zones[1]["id"]]
    page.get_by_test_id("nav-campaigns").click()
    page.get_by_test_id("new-campaign").click()
    page.get_by_test_id("campaign-save").click()  # empty: Chinese errors by the fields
    expect(page.get_by_test_id("error-name")).to_have_text("此项必填")
    expect(page.get_by_test_id("error-slogan_ids")).to_have_text("请至少选择一条标语")
    page.get_by_test_id("campaign-name").fill("链接诈骗提醒")
    page.get_by_test_id(f"campaign-slogan-{created['id']}").check()
    for zone_id in picked:
        page.get_by_test_id(f"map-zone-{zone_id}").click()
    expect(page.get_by_test_id("zones-chosen-count")).to_have_text("2")
    # Explain the draft, before saving, at the point last clicked: what this campaign would do there.
    page.get_by_test_id("explain-button").click()
    expect(page.get_by_test_id("explain-result")).to_be_visible()
    draft = {"name": "链接诈骗提醒", "slogan_ids": [created["id"]], "zone_ids": picked}
    explained = _explain_draft(base, keys.admin, page, draft)
    assert explained["zone"]["id"] == picked[1]
    expect(page.get_by_test_id("explain-zone")).to_have_attribute("data-zone-id", picked[1])
    assert _shown_verdicts(page) == {c["campaign_id"]: c["reason"] for c in explained["campaigns"]}
    draft_verdict = next(c for c in explained["campaigns"] if c["campaign_id"] == 0)  # the draft's id
    assert draft_verdict["reason"] in ("eligible", "outranked") and draft_verdict["name"] == "链接诈骗提醒"
    expect(page.get_by_test_id("explain-draft")).to_have_attribute("data-reason", draft_verdict["reason"])
    expect(page.get_by_test_id("explain-draft")).to_contain_text("本投放（未保存）")
    if draft_verdict["reason"] == "eligible":
        expect(page.get_by_test_id("explain-draft")).to_contain_text("覆盖此处")
    # What plays is drawn by weight among the eligible campaigns: the one shown is one of them.
    eligible = {str(c["campaign_id"]) for c in explained["campaigns"] if c["reason"] == "eligible"}
    assert page.get_by_test_id("explain-winner").get_attribute("data-campaign-id") in eligible
    assert _api(base, keys.admin, "/v1/campaigns") == campaigns_before  # nothing saved by explaining
    # Typed instead of clicked: a point in a zone the draft leaves out.
    outside = next(z for z in zones if z["id"] not in picked and z["geometry"]["type"] == "Point")
    page.get_by_test_id("explain-lon").fill(str(outside["geometry"]["coordinates"][0]))
    page.get_by_test_id("explain-lat").fill(str(outside["geometry"]["coordinates"][1]))
    page.get_by_test_id("explain-button").click()
    expect(page.get_by_test_id("explain-zone")).to_have_attribute("data-zone-id", outside["id"])
    expect(page.get_by_test_id("explain-draft")).to_have_attribute("data-reason", "not_targeted_here")
    expect(page.get_by_test_id("explain-draft")).to_contain_text("车辆所在位置不在活动投放范围内")
    assert _shown_verdicts(page) == {
        c["campaign_id"]: c["reason"] for c in _explain_draft(base, keys.admin, page, draft)["campaigns"]
    }
    expect(page.get_by_test_id("zones-chosen-count")).to_have_text("2")  # the form kept its choices
    page.get_by_test_id("campaign-weight").fill("2")
    _shot(page, "admin-campaign-form")
    page.get_by_test_id("campaign-save").click()
    expect(page.get_by_test_id("done-notice")).to_contain_text("已保存")
    campaign = max(_api(base, keys.admin, "/v1/campaigns"), key=lambda c: c["id"])
    assert (campaign["name"], sorted(campaign["zone_ids"]), campaign["slogan_ids"], campaign["weight"]) == (
        "链接诈骗提醒", sorted(picked), [created["id"]], 2.0)  # fmt: skip

    # Edit its weight: a PATCH of that field alone, in the audit log.
    page.get_by_test_id("campaign-weight").fill("5.5")
    page.get_by_test_id("campaign-save").click()
    expect(page.get_by_test_id("done-notice")).to_contain_text("已保存")
    assert _api(base, keys.admin, f"/v1/campaigns/{campaign['id']}")["weight"] == 5.5
    audit = _api(base, keys.admin, "/v1/audit", entity="campaign", entity_id=campaign["id"])
    assert [(e["before"]["weight"], e["after"]["weight"]) for e in audit if e["action"] == "update"] == [
        (2.0, 5.5)
    ]
    page.get_by_test_id("nav-campaigns").click()
    listed = page.locator(f"[data-testid=campaigns-table] tr[data-campaign-id='{campaign['id']}']")
    expect(listed.get_by_test_id("campaign-weight")).to_have_text("5.5")
    expect(listed.get_by_test_id("campaign-status")).to_have_text("进行中")
    _shot(page, "admin-campaigns")

    # End it.
    page.get_by_test_id(f"open-campaign-{campaign['id']}").click()
    page.get_by_test_id("campaign-end").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("已结束")
    assert _api(base, keys.admin, f"/v1/campaigns/{campaign['id']}")["ends_at"] is not None

    # Zones: the map and the warnings; delete a zone a campaign names: refused, then forced.
    page.get_by_test_id("nav-zones").click()
    coverage = _api(base, keys.admin, "/v1/zones")
    assert page.locator("[data-testid=zone-map] g.zone").count() == len(coverage)
    assert page.get_by_test_id("zone-kind-name").all_inner_texts() == [
        KIND_NAMES[z["kind"]] for z in coverage
    ]
    _shot(page, "admin-zones")
    target = picked[0]  # named by the campaign above
    page.get_by_test_id(f"edit-zone-{target}").click()
    page.get_by_test_id("zone-volume").fill("9")
    page.get_by_test_id("zone-save").click()
    expect(page.get_by_test_id("error-volume")).to_have_text("音量须为 0 到 7 的整数")
    page.get_by_test_id("zone-delete").click()
    expect(page.get_by_test_id("error-delete")).to_contain_text("仍被投放计划引用")
    assert httpx.get(f"{base}/v1/zones/{target}", headers=admin_h).status_code == 200
    page.get_by_test_id("zone-delete-force").check()
    page.get_by_test_id("zone-delete").click()
    expect(page.get_by_test_id("done-notice")).to_contain_text(f"已删除区域 {target}")
    assert httpx.get(f"{base}/v1/zones/{target}", headers=admin_h).status_code == 404
    assert page.locator(f"[data-testid=zones-table] tr[data-zone-id='{target}']").count() == 0

    for name in ("fleets", "keys"):
        page.get_by_test_id(f"nav-{name}").click()
        _shot(page, f"admin-{name}")
    page.get_by_test_id("nav-fleets").click()
    page.get_by_test_id("open-fleet-beiting").click()
    _shot(page, "admin-fleet")
    # The dashboard, signed in by the console, names zone kinds in Chinese (the server's one table).
    page.get_by_test_id("nav-dashboard").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    shown_kinds = set(page.locator("#zones tbody td:nth-child(2)").all_inner_texts())
    assert shown_kinds == {KIND_NAMES[z["kind"]] for z in _api(base, keys.admin, "/v1/zones")}
    _shot(page, "admin-dashboard")

    phone = _page(browser, base, keys.admin, phone=True)
    phone.goto("/console/campaigns/new")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(phone, "admin-campaign-phone")


def test_campaign_form_targets_regions_and_exclusions_with_times_typed_whatever_the_locale(
    live: tuple[str, DemoKeys],  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    """Every targeting field the API takes is in the form; times are typed as 2026-12-01 08:00 and read in
    Beijing time, in a browser whose locale (en-US) would show a date input as 12/01/2026 and AM/PM."""
    base, keys = live
    zones = _api(base, keys.admin, "/v1/zones")
    slogan = next(s for s in _api(base, keys.admin, "/v1/slogans") if s["status"] == "approved")
    excluded = next(z for z in zones if z["kind"] == "residential")
    village = next(z for z in zones if z["kind"] == "village")
    region = excluded["region"]
    fleets = [f["id"] for f in _api(base, keys.admin, "/v1/fleets")]
    beijing = ZoneInfo("Asia/Shanghai")
    start = (datetime.now(beijing) + timedelta(days=20)).replace(hour=8, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=12, hours=12, minutes=30)

    page = _page(browser, base, keys.admin, locale="en-US")
    page.goto("/console/campaigns/new")
    page.get_by_test_id("campaign-name").fill("辖区提醒")
    page.get_by_test_id(f"campaign-slogan-{slogan['id']}").check()
    page.get_by_test_id(f"campaign-region-{region}").check()
    page.get_by_test_id("campaign-exclusions").locator("summary").click()
    page.get_by_test_id("campaign-exclude-kind-village").check()
    page.get_by_test_id(f"campaign-exclude-zone-{excluded['id']}").check()
    page.get_by_test_id(f"campaign-exclude-fleet-{fleets[1]}").check()
    # A typing error is a Chinese message by the field, with the format to use.
    page.get_by_test_id("campaign-starts-at").fill("12/01/2026")
    page.get_by_test_id("campaign-save").click()
    expect(page.get_by_test_id("error-starts_at")).to_have_text("时间格式不正确，请按 2026-12-01 08:00 填写")
    page.get_by_test_id("campaign-starts-at").fill(f"{start:%Y-%m-%d %H:%M}")
    page.get_by_test_id("campaign-ends-at").fill(f"{end:%Y/%-m/%-d %H：%M}")  # slashes, a full-width colon
    page.get_by_test_id("daypart-0-start").fill("07:00")
    page.get_by_test_id("daypart-0-end").fill("21:30")

    # Explain the draft at a typed point and time: the exclusions hold there.
    page.get_by_test_id("explain-fleet").select_option(fleets[0])
    page.get_by_test_id("explain-at").fill(f"{start + timedelta(hours=1):%Y-%m-%d %H:%M}")
    for zone, reason in ((excluded, "zone_excluded"), (village, "kind_excluded")):
        lon, lat = _inside(zone)
        page.get_by_test_id("explain-lon").fill(str(lon))
        page.get_by_test_id("explain-lat").fill(str(lat))
        page.get_by_test_id("explain-button").click()
        expect(page.get_by_test_id("explain-zone")).to_have_attribute("data-zone-id", zone["id"])
        expect(page.get_by_test_id("explain-draft")).to_have_attribute("data-reason", reason)
    _shot(page, "admin-campaign-targeting")

    page.get_by_test_id("campaign-save").click()
    expect(page.get_by_test_id("done-notice")).to_contain_text("已保存")
    campaign = max(_api(base, keys.admin, "/v1/campaigns"), key=lambda c: c["id"])
    assert campaign["name"] == "辖区提醒"
    assert (campaign["regions"], campaign["exclude_zone_kinds"], campaign["exclude_zone_ids"]) == (
        [region], ["village"], [excluded["id"]])  # fmt: skip
    assert (campaign["zone_ids"], campaign["exclude_fleet_ids"]) == ([], [fleets[1]])
    assert datetime.fromisoformat(campaign["starts_at"]) == start
    assert datetime.fromisoformat(campaign["ends_at"]) == end
    assert [(p["start"], p["end"], len(p["days"])) for p in campaign["dayparts"]] == [("07:00", "21:30", 7)]
    # Shown back the same way, whatever the browser's locale.
    expect(page.get_by_test_id("campaign-starts-at")).to_have_value(f"{start:%Y-%m-%d %H:%M}")
    expect(page.get_by_test_id("campaign-ends-at")).to_have_value(f"{end:%Y-%m-%d %H:%M}")
    expect(page.get_by_test_id("daypart-0-end")).to_have_value("21:30")
    expect(page.get_by_test_id(f"campaign-exclude-zone-{excluded['id']}")).to_be_checked()
    page.get_by_test_id("nav-campaigns").click()
    listed = page.locator(f"[data-testid=campaigns-table] tr[data-campaign-id='{campaign['id']}']")
    expect(listed).to_contain_text(f"辖区：{region}")
    expect(listed.get_by_test_id("campaign-excluded")).to_have_text(f"排除：{excluded['id']}、村庄")


def _inside(zone: dict[str, Any]) -> tuple[float, float]:
    """A point inside the zone: a Point zone's centre, a square's middle."""
    geometry = zone["geometry"]
    if geometry["type"] == "Point":
        return geometry["coordinates"][0], geometry["coordinates"][1]
    ring = geometry["coordinates"][0][:-1]
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def test_docs_and_redoc_load_offline(live: tuple[str, DemoKeys], browser: Browser) -> None:  # noqa: F811
    base, _ = live
    page = browser.new_context().new_page()
    hosts: set[str] = set()  # every host a request went out to (data: and blob: URLs stay in the page)
    blocked: list[str] = []  # what the page's Content-Security-Policy stopped in the browser
    page.on("requestfinished", lambda r: r.url.startswith("http") and hosts.add(httpx.URL(r.url).host))
    page.on("requestfailed", lambda request: blocked.append(f"{request.url} {request.failure}"))
    page.goto(f"{base}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ebike-voice")
    page.goto(f"{base}/redoc")
    expect(page.locator("redoc h1, [data-role='redoc'] h1, h1").first).to_contain_text("ebike-voice")
    assert hosts == {"127.0.0.1"}, hosts  # nothing went to any other host
    assert all(b.endswith(" csp") and "127.0.0.1" not in b for b in blocked), blocked
    for path in ("/docs", "/redoc"):
        html = httpx.get(f"{base}{path}").text
        assert "http://" not in html and "https://" not in html, html
        for asset in re.findall(r'(?:src|href)="(/[^"]+)"', html):
            assert httpx.get(f"{base}{asset}").status_code == 200, asset
