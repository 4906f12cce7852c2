"""The report in a real browser: headless Chromium (Debian's `chromium`), driven over the DevTools protocol
on a pipe (`--remote-debugging-pipe`, stdlib only). Skips where no browser is installed.

Checks: the page renders with its charts; no request leaves the file (every request the browser makes is
logged by the Network domain, and DNS is mapped to nothing as a second fence); no console error or uncaught
exception; hostile feature and team names show as text and run nothing (no dialog opens, no element is
injected, the title is unchanged); a screenshot is taken.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke
from test_report_data import XSS_FEATURE, XSS_TEAM, build_db, default_rows

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on this machine (apt-get install chromium)"
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--window-size=1200,900",
]
TITLE_PAYLOAD = "<img src=x onerror=\"document.title='pwned'\">"


class Browser:
    """A minimal DevTools client over Chromium's pipe transport: JSON messages separated by NUL bytes."""

    def __init__(self, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire() -> None:  # chromium reads commands on fd 3 and writes replies on fd 4
            read_end, write_end = os.dup(to_child_r), os.dup(from_child_w)  # off 3/4 before overwriting them
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,  # noqa: PLW1509 - fds must be 3 and 4 in the child
            pass_fds=(3, 4),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._next = 0
        self._buffer = b""
        self.events: list[dict[str, Any]] = []

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(30)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self._read(deadline - time.monotonic())
            self.events.append(event)
            if event.get("method") == method:
                return event
        raise TimeoutError(method)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.events.append(self._read(deadline - time.monotonic()))
            except TimeoutError:
                return

    def _read(self, timeout: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_child], [], [], max(0.0, timeout))
            if not ready:
                raise TimeoutError("no message from chromium")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)


def open_report(html: Path, profile: Path) -> tuple[Browser, str]:
    browser = Browser(profile)
    targets = browser.send("Target.getTargets")["targetInfos"]
    page = next(t for t in targets if t["type"] == "page")
    session = browser.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})[
        "sessionId"
    ]
    for domain in ("Page", "Network", "Runtime", "Log"):
        browser.send(f"{domain}.enable", session=session)
    browser.send("Page.navigate", {"url": html.as_uri()}, session=session)
    browser.wait_for("Page.loadEventFired")
    browser.drain(0.5)  # let late errors or requests surface
    return browser, session


def evaluate(browser: Browser, session: str, expression: str) -> Any:
    result = browser.send(
        "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session
    )
    return result["result"].get("value")


def problems(browser: Browser) -> list[str]:
    found = []
    for e in browser.events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
            found.append(f"console {params['type']}: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            found.append(f"log error: {params['entry'].get('text')}")
        elif method == "Page.javascriptDialogOpening":
            found.append(f"dialog: {params.get('message')}")
    return found


def requests_made(browser: Browser) -> list[str]:
    return [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("browser")
    rows = default_rows()
    for r in rows:
        if r["feature"] == "chat":
            r["feature"] = TITLE_PAYLOAD  # a payload that would change the title if it ever ran
    db = build_db(base / "costs.duckdb", rows)
    out = base / "report.html"
    result = invoke(
        "report",
        "--db",
        str(db),
        "--month",
        "2026-10",
        "-o",
        str(out),
        "--generated-at",
        "2026-11-01T00:00:00Z",
        "--total-budget",
        "10",
        "--shared-cost",
        "vectordb=3",
    )
    assert result.exit_code == 0, result.stderr
    return out


def test_report_renders_offline_without_errors_and_runs_no_payload(report_html: Path, tmp_path: Path) -> None:
    browser, session = open_report(report_html, tmp_path / "profile")
    try:
        charts = evaluate(browser, session, "document.querySelectorAll('svg.chart').length")
        sparks = evaluate(browser, session, "document.querySelectorAll('svg.spark').length")
        box = evaluate(
            browser, session, "JSON.stringify(document.querySelector('#daily svg').getBoundingClientRect())"
        )
        title = evaluate(browser, session, "document.title")
        injected = evaluate(
            browser, session, "document.querySelectorAll('img, iframe, object, embed').length"
        )
        scripts = evaluate(browser, session, "[...document.scripts].map(s => s.type)")
        text = evaluate(browser, session, "document.body.innerText")
        metrics = browser.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
        shot = browser.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {
                    "x": 0,
                    "y": 0,
                    "width": metrics["width"],
                    "height": min(metrics["height"], 6000),
                    "scale": 1,
                },
            },
            session=session,
        )
    finally:
        browser.close()
    assert charts >= 7 and sparks >= 10
    assert json.loads(box)["width"] > 300 and json.loads(box)["height"] > 100  # drawn, not collapsed
    assert problems(browser) == []
    outside = [u for u in requests_made(browser) if u != report_html.as_uri() and not u.startswith("data:")]
    assert outside == []
    assert title == "LLM cost report 2026-10"  # the title payload did not run
    assert injected == 0 and scripts == ["application/json"]
    for payload in (XSS_FEATURE, XSS_TEAM, TITLE_PAYLOAD):
        assert payload in text  # shown as text
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    (tmp_path / "report.png").write_bytes(png)


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The same harness sees an error, a dialog and an outside request on a page that has them."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><title>bad</title><img src='http://example.invalid/x.png'>"
        "<script>console.error('boom'); addEventListener('load', () => setTimeout(() => alert(1), 0));</script>"
    )
    browser, session = open_report(bad, tmp_path / "profile")
    if any(e.get("method") == "Page.javascriptDialogOpening" for e in browser.events):
        browser.send("Page.handleJavaScriptDialog", {"accept": True}, session=session)
    browser.close()
    found = problems(browser)
    assert any("boom" in p for p in found) and any(p.startswith("dialog") for p in found)
    assert "http://example.invalid/x.png" in requests_made(browser)


def test_cli_screenshot_flag_works_on_the_report(report_html: Path, tmp_path: Path) -> None:
    """The plain `--screenshot` and `--dump-dom` routes too: the dumped DOM holds the SVGs and escaped text."""
    args = [
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={tmp_path / 'p1'}",
        f"--screenshot={tmp_path / 's.png'}",
        report_html.as_uri(),
    ]
    subprocess.run(args, capture_output=True, timeout=90, check=False)
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'p2'}", "--dump-dom", report_html.as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    ).stdout
    assert dom.count("<svg") >= 7
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and "<img" not in dom
