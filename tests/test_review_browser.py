"""End-to-end tests of the review page in headless Chromium.

Debian's package, driven by Playwright; a browser download is not reachable from CI, so
Playwright never fetches one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from review_support import HOSTILE, PDF_TEXT, TEXT_A
from review_support import _project_template, project, server  # noqa: F401 (fixtures)

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialing Google on this closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "review.png"


def ensure_chromium() -> Path:
    """Install Debian's chromium when it is missing (CI starts on a fresh machine as root).

    Fails, never skips: these tests are part of the acceptance of ``litx review``.
    """
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package "
                    "(apt-get install -y chromium) to run the review browser tests")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    if not CHROMIUM.exists():
        pytest.fail(f"apt-get installed chromium but {CHROMIUM} is still missing")
    return CHROMIUM


def test_missing_chromium_without_root_fails_with_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        ensure_chromium()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)  # the CI machine is small and shared
    executable = ensure_chromium()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(executable), headless=True,
                               args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page_factory(browser, server) -> Iterator:
    """Open pages (tabs) on the review server; records dialogs and script errors."""
    contexts, events = [], {"dialogs": [], "errors": []}

    def open_page(context=None):
        if context is None:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("dialog", lambda d: (events["dialogs"].append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: events["errors"].append(str(e)))
        page.goto(server.url)
        page.locator("#list .item").first.wait_for()
        return page

    yield open_page, events
    for context in contexts:
        context.close()


def item(page, conflict_id: str):
    return page.locator(f'#list .item[data-id="{conflict_id}"]')


def test_decide_with_mouse_and_keyboard_then_reload(page_factory, project):
    from playwright.sync_api import expect

    open_page, events = page_factory
    page = open_page()
    expect(page.locator("#counts")).to_have_text("3 open · 0 decided")
    expect(page.locator("#f-kind option")).to_have_text(
        ["all kinds (3)", "rounding (1)", "value_mismatch (1)", "year_mismatch (1)"])

    # Mouse: open the dose conflict, whose side B sentence is hostile markup, and accept B.
    item(page, "c_dose").click()
    expect(page.locator("#c-title")).to_contain_text("value_mismatch")
    sentence_b = page.locator("#side-b .snippet")
    expect(sentence_b).to_have_text(HOSTILE)  # the markup shows literally, as text
    expect(sentence_b.locator("mark")).to_have_text("0.41 mg/kg")
    assert page.locator("#sides script, #sides img:not(.page-image)").count() == 0
    start = TEXT_A.index("0.4 mg/kg")
    expect(page.locator("#side-a .position")).to_have_text(f"a.txt · chars {start}–{start + 9}")
    page.locator("#curator").fill("ana")
    page.get_by_role("button", name="Accept B").click()
    expect(page.locator("#c-status")).to_have_text(re.compile(r"^Decided: accept B by ana at "))
    expect(page.locator("#counts")).to_have_text("2 open · 1 decided")

    # Keyboard: next conflict (a PDF side), "neither" with a corrected value.
    page.keyboard.press("j")
    expect(page.locator("#c-title")).to_contain_text("year_mismatch")
    start = PDF_TEXT.index("2017")
    expect(page.locator("#side-b .position")).to_have_text(
        f"paper.pdf · chars {start}–{start + 4} · page 1")
    image = page.locator("#side-b img.page-image")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 100  # rendered, not a broken icon
    page.keyboard.press("n")
    expect(page.locator("#value")).to_be_focused()
    page.keyboard.type("2016")
    page.keyboard.press("Enter")
    expect(page.locator("#c-status")).to_have_text(re.compile(r"^Decided: neither → 2016 by ana"))
    expect(page.locator("#counts")).to_have_text("1 open · 2 decided")

    # Reload: both are decided, the open list holds only the third conflict.
    page.reload()
    expect(page.locator("#counts")).to_have_text("1 open · 2 decided")
    expect(page.locator("#list .item")).to_have_count(1)
    page.locator("#f-status").select_option("decided")
    expect(page.locator("#list .item .badge")).to_have_text(["accept B", "neither"])

    records = [json.loads(line) for line in project["decisions"].read_text().splitlines()]
    assert [(r["conflict_id"], r["decision"], r["value"], r["curator"]) for r in records] == [
        ("c_dose", "accept_b", "", "ana"), ("c_year", "neither", "2016", "ana")]
    assert events == {"dialogs": [], "errors": []}  # the hostile text never ran


def test_two_tabs_never_silently_overwrite_each_other(page_factory, project):
    from playwright.sync_api import expect

    open_page, events = page_factory
    first = open_page()
    second = open_page(first.context)  # same browser profile, like a second tab
    for tab in (first, second):
        item(tab, "c_dose").click()
        expect(tab.locator("#c-status")).to_have_text("Open")
    first.keyboard.press("a")
    expect(first.locator("#c-status")).to_have_text(re.compile("^Decided: accept A"))
    second.keyboard.press("b")  # this tab has not seen the first one's decision
    expect(second.locator("#message")).to_contain_text("Decided meanwhile")
    expect(second.locator("#c-status")).to_have_text(re.compile("^Decided: accept A"))
    second.keyboard.press("b")  # now knowingly replacing it
    expect(second.locator("#c-status")).to_have_text(re.compile("^Decided: accept B"))
    records = [json.loads(line) for line in project["decisions"].read_text().splitlines()]
    assert [r["decision"] for r in records] == ["accept_a", "accept_b"]  # both kept
    assert events == {"dialogs": [], "errors": []}


def test_filters_paragraphs_and_typing_safety(page_factory, project):
    from playwright.sync_api import expect

    open_page, events = page_factory
    page = open_page()
    page.locator("#f-study").select_option("dakwar_2016")
    expect(page.locator("#list .item")).to_have_count(1)
    expect(page.locator("#f-kind option")).to_have_text(["all kinds (1)", "year_mismatch (1)"])
    page.locator("#f-study").select_option("")
    page.locator("#f-kind").select_option("rounding")
    expect(page.locator("#list .item")).to_have_count(1)
    page.locator("#f-kind").select_option("")
    item(page, "c_dose").click()
    page.locator("#side-a .paragraph-toggle").click()
    paragraph = page.locator("#side-a .paragraph")
    expect(paragraph).to_contain_text("Follow-up lasted two years.")
    expect(paragraph.locator("mark")).to_have_text("0.4 mg/kg")
    page.locator("#comment").type("a b v n j k")  # letters typed in a box are not shortcuts
    expect(page.locator("#c-status")).to_have_text("Open")
    page.keyboard.press("Escape")
    page.keyboard.press("v")
    expect(page.locator("#c-status")).to_have_text(re.compile("^Decided: both valid"))
    [record] = [json.loads(line) for line in project["decisions"].read_text().splitlines()]
    assert record["comment"] == "a b v n j k" and record["decision"] == "both_valid"
    assert events == {"dialogs": [], "errors": []}


def test_screenshot(page_factory, tmp_path):
    """Renders the README screenshot; LITX_UPDATE_SCREENSHOT=1 writes it to docs/review.png."""
    from playwright.sync_api import expect

    open_page, _ = page_factory
    page = open_page()
    page.locator("#curator").fill("ana")
    item(page, "c_dose").click()
    expect(page.locator("#c-title")).to_contain_text("value_mismatch")
    page.keyboard.press("b")
    expect(page.locator("#c-status")).to_have_text(re.compile("^Decided"))
    item(page, "c_year").click()
    expect(page.locator("#side-b img.page-image")).to_have_js_property("complete", True)
    page.locator("#side-a .paragraph-toggle").click()
    expect(page.locator("#side-a .paragraph")).to_be_visible()
    target = SCREENSHOT if os.environ.get("LITX_UPDATE_SCREENSHOT") else tmp_path / "review.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000
