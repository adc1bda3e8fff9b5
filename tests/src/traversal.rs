//! The path-traversal corpus for keycloak-host's path guard: a few hundred request paths,
//! each with the decision the README promises, built from the readings the guard covers
//! and from the encodings public path-traversal lists use.
//!
//! Sources of the encodings (read for their patterns; the payloads here are composed by
//! us): PayloadsAllTheThings, "Directory Traversal" (URL, double-URL, overlong UTF-8 and
//! `%u` encodings, `..;/`, `....//`, NUL bytes); SecLists, `Fuzzing/LFI` lists (the same
//! families with `\` separators); Orange Tsai, "Breaking Parser Logic" (Black Hat USA 2018:
//! `/..;/` through Tomcat behind a proxy). The expected decisions follow from the rules in
//! `docs/path-guard.md`, not from running the guard.

/// What keycloak-host must do with a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Forwarded to Keycloak.
    Forward,
    /// 404: no reading is an allowed path.
    NotFound,
    /// 400: refused (readings disagree, malformed, or never in Keycloak's URLs).
    Refused,
}

impl Expect {
    /// The status keycloak-host's generated response has, or `None` when it forwards.
    pub fn status(self) -> Option<u16> {
        match self {
            Self::Forward => None,
            Self::NotFound => Some(404),
            Self::Refused => Some(400),
        }
    }
}

/// One corpus entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub path: String,
    pub expect: Expect,
    /// Which family it comes from, for failure messages.
    pub family: &'static str,
}

/// How a payload writes `..`: the text, and whether some component behind the edge reads
/// it as a parent segment (`true`) or as a plain name (`false`); `None` when the guard
/// refuses the text itself (malformed, or never in Keycloak's URLs).
const DOT_DOTS: &[(&str, Option<bool>)] = &[
    ("..", Some(true)),
    ("%2e%2e", Some(true)),
    ("%2E%2E", Some(true)),
    (".%2e", Some(true)),
    ("%2e.", Some(true)),
    ("...", Some(false)),
    ("....", Some(false)),
    ("..%20", Some(false)),
    ("..a", Some(false)),
    ("..;", None),
    ("..;x=1", None),
    ("..%3b", None),
    ("%252e%252e", None),
    ("%25252e%25252e", None),
    ("%c0%ae%c0%ae", None),
    ("%e0%80%ae%e0%80%ae", None),
    ("%uff0e%uff0e", None),
    ("..%00", None),
    ("..%0d", None),
    ("..%0a", None),
    ("%%32%65%%32%65", None),
];

/// How a payload writes `/` after a `..`: the text, and `false` when the guard refuses it.
const SEPARATORS: &[(&str, bool)] = &[
    ("/", true),
    ("//", true),
    ("/./", true),
    ("%2f", false),
    ("%2F", false),
    ("%5c", false),
    ("\\", false),
    ("%252f", false),
    ("%c0%af", false),
    (";/", false),
];

/// Allowed prefixes the payloads start from, with how many `..` reach the root.
const PREFIXES: &[(&str, usize)] = &[
    ("/realms/", 1),
    ("/realms/master/", 2),
    ("/resources/abc123/login/", 3),
];

/// Keycloak's private endpoints the payloads aim at.
const TARGETS: &[&str] = &[
    "admin/master/console/",
    "metrics",
    "health/ready",
    "ADMIN/master/console/",
];

/// The whole corpus.
pub fn corpus() -> Vec<Payload> {
    let mut out = traversals();
    out.extend(direct_private_paths());
    out.extend(keycloak_paths());
    // Two families can compose the same path (`..` + `;/` and `..;` + `/`): keep the first.
    let mut seen = std::collections::HashSet::new();
    out.retain(|payload| seen.insert(payload.path.clone()));
    out
}

/// `<allowed prefix>(<dot-dot><separator>)×n<private target>` for n = one short of the
/// root (stays inside the prefix), just enough, and one too many: every dot-dot form with
/// `/`, every separator with `..`, and the encoded dot-dots with every separator.
fn traversals() -> Vec<Payload> {
    let mut out = Vec::new();
    for (index, &dots) in DOT_DOTS.iter().enumerate() {
        out.extend(climbs(dots, SEPARATORS[0], TARGETS[index % TARGETS.len()]));
    }
    for (index, &sep) in SEPARATORS.iter().enumerate().skip(1) {
        out.extend(climbs(DOT_DOTS[0], sep, TARGETS[index % TARGETS.len()]));
        for &dots in &DOT_DOTS[1..5] {
            out.extend(climbs(dots, sep, TARGETS[0]).skip(2).take(1));
        }
    }
    out
}

