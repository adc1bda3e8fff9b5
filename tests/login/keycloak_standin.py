"""A stand-in for Keycloak's own pages in the `edgekit doctor` tests (Keycloak itself cannot be
installed on the test machine). It answers only what doctor looks at, the way Keycloak's
documentation and source describe it (docs/doctor.md, "Keycloak"):

- `/realms/<realm>/.well-known/openid-configuration`: the issuer is the frontend URL Keycloak
  computes per request: with no proxy headers parsed (Keycloak's default), the request's own
  scheme and Host, so `http://<internal host:port>/realms/<realm>` behind a proxy; with
  `--proxy-headers xforwarded`, X-Forwarded-Proto and X-Forwarded-Host (keycloak.org guide
  "Configuring a reverse proxy").
- `/realms/<realm>/protocol/openid-connect/auth`: checks in Keycloak's order
  (AuthorizationEndpoint: SSL first, then the client, then the redirect URI), each failure on
  Keycloak's error page ("We are sorry..." and the login theme's message: `httpsRequiredMessage`
  "HTTPS required", `clientNotFoundMessage` "Client not found.", `invalidParameterMessage`
  "Invalid parameter: redirect_uri"), status 400 as Keycloak's ErrorPageException sends;
  otherwise the login form ("Sign in to your account").
- `/admin/` (302 to the console), `/metrics`, `/health`: answered only with `--expose`, as
  when the whole of Keycloak (and its management interface) is published.

`--ssl-required all` stands for a realm whose "Require SSL" applies to this client: Keycloak's
default "external requests" exempts loopback and private addresses, and every test client is
on loopback.

Run: python3 keycloak_standin.py --port N [--realm R] [--client-id C] [--redirect-uri URI]...
     [--proxy-headers none|xforwarded] [--ssl-required none|all] [--expose]
"""

from __future__ import annotations

import argparse
import html
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--realm", default="mcp-gateway")
    p.add_argument("--client-id", default="mcp-gateway-web")
    p.add_argument("--redirect-uri", action="append", default=[])
    p.add_argument("--proxy-headers", choices=["none", "xforwarded"], default="none")
    p.add_argument("--ssl-required", choices=["none", "all"], default="none")
    p.add_argument("--expose", action="store_true")
    return p.parse_args()


ARGS = parse_args()
PREFIX = f"/realms/{ARGS.realm}"


def page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f'<body><div id="kc-header">{html.escape(ARGS.realm)}</div>{body}</body></html>'
    ).encode()


def error_page(message: str) -> bytes:
    # Keycloak's login theme error.ftl: the errorTitle header and the message summary.
    return page(
        "We are sorry...",
        f'<h1 id="kc-page-title">We are sorry...</h1><p id="instruction1" class="instruction">{html.escape(message)}</p>',
    )


def redirect_allowed(uri: str) -> bool:
    # Keycloak's RedirectUtils: exact match, or a registered pattern ending in `*`.
    return any(uri == v or (v.endswith("*") and uri.startswith(v[:-1])) for v in ARGS.redirect_uri)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet
        pass

    def frontend(self) -> tuple[str, str]:
        scheme, host = "http", self.headers.get("host", f"127.0.0.1:{ARGS.port}")
        if ARGS.proxy_headers == "xforwarded":
            scheme = (self.headers.get("x-forwarded-proto") or scheme).split(",")[0].strip()
            host = (self.headers.get("x-forwarded-host") or host).split(",")[0].strip()
        return scheme, host

    def send(self, status: int, body: bytes, content_type: str = "text/html;charset=utf-8", location: str = "") -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        if location:
            self.send_header("location", location)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        scheme, host = self.frontend()
        issuer = f"{scheme}://{host}{PREFIX}"
        if url.path == f"{PREFIX}/.well-known/openid-configuration":
            doc = {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/protocol/openid-connect/auth",
                "token_endpoint": f"{issuer}/protocol/openid-connect/token",
                "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
            return self.send(200, json.dumps(doc).encode(), "application/json")
        if url.path == f"{PREFIX}/protocol/openid-connect/auth":
            return self.authorize(scheme, parse_qs(url.query))
        if ARGS.expose and url.path in ("/admin", "/admin/"):
            return self.send(302, b"", location="/admin/master/console/")
        if ARGS.expose and url.path == "/metrics":
            return self.send(200, b"# HELP jvm_info JVM version info\n", "text/plain")
        if ARGS.expose and url.path.startswith("/health"):
            return self.send(200, b'{"status":"UP","checks":[]}', "application/json")
        return self.send(404, page("Page not found", "<h1>Page not found</h1>"))

    def authorize(self, scheme: str, query: dict) -> None:
        if ARGS.ssl_required == "all" and scheme != "https":
            return self.send(400, error_page("HTTPS required"))
        if query.get("client_id", [""])[0] != ARGS.client_id:
            return self.send(400, error_page("Client not found."))
        if not redirect_allowed(query.get("redirect_uri", [""])[0]):
            return self.send(400, error_page("Invalid parameter: redirect_uri"))
        return self.send(200, page(f"Sign in to {ARGS.realm}", '<h1 id="kc-page-title">Sign in to your account</h1>'))


ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler).serve_forever()
