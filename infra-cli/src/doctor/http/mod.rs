//! `edgekit doctor`'s HTTP checks, which need no credentials: the app (reachability, nginx's
//! default page, the login redirect's redirect_uri, Secure cookies), Keycloak (issuer,
//! redirect URI, "HTTPS required", private paths), forwarded-host injection and TLS. Fetching
//! ([`probe`]) is apart from judging (the pure functions of [`app`], [`keycloak`],
//! [`injection`], [`tls`]), which are unit-tested without a network.
pub mod app;
pub mod injection;
pub mod keycloak;
pub mod probe;
pub mod tls;

use futures::future::join_all;
use reqwest::Url;

use super::check::CheckOutcome;
pub use super::check::CheckSpec;
use super::settings::Settings;
use app::LoginRedirect;
use probe::{Exchange, Prober};

/// Every HTTP check, in report order.
pub const ALL: &[CheckSpec] = &[
    app::REACHABILITY,
    app::NGINX_DEFAULT_PAGE,
    app::APP_REDIRECT_URI,
    app::APP_SECURE_COOKIE,
    keycloak::ISSUER,
    keycloak::REDIRECT_URI,
    keycloak::HTTPS_REQUIRED,
    keycloak::PRIVATE_PATHS,
    injection::HOST_HEADER_INJECTION,
    tls::TLS_CERTIFICATE,
];

/// The forged forwarding headers of `host-header-injection` (`.invalid` never resolves:
/// RFC 2606).
pub const SPOOFED_HOST: &str = "doctor-spoofed.invalid";
const SPOOF_HEADERS: &[(&str, &str)] = &[
    ("x-forwarded-host", SPOOFED_HOST),
    ("forwarded", "host=doctor-spoofed.invalid;proto=https"),
];

/// How many same-site redirects the login walk follows before giving up.
const MAX_LOGIN_HOPS: usize = 5;

/// Runs every HTTP check, concurrently; `Err` only when no client can be built (a CA file the
/// TLS stack refuses).
pub async fn run(s: &Settings) -> Result<Vec<CheckOutcome>, String> {
    let prober = Prober::new(s.ca_file.clone(), s.timeout)?;
    let known_kc = s.keycloak.clone();
    let (apps, kc_static) = tokio::join!(
        join_all(s.apps.iter().map(|app| app_flow(&prober, s, app))),
        async {
            match &known_kc {
                Some(kc) => Some(keycloak_static(&prober, s, kc).await),
                None => None,
            }
        }
    );
    let redirects: Vec<(&Url, Option<LoginRedirect>)> = s
        .apps
        .iter()
        .zip(apps.iter().map(|a| a.redirect.clone()))
        .collect();
    let mut outcomes: Vec<CheckOutcome> = apps.into_iter().flat_map(|a| a.outcomes).collect();
    let kc = known_kc.or_else(|| {
        redirects
            .iter()
            .find_map(|(_, r)| r.as_ref().and_then(app::keycloak_base))
    });
    match kc {
        Some(kc) => {
            let (statics, auth) = tokio::join!(
                async {
                    match kc_static {
                        Some(done) => done,
                        None => keycloak_static(&prober, s, &kc).await,
                    }
                },
                keycloak_auth(&prober, s, &kc, &redirects)
            );
            outcomes.extend(statics);
            outcomes.extend(auth);
        }
        None => outcomes.extend(keycloak_skipped(
            "no Keycloak URL: give --keycloak-url (or --deployment), or a --url whose login redirects to Keycloak",
        )),
    }
    if s.apps.is_empty() {
        outcomes.extend(app_skipped("no app URL: give --url or --deployment"));
    }
    Ok(outcomes)
}

/// What one app URL's probes found.
struct AppFlow {
    outcomes: Vec<CheckOutcome>,
    redirect: Option<LoginRedirect>,
}

async fn app_flow(prober: &Prober, s: &Settings, app: &Url) -> AppFlow {
    let root = app.join("/").unwrap_or_else(|_| app.clone());
    let (home, chain, spoofed) = tokio::join!(
        prober.get(&root, &[]),
        login_chain(prober, app, &s.login_path, &[]),
        login_chain(prober, app, &s.login_path, SPOOF_HEADERS),
    );
    let target = app.as_str();
    let redirect = app::login_redirect(&chain);
    let mut seen: Vec<&Exchange> = vec![&home];
    seen.extend(chain.iter());
    let outcomes = vec![
        app::reachability(target, &home),
        app::nginx_default_page(target, &home),
        app::redirect_uri(app, &s.login_path, &s.callback_path, &chain),
        app::secure_cookie(app, &seen),
        injection::app(app, redirect.as_ref(), &spoofed),
        tls::certificate(app, &home),
    ];
    AppFlow { outcomes, redirect }
}

