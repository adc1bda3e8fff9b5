"""Drives a real browser (Debian's Chromium, headless, through Debian's chromedriver, never a
downloaded one) through one journey of the login tests and reports what the browser ended up
with, as JSON on stdout. The assertions live in the Rust test (tests/tests/e2e/browser_login.rs);
this script only clicks and observes.

Input: one JSON argument, {"steps": [...], "screenshots": DIR, "spoof_headers": {...},
"trust": {"ca": PEM, "endpoints": ["127.0.0.1:PORT", ...]}}; steps:
  {"do": "open", "url": U}                         navigate to U
  {"do": "login", "username": N, "password": P}     fill the IdP's form (#username, #password,
                                                    #kc-login) and follow where it leads
  {"do": "reload"}                                  reload the page
  {"do": "shot", "name": S}                         screenshot to DIR/S.png
Each step records the page after it: URL, title, visible text.

Output: {"pages": [...], "requests": [every URL the browser requested, in order],
"cookies": [the whole cookie jar with attributes, values left out],
"blocked_cookies": [Set-Cookie lines the browser refused, with Chrome's reasons],
"errors": [...]}. `spoof_headers` are added to every request through DevTools
(Network.setExtraHTTPHeaders), as an attacker's browser or proxy would.

Certificates: with `trust`, the browser accepts exactly the certificates those endpoints
present after Python has verified them against edgekit dev's CA (Chromium's
--ignore-certificate-errors-spki-list pins their keys; its NSS store would need certutil);
without it, this throw-away profile ignores certificate errors.

Environment: CHROMIUM (default /usr/bin/chromium), CHROMEDRIVER (default /usr/bin/chromedriver).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import ssl
import sys
import time

os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download anything.

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

STEP_TIMEOUT = 10


def pinned_keys(trust: dict) -> list[str]:
    """SHA-256 (base64) of the public key of each endpoint's certificate, each verified
    against the CA first: a certificate the CA did not sign fails here."""
    context = ssl.create_default_context(cafile=trust["ca"])
    keys = set()
    for endpoint in trust["endpoints"]:
        host, port = endpoint.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                der = tls.getpeercert(binary_form=True)
        spki = x509.load_der_x509_certificate(der).public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        keys.add(base64.b64encode(hashlib.sha256(spki).digest()).decode())
    return sorted(keys)


def browser(trust: dict | None) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if trust:
        certificates = f"--ignore-certificate-errors-spki-list={','.join(pinned_keys(trust))}"
    else:
        # This throw-away test profile only.
        certificates = "--ignore-certificate-errors"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--window-size=1000,720",
        certificates,
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(STEP_TIMEOUT)
    return driver


def settle(driver: webdriver.Chrome) -> None:
    """Waits until the document is complete and the URL stopped changing (auto-submitted
    form_post pages and redirects chain several navigations)."""
    last, since = None, time.monotonic()
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            url = driver.current_url
            ready = driver.execute_script("return document.readyState") == "complete"
        except WebDriverException:
            url, ready = None, False
        if url != last:
            last, since = url, time.monotonic()
        elif ready and time.monotonic() - since > 0.4:
            return
        time.sleep(0.05)


def snapshot(driver: webdriver.Chrome, step: str, error: str | None = None) -> dict:
    page = {"step": step, "url": driver.current_url, "title": "", "text": ""}
    try:
        page["title"] = driver.title
        page["text"] = driver.find_element(By.TAG_NAME, "body").text
    except WebDriverException as err:
        page["text_error"] = str(err).splitlines()[0]
    if error:
        page["error"] = error
    return page


def login(driver: webdriver.Chrome, username: str, password: str) -> None:
    WebDriverWait(driver, STEP_TIMEOUT).until(lambda d: d.find_elements(By.ID, "username"))
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "kc-login").click()
    # Leave the login form first, then let the form_post hop and redirects finish.
    try:
        WebDriverWait(driver, STEP_TIMEOUT).until(lambda d: "/login-actions/" not in d.current_url)
    except TimeoutException:
        pass


def run_step(driver: webdriver.Chrome, step: dict, shots: str) -> dict | None:
    kind = step["do"]
    error = None
    try:
        if kind == "open":
            driver.get(step["url"])
        elif kind == "login":
            login(driver, step["username"], step["password"])
        elif kind == "reload":
            driver.refresh()
        elif kind == "shot":
            driver.save_screenshot(os.path.join(shots, f"{step['name']}.png"))
            return None
        else:
            raise ValueError(f"unknown step {kind}")
    except WebDriverException as err:
        # A navigation that fails (connection refused, TLS to a plain port) is an outcome
        # the tests assert on, not a crash of the driver.
        error = (err.msg or str(err)).splitlines()[0]
    settle(driver)
    return snapshot(driver, kind, error)


def network_log(driver: webdriver.Chrome) -> tuple[list[str], list[dict]]:
    requests, blocked = [], []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            requests.append(params["request"]["url"])
        elif method == "Network.responseReceivedExtraInfo":
            for cookie in params.get("blockedCookies", []):
                line = cookie.get("cookieLine", "")
                blocked.append(
                    {
                        "name": line.split("=", 1)[0],
                        # Attributes only: the value stays out of test logs.
                        "attributes": "; ".join(p.strip() for p in line.split(";")[1:]),
                        "reasons": cookie.get("blockedReasons", []),
                    }
                )
    return requests, blocked


def cookie_jar(driver: webdriver.Chrome) -> list[dict]:
    try:
        cookies = driver.execute_cdp_cmd("Storage.getCookies", {})["cookies"]
    except WebDriverException:
        cookies = driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]
    keep = ("name", "domain", "path", "secure", "httpOnly", "sameSite", "session")
    return [{k: c.get(k) for k in keep} for c in cookies]


def main() -> int:
    plan = json.loads(sys.argv[1])
    shots = plan.get("screenshots", ".")
    os.makedirs(shots, exist_ok=True)
    driver = browser(plan.get("trust"))
    result: dict = {"pages": [], "errors": []}
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        if plan.get("spoof_headers"):
            driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": plan["spoof_headers"]})
        for step in plan["steps"]:
            page = run_step(driver, step, shots)
            if page:
                result["pages"].append(page)
        driver.save_screenshot(os.path.join(shots, "final.png"))
        result["cookies"] = cookie_jar(driver)
        result["requests"], result["blocked_cookies"] = network_log(driver)
    except Exception as err:  # noqa: BLE001 - reported to the Rust test, which fails on it
        result["errors"].append(f"{type(err).__name__}: {err}")
        try:
            driver.save_screenshot(os.path.join(shots, "failure.png"))
        except WebDriverException:
            pass
    finally:
        driver.quit()
    json.dump(result, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