fn climbs(
    (dots, dots_read): (&'static str, Option<bool>),
    (sep, sep_ok): (&'static str, bool),
    target: &'static str,
) -> impl Iterator<Item = Payload> {
    PREFIXES.iter().flat_map(move |&(prefix, depth)| {
        (depth.saturating_sub(1).max(1)..=depth + 1).map(move |steps| {
            let escapes = steps >= depth;
            let expect = match (dots_read, sep_ok) {
                (None, _) | (_, false) => Expect::Refused,
                (Some(true), true) if escapes => Expect::Refused,
                // Short of the root, or not a parent segment: every reading stays inside.
                (Some(_), true) => Expect::Forward,
            };
            Payload {
                path: format!("{prefix}{}{target}", format!("{dots}{sep}").repeat(steps)),
                expect,
                family: "traversal",
            }
        })
    })
}

/// The private endpoints asked for directly, in every spelling a reader could fold.
fn direct_private_paths() -> Vec<Payload> {
    let not_found = [
        "/admin/",
        "/admin/master/console/",
        "/ADMIN/master/console/",
        "/Admin/",
        "/%61dmin/",
        "/%41DMIN/",
        "//admin/",
        "///admin/master/console/",
        "/./admin/",
        "/../admin/",
        "/%2e/admin/",
        "/metrics",
        "/Metrics",
        "/health",
        "/health/ready",
        "/health/live",
        "/HEALTH/ready",
        "/admin./",
        "/",
        "/realms",
        "/realmsx/master",
        "/Realms/master/account",
        "/resources",
        "/robots.txt/x",
    ];
    let refused = [
        "/admin;/",
        "/admin%3b/",
        "/%2561dmin/",
        "/health%2fready",
        "/admin%5cmaster",
        "/admin\\master",
        "/admin%00/",
        "/%c0%afadmin/",
        "/%zzadmin/",
        "/admin%",
    ];
    let mut out: Vec<Payload> = not_found
        .iter()
        .map(|p| payload(p, Expect::NotFound, "private"))
        .collect();
    out.extend(
        refused
            .iter()
            .map(|p| payload(p, Expect::Refused, "private-encoded")),
    );
    out
}

/// Paths Keycloak really serves: every one must be forwarded.
fn keycloak_paths() -> Vec<Payload> {
    [
        "/realms/master/.well-known/openid-configuration",
        "/realms/mcp-gateway/protocol/openid-connect/auth",
        "/realms/mcp-gateway/protocol/openid-connect/token",
        "/realms/mcp-gateway/protocol/openid-connect/certs",
        "/realms/mcp-gateway/login-actions/authenticate",
        "/realms/mcp-gateway/account/",
        "/realms/master/./account",
        "/realms/%E4%BE%8B/account",
        "/realms/master/admin-events",
        "/resources/abc123/login/keycloak.v2/css/login.css",
        "/resources/abc123/common/keycloak/img/favicon.ico",
        "/robots.txt",
    ]
    .iter()
    .map(|p| payload(p, Expect::Forward, "keycloak"))
    .collect()
}

fn payload(path: &str, expect: Expect, family: &'static str) -> Payload {
    Payload {
        path: path.to_owned(),
        expect,
        family,
    }
}

/// `/realms/master/admin-events` is forwarded although it contains `admin`: private
/// prefixes are matched at the start of the path only.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_is_a_few_hundred_distinct_paths_of_every_kind() {
        let all = corpus();
        let mut seen = std::collections::HashSet::new();
        for p in &all {
            assert!(seen.insert(&p.path), "duplicate path {}", p.path);
        }
        assert!(all.len() >= 200 && all.len() <= 1000, "{}", all.len());
        for expect in [Expect::Forward, Expect::NotFound, Expect::Refused] {
            assert!(all.iter().filter(|p| p.expect == expect).count() >= 10);
        }
    }
}
