"""The relying party of the browser login tests: a small Starlette + Authlib app with the
reference deployment's rules (an MCP gateway registry behind CloudFront and an HTTP ALB).

- Login through the realm `mcp-gateway` as client `mcp-gateway-web`, callback
  `/oauth2/callback/keycloak`, response mode `form_post` (the IdP posts the code back from its
  own site, a cross-site POST), PKCE S256.
- The scheme it runs under is detected the way the reference app does it:
  `X-Cloudfront-Forwarded-Proto` first, else what uvicorn's `--proxy-headers` made of
  `X-Forwarded-Proto`. The redirect URI is built from that scheme and the Host header.
- The session cookie (Authlib keeps the login's state, nonce and PKCE verifier in it, then
  the user) is `Secure` only when the detected scheme is https, and `SameSite=None` because
  the form_post callback is a cross-site POST. Browsers refuse `SameSite=None` without
  `Secure` (RFC 6265bis "The SameSite attribute"; Chrome since version 80), so an app that
  detects http behind CloudFront loses its session right at login.

Environment: APP_ISSUER (the IdP's public issuer URL, through the Keycloak distribution),
APP_CA_FILE (the CA that signs that URL's certificate: `edgekit dev --print-ca`),
APP_CLIENT_ID, APP_CLIENT_SECRET, APP_SESSION_SECRET, APP_TRUST_FORWARDED_HOST (1: the public host
from X-Forwarded-Host, a deliberate mistake for the doctor tests), APP_PUBLIC_HOST (when set, the
public host instead of the Host header; empty reproduces `https:/oauth2/callback/keycloak`).

Run: uvicorn app:app --app-dir tests/login --proxy-headers --forwarded-allow-ips '*'
"""

from __future__ import annotations

import html
import json
import os
import ssl
from base64 import b64decode, b64encode

import itsdangerous
from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

ISSUER = os.environ["APP_ISSUER"].rstrip("/")
CA_FILE = os.environ.get("APP_CA_FILE") or None
CLIENT_ID = os.environ.get("APP_CLIENT_ID", "mcp-gateway-web")
CLIENT_SECRET = os.environ.get("APP_CLIENT_SECRET", "dev-secret-not-for-production")
SESSION_SECRET = os.environ.get("APP_SESSION_SECRET", "dev-session-secret-not-for-production")
SESSION_COOKIE = "mcp_gateway_session"
CALLBACK = "/oauth2/callback/keycloak"
# The doctor tests' broken app: take the public host from a viewer's X-Forwarded-Host (the
# host-header-injection mistake). Off by default.
TRUST_FORWARDED_HOST = os.environ.get("APP_TRUST_FORWARDED_HOST") == "1"
# The doctor tests' other broken app: a public host setting (used instead of the Host header
# when set) that is empty, joined as `<scheme>:` + `//host` + path: the guide's symptom
# `https:/oauth2/callback/keycloak`. Unset by default.
PUBLIC_HOST = os.environ.get("APP_PUBLIC_HOST")


def detected_scheme(headers) -> tuple[str, str]:
    """The scheme the app believes it serves, and which header said so."""
    cloudfront = headers.get("x-cloudfront-forwarded-proto", "").strip().lower()
    if cloudfront in ("http", "https"):
        return cloudfront, "X-Cloudfront-Forwarded-Proto"
    return "", "X-Forwarded-Proto (uvicorn --proxy-headers)"


def scheme_of(conn: HTTPConnection) -> tuple[str, str]:
    scheme, source = detected_scheme(conn.headers)
    return (scheme or conn.url.scheme), source


class SchemeAwareSession:
    """Starlette's signed-cookie session, except that `Secure` follows the detected scheme
    per request (the reference app's rule) and `SameSite=None` always."""

    def __init__(self, app) -> None:
        self.app = app
        self.signer = itsdangerous.TimestampSigner(SESSION_SECRET)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        scope["session"] = self.load(conn.cookies.get(SESSION_COOKIE))
        had_session = bool(scope["session"])
        secure = scheme_of(conn)[0] == "https"

        async def send_wrapper(message) -> None:
            if message["type"] == "http.response.start" and (scope["session"] or had_session):
                headers = MutableHeaders(scope=message)
                headers.append("Set-Cookie", self.cookie(scope["session"], secure))
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def load(self, raw: str | None) -> dict:
        if not raw:
            return {}
        try:
            return json.loads(b64decode(self.signer.unsign(raw.encode(), max_age=3600)))
        except (itsdangerous.BadSignature, ValueError):
            return {}

    def cookie(self, session: dict, secure: bool) -> str:
        value = self.signer.sign(b64encode(json.dumps(session).encode())).decode() if session else ""
        attributes = ["Path=/", "HttpOnly", "SameSite=None"]
        if secure:
            attributes.append("Secure")
        if not session:
            attributes.append("Max-Age=0")
        return "; ".join([f"{SESSION_COOKIE}={value}", *attributes])


