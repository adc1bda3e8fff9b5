// The OpenID Connect provider of the browser login tests: npm `oidc-provider` (OpenID
// certified) standing in for Keycloak, which cannot be installed on the test machine. It is
// shaped like Keycloak where the tests look: served under `/realms/<realm>/` (so that
// keycloak-host's path guard applies unchanged), Keycloak's endpoint paths
// (`/protocol/openid-connect/auth`, `/token`, `/certs`, ...), a username/password form with
// Keycloak's field ids, Keycloak's wording on its error page ("Invalid parameter:
// redirect_uri"), and — what matters behind CloudFront and an ALB — the issuer and every URL
// derived per request from the forwarding headers it is configured to trust, like Keycloak's
// `KC_PROXY_HEADERS` (keycloak.org guide "Configuring a reverse proxy"):
//   forwarded   RFC 7239 `Forwarded` only (first element's proto= and host=),
//   xforwarded  `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-Port` only,
//   none        no proxy header: the Host header and plain http.
// Keycloak's frontend URL is per request too: the realm's issuer is whatever URL the request
// was made to as seen through the trusted headers; so this server keeps one Provider per
// frontend URL, all sharing keys, clients and storage.
//
// Configuration (environment):
//   IDP_PORT            port on 127.0.0.1 (required)
//   IDP_PROXY_HEADERS   forwarded | xforwarded | none (default forwarded)
//   IDP_REALM           realm name (default mcp-gateway)
//   IDP_CLIENT_ID       client id (default mcp-gateway-web)
//   IDP_CLIENT_SECRET   client secret (default dev-secret-not-for-production)
//   IDP_REDIRECT_URIS   the client's registered redirect URIs, comma-separated (required)
//   IDP_USERS           user:password pairs, comma-separated (default alice:wonderland)
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const env = (name, fallback) => {
  const value = process.env[name];
  if (value === undefined || value === '') {
    if (fallback === undefined) {
      console.error(`idp: ${name} is required`);
      process.exit(2);
    }
    return fallback;
  }
  return value;
};

