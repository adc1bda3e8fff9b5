// edgekit's shared code for CloudFront Functions (cloudfront-js-2.0, viewer-request).
// A port of the Rust core (functions/edge/src/{host,forwarded,forwarding,policy,path}.rs):
// every decision here must equal the Rust core's, which the differential test checks.
// `edgekit package --runtime cloudfront-js-2.0` concatenates, in this order: the constants
// it bakes in (CONFIG, STRIPPED, PROTO_HEADER and the function's own), this file, then the
// function's file, and strips comments and blanks (the 10 KB code limit).
// Only features listed in "JavaScript runtime 2.0 features for CloudFront Functions" are
// used: let, arrow functions, regular expressions, no for-of, spread or destructuring, and
// codePointAt (charCodeAt is not listed). Every statement ends with ';' (the generator
// joins lines). Facts and sources: docs/cloudfront-functions.md.

// ---- strings ----------------------------------------------------------------------------

// Lowercases A-Z only (toLowerCase is Unicode-aware; Rust's eq_ignore_ascii_case is not).
let asciiLower = text => text.replace(/[A-Z]+/g, upper => upper.toLowerCase());

let inList = (list, name) => list.some(entry => asciiLower(entry) === asciiLower(name));

// Rust's `{:?}` of a char, as in HostError::ForbiddenChar's message.
function charDebug(c) {
  let named = { '\0': '0', '\t': 't', '\r': 'r', '\n': 'n', '\\': '\\', "'": "'" };
  let code = c.codePointAt(0);
  if (named[c]) return "'\\" + named[c] + "'";
  if (code < 32 || (code > 126 && code < 160) || code === 173) return "'\\u{" + code.toString(16) + "}'";
  return "'" + c + "'";
}

// ---- IP addresses (Rust's core::net parser and Ipv6Addr Display) -------------------------

// One IPv4 octet: 1 to 3 digits, no leading zero, at most 255.
let octet = digits => /^(0|[1-9][0-9]{0,2})$/.test(digits) && +digits < 256;

let isIpv4 = text => {
  let parts = text.split('.');
  return parts.length === 4 && parts.every(octet);
};

