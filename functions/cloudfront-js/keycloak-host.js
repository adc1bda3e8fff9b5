// keycloak-host for CloudFront Functions (cloudfront-js-2.0, viewer-request): the decisions
// of functions/keycloak-host/src/lib.rs (host allow-list, path guard, forwarding headers)
// with the protocol https by construction (viewer protocol policy redirect-to-https or
// https-only). Host := the origin's domain is the origin request policy's job here
// (AllViewerExceptHostHeader): Host is read-only in viewer-request. The path guard is
// edge::path (docs/path-guard.md): a path is forwarded only when every reading a server
// behind CloudFront could make of it stays public. PRIVATE_PREFIXES is baked in from Rust.

// Refused (400) before any reading: Keycloak's URLs never contain them (keycloak-host's
// NEVER_IN_KEYCLOAK_PATHS). Needles are lowercase; matched ASCII case-insensitively.
let SLASH = "Encoded '/' or '\\' in the path is not accepted.";
let PARAM = " (a path parameter) is not used by Keycloak's URLs.";
let NEVER = [
  [';', "';'" + PARAM],
  ['%3b', "An encoded ';'" + PARAM],
  ['%25', "An encoded '%' means something only to a server that decodes twice."],
  ['%2f', SLASH],
  ['%5c', SLASH],
  ['\\', "'\\' in the path is not accepted."]
];
let CONTROL = /[\x00-\x1f\x7f-\x9f]/;

// Absolute, well-formed escapes, no control character (edge::path's check_syntax).
let syntaxOk = uri => uri.charAt(0) === '/' && !/%(?![0-9a-fA-F]{2})/.test(uri) && !CONTROL.test(uri);

// Decodes every well-formed escape once (a lone '%' stays); null when the bytes are not UTF-8
// or decode to a control character. decodeURIComponent refuses what Rust's from_utf8 refuses
// (overlong forms, surrogates), and literal characters are whole UTF-8 sequences already.
function decode(text) {
  try {
    let decoded = decodeURIComponent(text.replace(/%(?![0-9a-fA-F]{2})/g, '%25'));
    return CONTROL.test(decoded) ? null : decoded;
  } catch (e) {
    return null;
  }
}

// Drops `;…` up to the next '/' in every segment (servlet path parameters).
let stripParams = text => text.split('/').map(segment => segment.split(';')[0]).join('/');

// Merges slashes and removes dot segments (RFC 3986 section 5.2.4); keeps a trailing '/'.
function resolve(path) {
  let segments = [];
  path.split('/').slice(1).forEach(segment => {
    if (segment === '..') segments.pop();
    else if (segment !== '.' && segment !== '') segments.push(segment);
  });
  let out = segments.length ? '/' + segments.join('/') : '';
  return out === '' || (/\/\.{0,2}$/.test(path) && segments.length) ? out + '/' : out;
}

// Every distinct reading of the path (edge::path::readings), or null when it cannot be read:
// decoded 0, 1 or 2 times, ';' parameters kept or dropped before or after decoding, '\' kept
// or read as '/', as is or resolved.
function readings(raw) {
  let once = decode(raw);
  let twice = once === null ? null : decode(once);
  let params = stripParams(raw);
  let paramsOnce = decode(params);
  let paramsTwice = paramsOnce === null ? null : decode(paramsOnce);
  if (twice === null || paramsTwice === null) return null;
  let out = [];
  [raw, once, twice, paramsOnce, paramsTwice, params, stripParams(once), stripParams(twice)].forEach(text => {
    let slashed = text.split('\\').join('/');
    [resolve(text), resolve(slashed), text, slashed].forEach(candidate => {
      if (out.indexOf(candidate) < 0) out.push(candidate);
    });
  });
  return out;
}

// Inside an allowed entry (a prefix ending in '/', or an exact path) and outside every
// private prefix (matched ASCII case-insensitively).
let allows = reading => CONFIG.allowed_paths.some(entry => /\/$/.test(entry) ? reading.startsWith(entry) : reading === entry) &&
  !PRIVATE_PREFIXES.some(prefix => asciiLower(reading.slice(0, prefix.length)) === asciiLower(prefix));

// No escape, parameter, backslash, dot segment or empty segment (but a trailing '/').
let isPlain = uri => !/[%;\\]/.test(uri) && uri.split('/').slice(1).every((segment, i, all) =>
  segment !== '.' && segment !== '..' && (segment !== '' || i === all.length - 1));

// null to forward, else the generated answer (keycloak-host's path_decision).
function pathAnswer(uri) {
  let lower = asciiLower(uri);
  let never = NEVER.find(entry => lower.indexOf(entry[0]) >= 0);
  if (never) return badRequest(never[1]);
  let notFound = textResponse(404, 'Not found.\n');
  if (syntaxOk(uri) && isPlain(uri)) return allows(uri) ? null : notFound;
  let all = syntaxOk(uri) ? readings(uri) : null;
  if (all === null) return badRequest('Malformed path: invalid percent-escape, UTF-8 or control character.');
  let allowed = all.filter(allows).length;
  if (allowed === 0) return notFound;
  return allowed === all.length ? null :
    badRequest("The path reads differently to different servers (escapes, dot segments, ';' or '\\'): not accepted.");
}

// The query string as one string: `k=v` pairs joined by '&', each value of a repeated key in
// order (CloudFront Functions hands the function a parsed object, not the raw string).
let queryString = query => Object.keys(query || {}).map(key =>
  (query[key].multiValue || [query[key]]).map(v => key + '=' + v.value).join('&')).join('&');

// C0 controls, DEL and non-ASCII percent-encoded as UTF-8 (percent_encoding's CONTROLS).
// Runs of them are encoded whole, so a surrogate pair is never split (no surrogate escapes
// in the pattern: the runtime keeps strings as UTF-8).
let encodeControls = text => text.replace(/[^\x20-\x7e]+/g, encodeURIComponent);

// A host outside public_hosts: 421, or a redirect to the canonical (first) host, 301 for
// GET/HEAD and 308 (keeps method and body) otherwise (edge::policy::https_url).
function unknownHost(request) {
  let canonical = parseHost(CONFIG.public_hosts[0]);
  if (CONFIG.unknown_host !== 'redirect-canonical' || canonical.error) {
    return textResponse(421, 'This host is not served here.\n');
  }
  let authority = /^(80|443)?$/.test(canonical.port || '') ? canonical.name : hostValue(canonical);
  let query = queryString(request.querystring);
  let location = 'https://' + authority + encodeControls(request.uri) + (query ? '?' + encodeControls(query) : '');
  let status = request.method === 'GET' || request.method === 'HEAD' ? 301 : 308;
  return answer(status, { location: { value: location }, 'cache-control': { value: 'no-store' } });
}

function handler(event) {
  let request = event.request;
  let host = viewerHost(request);
  if (host.error) return badRequest('Invalid Host header: ' + host.error + '.');
  if (!hostAllowed(CONFIG.public_hosts, host)) return unknownHost(request);
  return pathAnswer(request.uri) || forward(request, event.viewer.ip, host);
}
