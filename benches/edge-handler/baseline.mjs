// Baseline for the benchmarks: the plain-JavaScript Lambda@Edge origin-request handler a
// user would otherwise write for the forwarded-proto policy (default config), by hand.
// It follows the same rules as functions/forwarded-proto (see that crate for the sources):
// viewer protocol from CloudFront-Forwarded-Proto (missing → 500, malformed → 400), Host
// validated (→ 400), http viewer → 301 for GET/HEAD else 403, client forwarding headers
// stripped, then X-Cloudfront-Forwarded-Proto, Forwarded (RFC 7239), X-Forwarded-Host and
// X-Forwarded-Port injected. Never X-Forwarded-Proto: it is disallowed at the edge
// [CloudFront Developer Guide, "Restrictions on all edge functions"].
import { isIP } from "node:net";

const STRIP = [
  "x-forwarded-host",
  "x-forwarded-port",
  "x-forwarded-server",
  "x-forwarded-prefix",
  "forwarded",
  "x-cloudfront-forwarded-proto",
  "x-original-url",
  "x-rewrite-url",
];
const POLICY = "AllViewerAndCloudFrontHeaders-2022-06 (id 33f36d7e-f396-46d9-90e0-52428a34d9dc)";
const REG_NAME = /^[a-z0-9]([a-z0-9-]{0,62})(\.[a-z0-9]([a-z0-9-]{0,62}))*\.?$/i;
const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

function text(status, description, body) {
  return {
    status: String(status),
    statusDescription: description,
    headers: {
      "content-type": [{ key: "Content-Type", value: "text/plain; charset=utf-8" }],
      "cache-control": [{ key: "Cache-Control", value: "no-store" }],
    },
    body,
    bodyEncoding: "text",
  };
}

// Host: reg-name or IP literal, optional port; null when malformed.
function parseHost(value) {
  if (!value || value.length > 259 || /[\s,@"'\\/?#;=\u0000-\u001f\u007f-\uffff]/.test(value)) return null;
  let name = value;
  let port = null;
  const v6 = value.startsWith("[");
  const colon = v6 ? value.indexOf("]:") + 1 : value.lastIndexOf(":");
  if (colon > 0) {
    const digits = value.slice(colon + 1);
    if (!/^[0-9]{1,5}$/.test(digits) || Number(digits) > 65535 || Number(digits) === 0) return null;
    port = Number(digits);
    name = value.slice(0, colon);
  }
  if (!name || name.length > 253) return null;
  if (v6) {
    if (!name.endsWith("]") || isIP(name.slice(1, -1)) !== 6) return null;
  } else if (/^[0-9.]+$/.test(name)) {
    if (isIP(name) !== 4) return null;
  } else if (!REG_NAME.test(name)) {
    return null;
  }
  return { name: name.toLowerCase(), port };
}

function quote(value) {
  return TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, "\\$&")}"`;
}

function set(headers, key, value) {
  headers[key.toLowerCase()] = [{ key, value }];
}

export const handler = async (event) => {
  const request = event.Records[0].cf.request;
  const headers = request.headers;
  const protoValues = headers["cloudfront-forwarded-proto"];
  if (!protoValues || protoValues.length === 0) {
    return text(500, "Internal Server Error",
      `edgekit: CloudFront-Forwarded-Proto is missing from the origin request. Attach the origin request policy ${POLICY}, or one that includes the CloudFront-Forwarded-Proto header, to this cache behavior.\n`);
  }
  const proto = protoValues.length === 1 ? protoValues[0].value.toLowerCase() : "";
  if (proto !== "http" && proto !== "https") {
    return text(400, "Bad Request", "CloudFront-Forwarded-Proto must be exactly one of http, https.\n");
  }
  const hostValues = headers.host;
  const host = hostValues && hostValues.length === 1 ? parseHost(hostValues[0].value) : null;
  if (!host) return text(400, "Bad Request", "Invalid Host header.\n");
  const hostValue = host.port === null ? host.name : `${host.name}:${host.port}`;
  if (proto === "http") {
    if (request.method === "GET" || request.method === "HEAD") {
      const shown = host.port === null || host.port === 80 || host.port === 443 ? host.name : hostValue;
      const query = request.querystring ? `?${request.querystring}` : "";
      return {
        status: "301",
        statusDescription: "Moved Permanently",
        headers: {
          location: [{ key: "Location", value: `https://${shown}${request.uri}${query}` }],
          "cache-control": [{ key: "Cache-Control", value: "no-store" }],
        },
      };
    }
    return text(403, "Forbidden", "HTTPS is required: resend this request over https.\n");
  }
  for (const name of STRIP) delete headers[name];
  const ipKind = isIP(request.clientIp);
  const forNode = ipKind === 4 ? request.clientIp : ipKind === 6 ? `"[${request.clientIp}]"` : "unknown";
  set(headers, "X-Cloudfront-Forwarded-Proto", proto);
  set(headers, "Forwarded", `for=${forNode};host=${quote(hostValue)};proto=${proto}`);
  set(headers, "X-Forwarded-Host", hostValue);
  set(headers, "X-Forwarded-Port", String(host.port ?? (proto === "https" ? 443 : 80)));
  return request;
};