/// GET the login path, then follow same-site redirects until one leaves for the IdP with a
/// `redirect_uri` (or something else answers).
async fn login_chain(
    prober: &Prober,
    app: &Url,
    login_path: &str,
    headers: &[(&str, &str)],
) -> Vec<Exchange> {
    let mut chain = Vec::new();
    let Ok(mut url) = app.join(login_path) else {
        return chain;
    };
    for _ in 0..MAX_LOGIN_HOPS {
        let exchange = prober.get(&url, headers).await;
        let next = app::next_hop(app, &exchange);
        chain.push(exchange);
        match next {
            Some(next) => url = next,
            None => break,
        }
    }
    chain
}

/// Keycloak's checks that need no app: discovery (issuer, TLS), the spoofed discovery, the
/// private paths.
async fn keycloak_static(prober: &Prober, s: &Settings, kc: &Url) -> Vec<CheckOutcome> {
    let discovery_url = keycloak::discovery_url(kc, &s.realm);
    let private = keycloak::PRIVATE_PATHS_PROBED
        .iter()
        .filter_map(|p| Url::parse(&format!("{}{p}", kc.as_str().trim_end_matches('/'))).ok())
        .collect::<Vec<_>>();
    let (discovery, spoofed, private) = match discovery_url {
        Some(url) => tokio::join!(
            prober.get(&url, &[]),
            prober.get(&url, SPOOF_HEADERS),
            join_all(private.iter().map(|u| prober.get(u, &[]))),
        ),
        None => return keycloak_skipped("the Keycloak URL cannot carry /realms/<realm>"),
    };
    vec![
        keycloak::issuer(kc, &s.realm, &discovery),
        keycloak::private_paths(kc, &private),
        injection::keycloak(kc, &spoofed),
        tls::certificate(kc, &discovery),
    ]
}

/// The authorization request with each app's real redirect_uri (or the expected one when
/// the app gave none): Keycloak's "HTTPS required" and "Invalid parameter: redirect_uri".
async fn keycloak_auth(
    prober: &Prober,
    s: &Settings,
    kc: &Url,
    redirects: &[(&Url, Option<LoginRedirect>)],
) -> Vec<CheckOutcome> {
    let apps: Vec<&Url> = redirects.iter().map(|(app, _)| *app).collect();
    let requests: Vec<(String, Url)> = redirects
        .iter()
        .filter_map(|(app, redirect)| {
            let uri = redirect.as_ref().map_or_else(
                || keycloak::expected_redirect_uri(app, &s.callback_path),
                |r| r.redirect_uri.clone(),
            );
            keycloak::authorization_url(kc, &s.realm, &s.client_id, &uri).map(|url| (uri, url))
        })
        .collect();
    if requests.is_empty() {
        let why = "no app URL to take a redirect_uri from: give --url";
        return vec![
            keycloak::REDIRECT_URI.skip(kc.as_str(), why),
            keycloak::HTTPS_REQUIRED.skip(kc.as_str(), why),
        ];
    }
    let answers = join_all(requests.iter().map(|(_, url)| prober.get(url, &[]))).await;
    let ctx = keycloak::AuthContext {
        kc,
        realm: &s.realm,
        client_id: &s.client_id,
        callback_path: &s.callback_path,
        apps: &apps,
    };
    let mut outcomes = Vec::new();
    for (i, ((uri, _), exchange)) in requests.iter().zip(&answers).enumerate() {
        let (https, redirect) = keycloak::authorization(&ctx, uri, exchange);
        // One "HTTPS required" verdict is enough: it does not depend on the redirect_uri.
        if i == 0 {
            outcomes.push(https);
        }
        outcomes.push(redirect);
    }
    outcomes
}

fn keycloak_skipped(why: &str) -> Vec<CheckOutcome> {
    [
        keycloak::ISSUER,
        keycloak::REDIRECT_URI,
        keycloak::HTTPS_REQUIRED,
        keycloak::PRIVATE_PATHS,
    ]
    .iter()
    .map(|spec| spec.skip("keycloak", why))
    .collect()
}

fn app_skipped(why: &str) -> Vec<CheckOutcome> {
    [
        app::REACHABILITY,
        app::NGINX_DEFAULT_PAGE,
        app::APP_REDIRECT_URI,
        app::APP_SECURE_COOKIE,
    ]
    .iter()
    .map(|spec| spec.skip("app", why))
    .collect()
}

/// `host[:port]` as users type it (the scheme's default port left out).
pub fn authority(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => String::new(),
    }
}

/// `https://<authority>`: the origin the user's browser is on.
pub fn https_origin(url: &Url) -> String {
    format!("https://{}", authority(url))
}

/// The first `len` characters, with `…` when cut.
pub fn shorten(s: &str, len: usize) -> String {
    if s.chars().count() <= len {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(len).collect::<String>())
    }
}