// The 8 groups of an IPv6 address, or null: a port of core::net's read_ipv6_addr (groups
// of 1-4 hex digits, one '::', an IPv4 in the last 32 bits, nothing else).
function parseIpv6(text) {
  let at = 0;
  let separator = i => i === 0 || (text.charAt(at) === ':' && ++at > 0);
  // Reads up to `limit` groups: [groups, whether an embedded IPv4 ended them].
  function groups(limit) {
    let out = [];
    for (let i = 0; i < limit; i++) {
      let start = at;
      if (i < limit - 1 && separator(i)) {
        let m = /^([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)/.exec(text.slice(at));
        if (m && [m[1], m[2], m[3], m[4]].every(octet)) {
          at += m[0].length;
          out.push(m[1] * 256 + +m[2], m[3] * 256 + +m[4]);
          return [out, true];
        }
      }
      at = start;
      let m = separator(i) && /^[0-9a-fA-F]{1,5}/.exec(text.slice(at));
      if (!m || m[0].length > 4) {
        at = start;
        return [out, false];
      }
      out.push(parseInt(m[0], 16));
      at += m[0].length;
    }
    return [out, false];
  }
  let first = groups(8);
  let head = first[0];
  if (head.length === 8) return at === text.length ? head : null;
  if (first[1] || text.slice(at, at + 2) !== '::') return null;
  at += 2;
  let tail = groups(7 - head.length)[0];
  if (at !== text.length) return null;
  while (head.length + tail.length < 8) head.push(0);
  return head.concat(tail);
}

// RFC 5952 text, as Rust's Ipv6Addr Display writes it: IPv4-mapped as ::ffff:a.b.c.d, else
// the first longest run of two or more zero groups as '::'.
function formatIpv6(g) {
  let hex = list => list.map(n => n.toString(16)).join(':');
  if (hex(g.slice(0, 6)) === '0:0:0:0:0:ffff') {
    return '::ffff:' + [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255].join('.');
  }
  let best = [0, 0];
  let run = [0, 0];
  for (let i = 0; i < 8; i++) {
    run = g[i] ? [i + 1, 0] : [run[0], run[1] + 1];
    if (run[1] > best[1]) best = run;
  }
  return best[1] < 2 ? hex(g) : hex(g.slice(0, best[0])) + '::' + hex(g.slice(best[0] + best[1]));
}

// ---- Host (edge::host::parse_host, edge::policy) ----------------------------------------

let hostError = error => ({ error: error });
let INVALID = hostError('host is not a valid name or IP literal');
let EMPTY = hostError('host is empty');
let TOO_LONG = hostError('host is longer than 253 characters');
let forbidden = c => hostError('host contains a forbidden character ' + charDebug(c));

// DNS-style labels; the last label not a number (WHATWG URL parsers would read an IPv4).
function isRegName(name) {
  let bare = name.replace(/\.$/, '');
  let last = bare.slice(bare.lastIndexOf('.') + 1);
  return bare !== '' && !/^([0-9]+|0[xX][0-9a-fA-F]*)$/.test(last) &&
    bare.split('.').every(label => label.length <= 63 && /^\w([\w-]*\w)?$/.test(label));
}

// {name, port} or {error}: parse_host's checks in its order. The length check counts UTF-8
// bytes: encodeURIComponent writes each non-ASCII byte as one %XX.
function parseHost(value) {
  if (value === '') return EMPTY;
  if (encodeURIComponent(value).replace(/%../g, '.').length > 259) return TOO_LONG;
  let bad = /[\0\r\n\t ,@"'\\/?#;=\x00-\x1f\x7f-\x9f]|[^\x00-\x7f]/.exec(value);
  if (bad) {
    return forbidden(String.fromCodePoint(value.codePointAt(bad.index)));
  }
  let colon = value.lastIndexOf(':');
  if (value.charAt(0) === '[') {
    let end = value.indexOf(']');
    colon = end >= 0 && end + 1 < value.length ? end + 1 : -1;
  }
  let name = value;
  let port = null;
  if (colon >= 0) {
    name = value.slice(0, colon);
    let digits = value.slice(colon + 1);
    if (value.charAt(colon) !== ':') return INVALID;
    if (!/^[1-9][0-9]{0,4}$/.test(digits) || digits > 65535) return hostError('host has an invalid port');
    port = +digits;
  }
  if (name === '') return EMPTY;
  if (name.length > 253) return TOO_LONG;
  let literal = /^\[(.*)\]$/.exec(name);
  if (name.charAt(0) === '[' ? !literal || !parseIpv6(literal[1]) :
    /^[0-9.]*$/.test(name) ? !isIpv4(name) : !isRegName(name)) {
    return INVALID;
  }
  return { name: asciiLower(name.replace(/\.$/, '')), port: port };
}

let hostValue = host => host.port === null ? host.name : host.name + ':' + host.port;

// The viewer's Host: exactly one value (edge::policy::viewer_host).
function viewerHost(request) {
  let header = request.headers.host;
  if (!header) return EMPTY;
  if (header.multiValue && header.multiValue.length > 1) return forbidden(',');
  return parseHost(header.value);
}

// An allow-list entry matches by name, and by port when it names one; otherwise the viewer's
// port must be absent or https's 443 (edge::policy::host_allowed, protocol https).
let hostAllowed = (list, host) => list.some(entry => {
  let allowed = parseHost(entry);
  return !allowed.error && allowed.name === host.name &&
    (allowed.port !== null ? allowed.port === host.port : host.port === null || host.port === 443);
});

// ---- generated responses (edge::response) -------------------------------------------------

let REASONS = { 301: 'Moved Permanently', 308: 'Permanent Redirect', 400: 'Bad Request', 404: 'Not Found', 421: 'Misdirected Request' };

let answer = (status, headers, body) => {
  let response = { statusCode: status, statusDescription: REASONS[status], headers: headers };
  if (body !== undefined) response.body = body;
  return response;
};

let textResponse = (status, body) => answer(status, {
  'content-type': { value: 'text/plain; charset=utf-8' },
  'cache-control': { value: 'no-store' }
}, body);

let badRequest = message => textResponse(400, message + '\n');

// ---- forwarding (edge::forwarding, edge::forwarded, edge::policy::forward) --------------

// Whether a header is removed from the viewer's request: the defaults, less keep_headers,
// plus strip_headers.
let strips = name => (STRIPPED.indexOf(asciiLower(name)) >= 0 && !inList(CONFIG.keep_headers, name)) ||
  inList(CONFIG.strip_headers, name);

// RFC 7239 section 4: a token, or a quoted string with `"` and `\` escaped.
let quote = value => /^[\w!#$%&'*+.^`|~-]+$/.test(value) ? value : '"' + value.replace(/["\\]/g, '\\$&') + '"';

// The `for=` node: an IP address (IPv6 bracketed), anything else `unknown`.
function forNode(ip) {
  let groups = parseIpv6(ip);
  return isIpv4(ip) ? ip : groups ? '[' + formatIpv6(groups) + ']' : 'unknown';
}

// Strips the client's forwarding headers and injects ours. The protocol is https by
// construction: this runtime is attached only behind viewer protocol policy
// redirect-to-https or https-only. Host stays as it is (read-only in viewer-request).
function forward(request, viewerIp, host) {
  let headers = request.headers;
  Object.keys(headers).forEach(name => {
    if (strips(name)) delete headers[name];
  });
  // Cookies travel in their own object here, not in the headers.
  if (strips('cookie')) request.cookies = {};
  let value = hostValue(host);
  headers[asciiLower(PROTO_HEADER)] = { value: 'https' };
  headers.forwarded = { value: 'for=' + quote(forNode(viewerIp)) + ';host=' + quote(value) + ';proto=https' };
  headers['x-forwarded-host'] = { value: value };
  headers['x-forwarded-port'] = { value: String(host.port === null ? 443 : host.port) };
  return request;
}
