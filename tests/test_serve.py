"""`streakwatch serve`: the offline page, the exposure warning, and the monitor in a real headless Chromium.

The browser is driven with the Chrome DevTools Protocol over a websocket (aiohttp's client, which textual-serve
already brings): no selenium, no playwright, no browser download. xterm.js draws the terminal on a canvas, so the
panes are read where the text really travels: the terminal output textual-serve sends the page over its websocket,
as the browser received it (Network.webSocketFrameReceived). Every request the page makes is recorded: none may
leave 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO
from tui.serve import FONT_FILES, exposure_warning, monitor_command, offline_page


def textual_serve_package() -> Path:
    module = pytest.importorskip("textual_serve", reason="the serve extra (textual-serve) is not installed")
    return Path(module.__file__).parent


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
]
PANE_TITLES = ("Streak", "Spread", "Sector winners", "Risk checklist")


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


def require_chromium() -> str:
    path = chromium()
    if path is None:
        if os.environ.get("CI"):  # .ci/run installs it: a CI run that skipped this would prove nothing
            pytest.fail("no Chromium on the CI machine: .ci/run should have installed it (apt-get install chromium)")
        pytest.skip("no Chromium installed (Debian: apt-get install chromium): the browser test cannot run")
    return path


# -- the page and the command, without a browser -------------------------------------------------------------------
def test_the_page_links_nothing_from_the_internet_and_serves_its_own_font():
    package = textual_serve_package()
    template = (package / "templates" / "app_index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis.com" in template  # what there is to fix (if this fails, textual-serve changed)
    page = offline_page(template, package / "static" / "fonts")
    assert "googleapis" not in page and 'href="http' not in page
    for name in FONT_FILES.values():
        assert (package / "static" / "fonts" / name).is_file()
        assert f"url('{{{{ config.static.url }}}}fonts/{name}')" in page


def test_without_the_shipped_font_the_page_falls_back_to_a_local_monospace(tmp_path):
    template = '<head><link rel="stylesheet" href="https://fonts.example/css?family=X" />\n</head>'
    page = offline_page(template, tmp_path)  # an empty folder: no font files
    assert "https://" not in page and "@font-face" not in page


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_the_loopback_is_served_without_a_warning(host):
    assert exposure_warning(host, 8000) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "monitor.example"])
def test_any_other_address_is_served_with_a_warning(host):
    warning = exposure_warning(host, 8080)
    assert warning is not None and f"{host}:8080" in warning and "anyone who can reach" in warning


def test_the_monitor_command_quotes_what_it_passes_to_the_shell(tmp_path):
    config = tmp_path / "my config; rm -rf ~.toml"
    command = monitor_command(["--source", "demo", "--config", str(config)])
    assert f"'{config}'" in command and command.startswith(sys.executable)


def test_without_the_serve_extra_it_says_how_to_get_it(capsys, monkeypatch):
    from tui.cli import main

    monkeypatch.setitem(sys.modules, "textual_serve", None)  # what `import textual_serve` meets when not installed
    assert main(["serve", "--source", "demo"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'streakwatch[serve]'" in err and len(err.strip().splitlines()) == 1


def test_bad_monitor_options_fail_before_anything_is_served(capsys):
    from tui.cli import main

    assert main(["serve", "--source", "nope"]) == 2
    assert "unknown --source" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--port", "99999"])
    assert exit_info.value.code == 2 and "not a TCP port" in capsys.readouterr().err


# -- the monitor in headless Chromium --------------------------------------------------------------------------------
def free_port() -> int:
    """A free loopback port to give `streakwatch serve`, which cannot take port 0 (textual-serve writes the port into
    the page's URLs). Not one the kernel hands out: a port from its ephemeral range, free a moment ago, may be given
    to the other xdist worker's servers (port 0) or to any outgoing connection before the server binds it."""
    ephemeral_from = 32768  # Linux's default, and below macOS's and Windows' 49152
    with contextlib.suppress(OSError, ValueError, IndexError):
        ephemeral_from = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    low = max(1024, ephemeral_from - 8192)
    for port in random.sample(range(low, max(ephemeral_from, low + 200)), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # a service's own port: try another
                continue
            return port
    pytest.fail(f"no free loopback port from {low} to {ephemeral_from}")


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def accepts(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def running(command: list[str], log: Path, **kwargs):
    """``command`` running, its output in ``log`` (a pipe nobody reads would fill and stall it); ended after."""
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, **kwargs)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


class DevTools:
    """A Chrome DevTools Protocol session on one page: commands in, events recorded."""

    def __init__(self, websocket, session_id: str) -> None:
        self.websocket, self.session_id = websocket, session_id
        self.ids = itertools.count(1)
        self.replies: dict[int, asyncio.Future] = {}
        self.events: list[dict] = []

    async def call(self, method: str, session: bool = True, **params):
        message_id = next(self.ids)
        message = {"id": message_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session_id
        self.replies[message_id] = reply_future = asyncio.get_running_loop().create_future()
        await self.websocket.send_str(json.dumps(message))
        try:
            reply = await asyncio.wait_for(reply_future, 30)
        finally:
            del self.replies[message_id]
        assert "error" not in reply, f"{method}: {reply['error']}"
        return reply.get("result", {})

    async def listen(self) -> None:
        async for message in self.websocket:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self.replies:
                self.replies[data["id"]].set_result(data)
            elif "method" in data:
                self.events.append(data)

    def terminal_output(self) -> str:
        """Everything the server sent the page's terminal so far, decoded (binary frames are base64 in CDP)."""
        chunks = []
        for event in self.events:
            if event["method"] == "Network.webSocketFrameReceived":
                frame = event["params"]["response"]
                if frame["opcode"] == 2:
                    chunks.append(base64.b64decode(frame["payloadData"]))
        return b"".join(chunks).decode("utf-8", "replace")

    def sent_frames(self) -> list[str]:
        return [
            event["params"]["response"]["payloadData"]
            for event in self.events
            if event["method"] == "Network.webSocketFrameSent"
        ]

    def request_urls(self) -> list[str]:
        return [
            event["params"]["request"]["url"] for event in self.events if event["method"] == "Network.requestWillBeSent"
        ]

    async def until(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
            await asyncio.sleep(0.1)


async def save_screenshot(page: DevTools, path: Path) -> None:
    picture = await page.call("Page.captureScreenshot", format="png")
    path.write_bytes(base64.b64decode(picture["data"]))


async def drive(devtools_url: str, page_url: str, pictures: Path) -> DevTools:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.ws_connect(devtools_url, max_msg_size=0) as websocket:
        browser = DevTools(websocket, "")
        listener = asyncio.create_task(browser.listen())
        try:
            target = await browser.call("Target.createTarget", session=False, url="about:blank")
            attached = await browser.call(
                "Target.attachToTarget", session=False, targetId=target["targetId"], flatten=True
            )
            page = browser  # one connection; the page's commands carry its session id
            page.session_id = attached["sessionId"]
            await page.call("Network.enable")
            await page.call("Page.enable")
            await page.call("Page.navigate", url=page_url)

            def panes_drawn() -> bool:
                output = page.terminal_output()
                return all(title in output for title in PANE_TITLES) and "SIMULATED" in output

            await page.until(panes_drawn, 90, "the four panes in the terminal output")
            first_byte = await page.call(
                "Runtime.evaluate", expression="document.body.classList.contains('-first-byte')", returnByValue=True
            )
            assert first_byte["result"]["value"] is True  # textual.js has shown the terminal
            drawn_so_far = len(page.terminal_output())
            await asyncio.sleep(0.5)  # let xterm paint the last frame before the picture
            await save_screenshot(page, pictures / "serve-panes.png")

            # A key typed into the page reaches the app: "?" opens the help screen.
            await page.call("Runtime.evaluate", expression="document.querySelector('.xterm-helper-textarea').focus()")
            for kind in ("keyDown", "keyUp"):
                await page.call(
                    "Input.dispatchKeyEvent",
                    type=kind,
                    key="?",
                    code="Slash",
                    text="?" if kind == "keyDown" else "",
                    windowsVirtualKeyCode=191,
                    modifiers=8,  # shift
                )
            await page.until(
                lambda: "esc or ? to close" in page.terminal_output()[drawn_so_far:], 60, "the help screen after '?'"
            )
            await asyncio.sleep(0.5)
            await save_screenshot(page, pictures / "serve-help.png")
            await browser.call("Browser.close", session=False)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
    return browser


@pytest.mark.timeout(240)
def test_the_monitor_in_headless_chromium(tmp_path):
    textual_serve_package()
    browser_path = require_chromium()
    port = free_port()
    serve = [sys.executable, "-m", "tui", "serve", "--source", "demo", "--as-of", "2026-11-20", "--port", str(port)]
    server_log = tmp_path / "serve.log"
    with running(serve, server_log, cwd=REPO) as server:
        wait_for(lambda: accepts(port) or server.poll() is not None, 60, "streakwatch serve to listen")
        assert server.poll() is None, server_log.read_text()
        page_url = f"http://127.0.0.1:{port}/"
        html = urllib.request.urlopen(page_url, timeout=30).read().decode()
        assert "googleapis" not in html

        profile = tmp_path / "profile"
        chrome = [browser_path, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0"]
        with running([*chrome, "about:blank"], tmp_path / "chromium.log"):
            active = profile / "DevToolsActivePort"
            wait_for(lambda: active.is_file() and len(active.read_text().split()) == 2, 60, "Chromium's DevTools port")
            devtools_port, path = active.read_text().split()
            page = asyncio.run(drive(f"ws://127.0.0.1:{devtools_port}{path}", page_url, tmp_path))

    assert any(json.loads(frame) == ["stdin", "?"] for frame in page.sent_frames() if frame.startswith("["))
    hosts = {urlsplit(url).hostname for url in page.request_urls() if not url.startswith(("data:", "about:"))}
    assert hosts == {"127.0.0.1"}, f"the page reached beyond this machine: {sorted(hosts)}"
    fonts = [url for url in page.request_urls() if "/static/fonts/" in url]
    assert fonts, "the page never loaded its font from the server"
    pictures = [tmp_path / "serve-panes.png", tmp_path / "serve-help.png"]
    assert all(picture.stat().st_size > 10_000 for picture in pictures)  # pictures of the page, not a blank canvas
    if keep := os.environ.get("STREAKWATCH_SERVE_SCREENSHOTS"):  # a folder: the pictures, for a person to look at
        for picture in pictures:
            shutil.copy(picture, keep)