oauth = OAuth()
oauth.register(
    name="keycloak",
    server_metadata_url=f"{ISSUER}/.well-known/openid-configuration",
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
    client_kwargs={
        "scope": "openid email profile",
        "code_challenge_method": "S256",
        "token_endpoint_auth_method": "client_secret_post",
        "verify": ssl.create_default_context(cafile=CA_FILE) if CA_FILE else True,
    },
)


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:0;background:#f6f8fa}}header{{background:#24292f;color:#fff;padding:.8rem 1.5rem}}
main{{max-width:40rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border:1px solid #ddd}}
.ok{{color:#1a7f37}}.bad{{color:#cf222e}}code{{background:#eee;padding:0 .2rem}}td{{padding:.15rem .6rem}}</style></head>
<body><header>MCP Gateway Registry · edgekit login demo</header><main>{body}</main></body></html>""",
        status_code=status,
        headers={"cache-control": "no-store"},
    )


def facts(request: Request) -> str:
    scheme, source = scheme_of(request)
    cls = "ok" if scheme == "https" else "bad"
    return (
        f'<table><tr><td>scheme the app detected</td><td id="scheme" class="{cls}">{scheme}</td></tr>'
        f"<tr><td>from</td><td>{html.escape(source)}</td></tr>"
        f'<tr><td>host</td><td id="host">{html.escape(request.headers.get("host", ""))}</td></tr>'
        f'<tr><td>session cookie</td><td id="cookie-attrs">Path=/; HttpOnly; SameSite=None'
        f'{"; Secure" if scheme == "https" else " (no Secure: browsers refuse it)"}</td></tr></table>'
    )


async def home(request: Request):
    user = request.session.get("user")
    if not user:
        # Every page of the registry needs a login: off to the IdP.
        return RedirectResponse("/login", status_code=302)
    user = {k: v or "" for k, v in user.items()}
    name = html.escape(user.get("name") or user.get("preferred_username") or user.get("sub", ""))
    return page(
        "Logged in",
        f'<h1 id="status" class="ok">Logged in as {name}</h1>'
        f'<p>user <code id="username">{html.escape(user.get("preferred_username", ""))}</code>, '
        f'issuer <code id="issuer">{html.escape(user.get("iss", ""))}</code></p>'
        f'{facts(request)}<p><a id="logout" href="/logout">Log out</a></p>',
    )


async def login(request: Request):
    scheme, _ = scheme_of(request)
    host = request.headers.get("host", "")
    if TRUST_FORWARDED_HOST:
        host = request.headers.get("x-forwarded-host", host)
    redirect_uri = f"{scheme}://{host}{CALLBACK}"
    if PUBLIC_HOST is not None:
        redirect_uri = f"{scheme}:{'//' + PUBLIC_HOST if PUBLIC_HOST else ''}{CALLBACK}"
    return await oauth.keycloak.authorize_redirect(request, redirect_uri, response_mode="form_post")


async def callback(request: Request):
    try:
        token = await oauth.keycloak.authorize_access_token(request)
    except OAuthError as err:
        # The classic "logged out right after login": the state lived in a cookie the browser
        # refused, so the callback cannot match it.
        return page(
            "Login failed",
            f'<h1 id="status" class="bad">Not logged in: the login failed</h1>'
            f'<p id="error">{html.escape(err.error or "")}: {html.escape(err.description or "")}</p>'
            f'{facts(request)}<p><a href="/">home</a></p>',
            status=400,
        )
    claims = token.get("userinfo") or {}
    request.session.clear()
    request.session["user"] = {k: claims.get(k) for k in ("sub", "name", "preferred_username", "email", "iss")}
    return RedirectResponse("/", status_code=303)


async def logout(request: Request):
    request.session.clear()
    return RedirectResponse("/", status_code=303)


app = SchemeAwareSession(
    Starlette(
        routes=[
            Route("/", home),
            Route("/login", login),
            Route(CALLBACK, callback, methods=["GET", "POST"]),
            Route("/logout", logout),
        ]
    )
)