const PORT = Number(env('IDP_PORT'));
const MODE = env('IDP_PROXY_HEADERS', 'forwarded');
const REALM = env('IDP_REALM', 'mcp-gateway');
const CLIENT_ID = env('IDP_CLIENT_ID', 'mcp-gateway-web');
const CLIENT_SECRET = env('IDP_CLIENT_SECRET', 'dev-secret-not-for-production');
const REDIRECT_URIS = env('IDP_REDIRECT_URIS').split(',').map((u) => u.trim()).filter(Boolean);
const USERS = new Map(
  env('IDP_USERS', 'alice:wonderland').split(',').map((pair) => {
    const at = pair.indexOf(':');
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const PREFIX = `/realms/${REALM}`;

if (!['forwarded', 'xforwarded', 'none'].includes(MODE)) {
  console.error(`idp: IDP_PROXY_HEADERS must be forwarded, xforwarded or none, not ${MODE}`);
  process.exit(2);
}

// One signing key and one set of cookie keys for every frontend URL: a token issued through
// one URL verifies through any other, as with one Keycloak realm.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const JWK = { ...privateKey.export({ format: 'jwk' }), kid: 'edgekit-test', use: 'sig', alg: 'RS256' };
const COOKIE_KEYS = [randomBytes(32).toString('hex')];

// --- The frontend URL from the trusted headers -------------------------------------------

/** The first element of an RFC 7239 `Forwarded` header as a map of lowercase keys. */
function forwardedElement(header) {
  const element = {};
  if (!header) return element;
  // RFC 7239 section 4: elements separated by `,`, pairs by `;`, values token or quoted.
  const first = header.split(',')[0];
  for (const pair of first.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const key = pair.slice(0, eq).trim().toLowerCase();
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    element[key] = value;
  }
  return element;
}

const firstValue = (header) => (header ? String(header).split(',')[0].trim() : '');

/** `host[:port]` without the port when it is the scheme's default. */
function authority(scheme, host, port) {
  const bare = host.replace(/:\d+$/, '');
  const effective = port || (host.match(/:(\d+)$/) || [])[1] || '';
  const isDefault = (scheme === 'https' && effective === '443') || (scheme === 'http' && effective === '80');
  return effective && !isDefault ? `${bare}:${effective}` : bare;
}

/** The scheme and authority this request's frontend URL has, per IDP_PROXY_HEADERS. */
export function frontend(headers, mode = MODE) {
  const direct = { scheme: 'http', host: headers.host || `127.0.0.1:${PORT}` };
  if (mode === 'forwarded') {
    // Quarkus (Keycloak's HTTP layer) reads the first element: proto= and host=.
    const element = forwardedElement(headers.forwarded);
    const scheme = (element.proto || direct.scheme).toLowerCase();
    return { scheme, host: authority(scheme, element.host || direct.host, '') };
  }
  if (mode === 'xforwarded') {
    // X-Forwarded-Port replaces the port of X-Forwarded-Host, as in Quarkus; behind an HTTP
    // ALB that is the listener's 80 (ELB guide, "X-Forwarded headers").
    const scheme = (firstValue(headers['x-forwarded-proto']) || direct.scheme).toLowerCase();
    const host = firstValue(headers['x-forwarded-host']) || direct.host;
    return { scheme, host: authority(scheme, host, firstValue(headers['x-forwarded-port'])) };
  }
  return direct;
}

// --- The provider, one per frontend URL ---------------------------------------------------

const providers = new Map();

function configuration() {
  return {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: REDIRECT_URIS,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: { keys: [JWK] },
    cookies: { keys: COOKIE_KEYS },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    features: { devInteractions: { enabled: false } },
    // Keycloak puts the scopes' claims in the ID token too.
    conformIdTokenClaims: false,
    ttl: { Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600, AccessToken: 300, AuthorizationCode: 60, IdToken: 300 },
    // Keycloak's endpoint paths, so URLs look as they do in a real deployment.
    routes: {
      authorization: '/protocol/openid-connect/auth',
      token: '/protocol/openid-connect/token',
      userinfo: '/protocol/openid-connect/userinfo',
      jwks: '/protocol/openid-connect/certs',
      end_session: '/protocol/openid-connect/logout',
      revocation: '/protocol/openid-connect/revoke',
      introspection: '/protocol/openid-connect/token/introspect',
    },
    interactions: { url: (ctx, interaction) => `${PREFIX}/login-actions/${interaction.uid}` },
    findAccount: (ctx, sub) => ({
      accountId: sub,
      claims: () => ({
        sub,
        preferred_username: sub,
        name: sub.charAt(0).toUpperCase() + sub.slice(1),
        email: `${sub}@example.com`,
        email_verified: true,
      }),
    }),
    // A first-party client: no consent screen, like Keycloak's default for such clients.
    loadExistingGrant: async (ctx) => {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
      if (grantId) return oidc.provider.Grant.find(grantId);
      const grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(out);
    },
  };
}

async function providerFor(issuer) {
  let provider = providers.get(issuer);
  if (!provider) {
    provider = new Provider(issuer, configuration());
    // The frontend was computed from the trusted headers below and handed over as
    // X-Forwarded-Proto/-Host; only this process sets them (the client's are replaced).
    provider.proxy = true;
    providers.set(issuer, provider);
  }
  return provider;
}

// --- Pages --------------------------------------------------------------------------------

const escape = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;background:#f0f0f0;margin:0}main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-top:4px solid #0066cc}
h1{font-size:1.3rem}label{display:block;margin-top:1rem}input{width:100%;padding:.4rem;box-sizing:border-box}
button{margin-top:1.5rem;padding:.5rem 1.5rem;background:#0066cc;color:#fff;border:0}.realm{color:#666;font-size:.9rem}
.alert{background:#fde8e8;border-left:4px solid #c00;padding:.6rem}</style></head>
<body><main><div class="realm">realm ${escape(REALM)} · edgekit test IdP (oidc-provider)</div>${body}</main></body></html>`;
}

function loginPage(uid, issuer, message) {
  const alert = message ? `<p class="alert" id="input-error">${escape(message)}</p>` : '';
  return page('Sign in to mcp-gateway', `<h1 id="kc-page-title">Sign in to your account</h1>${alert}
<form id="kc-form-login" method="post" action="${PREFIX}/login-actions/${escape(uid)}">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<button id="kc-login" type="submit">Sign In</button></form>
<p class="realm" id="issuer">issuer ${escape(issuer)}</p>`);
}

// Keycloak answers an unknown redirect_uri with "Invalid parameter: redirect_uri" on its
// error page; the OAuth error code stays visible for the tests.
function errorPage(out) {
  const keycloak = out.error === 'invalid_redirect_uri' ? 'Invalid parameter: redirect_uri' : out.error_description;
  return page('Error', `<h1 id="kc-page-title">We are sorry...</h1>
<p class="alert" id="kc-error-message">${escape(keycloak)}</p>
<p>error: <code id="oauth-error">${escape(out.error)}</code></p>
<p>error_description: <code id="oauth-error-description">${escape(out.error_description)}</code></p>`);
}

// --- The login form (Keycloak's login-actions) ----------------------------------------------

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function loginActions(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    return send(res, 200, loginPage(details.uid, provider.issuer));
  }
  const form = await readForm(req);
  const username = form.get('username') || '';
  if (USERS.get(username) !== (form.get('password') || '') || !USERS.has(username)) {
    return send(res, 200, loginPage(details.uid, provider.issuer, 'Invalid username or password.'));
  }
  return provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

// --- The server -----------------------------------------------------------------------------

async function handle(req, res) {
  const url = new URL(req.url, 'http://idp.invalid');
  if (url.pathname !== PREFIX && !url.pathname.startsWith(`${PREFIX}/`)) {
    return send(res, 404, page('Not found', '<h1>Page not found</h1>'));
  }
  const { scheme, host } = frontend(req.headers);
  // Only the headers this mode trusts decide; hand the result to Koa (provider.proxy) in
  // the two headers it reads, replacing whatever the client sent in them.
  delete req.headers.forwarded;
  delete req.headers['x-forwarded-port'];
  req.headers['x-forwarded-proto'] = scheme;
  req.headers['x-forwarded-host'] = host;
  const issuer = `${scheme}://${host}${PREFIX}`;
  const provider = await providerFor(issuer);
  if (url.pathname.startsWith(`${PREFIX}/login-actions/`)) {
    return loginActions(provider, req, res);
  }
  // Mounted like Express does it: oidc-provider takes the mount path from originalUrl.
  req.originalUrl = req.url;
  req.url = req.url.slice(PREFIX.length) || '/';
  return provider.callback()(req, res);
}

const server = createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(`idp: ${req.method} ${req.url}: ${err.stack || err}`);
    if (!res.headersSent) send(res, 400, errorPage({ error: err.error || 'server_error', error_description: err.error_description || err.message }));
  });
});
server.listen(PORT, '127.0.0.1', () => {
  console.error(`idp: realm ${REALM} on http://127.0.0.1:${PORT}${PREFIX}/ (proxy headers: ${MODE}; redirect URIs: ${REDIRECT_URIS.join(' ')})`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
