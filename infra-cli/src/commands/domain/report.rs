//! What `edgekit domain` prints: the steps taken, the distribution diff and the values to paste.
use super::*;

/// `public_hosts` of the function config, with the new name, and how to roll it out.
#[derive(Debug, Clone, Serialize)]
pub(super) struct PublicHosts {
    pub(super) function: Option<Function>,
    pub(super) config: PathBuf,
    /// None: the list is empty (any host allowed) or already has the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) public_hosts: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) commands: Vec<String>,
}

/// The one key of either function's config that a new domain changes.
#[derive(serde::Deserialize)]
struct ConfiguredHosts {
    #[serde(default)]
    public_hosts: Vec<String>,
}

pub(super) fn public_hosts(
    args: &AddArgs,
    resolved: &Resolved,
) -> miette::Result<Option<PublicHosts>> {
    let Some(path) = &args.function_config else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("could not read --function-config {}", path.display()))?;
    let function = args.function.or_else(|| {
        resolved
            .role
            .and_then(|r| Function::for_distribution(r.as_str()))
    });
    // The same checks `edgekit publish` makes, so the printed list is one it will accept.
    if let Some(function) = function {
        function.load(&text).map_err(|problem| {
            miette::miette!("--function-config {}: {problem}", path.display())
        })?;
    }
    let current = serde_json::from_str::<ConfiguredHosts>(&text)
        .into_diagnostic()
        .wrap_err_with(|| format!("--function-config {} is not JSON", path.display()))?
        .public_hosts;
    let hosts = domain::public_hosts_with(&current, &args.target.domain, resolved.role);
    let name = function.map_or("<function>".to_owned(), |f| f.name().to_owned());
    let commands = if hosts.is_some() {
        vec![
            format!("edgekit publish {name} --config {}", path.display()),
            format!(
                "edgekit attach --distribution {} --function-arn <the ARN publish prints> --replace",
                resolved.dist.id
            ),
        ]
    } else {
        Vec::new()
    };
    Ok(Some(PublicHosts {
        function,
        config: path.clone(),
        public_hosts: hosts,
        commands,
    }))
}

#[derive(Debug, Serialize)]
pub(super) struct CertificateReport {
    pub(super) arn: String,
    pub(super) status: String,
}

#[derive(Debug, Serialize)]
pub(super) struct AddReport {
    pub(super) domain: String,
    pub(super) distribution: String,
    pub(super) distribution_domain: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) role: Option<DistributionRole>,
    pub(super) hosted_zone: HostedZone,
    pub(super) dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) certificate: Option<CertificateReport>,
    pub(super) steps: Vec<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) distribution_change: Option<ApplyOutcome>,
    /// False with --no-wait while the certificate is pending: run again to finish.
    pub(super) complete: bool,
    pub(super) paste: PasteValues,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) edge_function: Option<PublicHosts>,
}

pub(super) fn distribution_step(id: &str, outcome: &ApplyOutcome) -> Step {
    match outcome {
        ApplyOutcome::Unchanged { reason } => Step {
            action: format!("distribution {id}: {reason}"),
            result: StepResult::AlreadyDone,
        },
        ApplyOutcome::DryRun { summary, .. } => Step {
            action: format!("distribution {id}: {summary}"),
            result: StepResult::WouldDo,
        },
        ApplyOutcome::Updated {
            summary, attempts, ..
        } => Step {
            action: format!(
                "distribution {id}: {summary} (UpdateDistribution with If-Match, attempt {attempts})"
            ),
            result: StepResult::Done,
        },
    }
}

pub(super) fn steps_text(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| format!("  {:<9}  {}\n", s.result.label(), s.action))
        .collect()
}

/// The dry-run diff of the distribution, coloured only at a terminal.
pub(super) fn diff_text(outcome: Option<&ApplyOutcome>) -> String {
    match outcome {
        Some(ApplyOutcome::DryRun {
            diff, colored_diff, ..
        }) => {
            let diff = if std::io::stdout().is_terminal() {
                colored_diff
            } else {
                diff
            };
            format!("\ndistribution change (CloudFront API JSON):\n{diff}")
        }
        _ => String::new(),
    }
}

pub(super) fn paste_text(paste: &PasteValues, edge: Option<&PublicHosts>) -> String {
    let mut rows: Vec<(&str, String)> = Vec::new();
    if let Some(v) = &paste.app_public_url {
        rows.push(("app public URL", v.clone()));
    }
    if let Some(v) = &paste.kc_hostname {
        rows.push(("Keycloak KC_HOSTNAME", v.clone()));
    }
    if let Some(v) = &paste.valid_redirect_uri {
        rows.push(("Keycloak client Valid Redirect URIs (add)", v.clone()));
    }
    if let Some(v) = &paste.web_origin {
        rows.push(("Keycloak client Web Origins (add)", v.clone()));
    }
    let mut text = String::from("\nset these yourself (edgekit cannot):\n");
    for (label, value) in rows {
        text.push_str(&format!("  {label:<42} {value}\n"));
    }
    if let Some(edge) = edge {
        let name = edge
            .function
            .map_or("edge function".to_owned(), |f| f.name().to_owned());
        match &edge.public_hosts {
            Some(hosts) => {
                let list = serde_json::to_string(hosts).unwrap_or_default();
                text.push_str(&format!(
                    "  {:<42} {list}\n  then roll it out:\n",
                    format!("{name} public_hosts in {}", edge.config.display())
                ));
                for command in &edge.commands {
                    text.push_str(&format!("    {command}\n"));
                }
            }
            None => text.push_str(&format!(
                "  {name} public_hosts in {}: nothing to change (empty = any host, or the name is listed)\n",
                edge.config.display()
            )),
        }
    }
    text
}

pub(super) fn print_add(global: &GlobalArgs, report: &AddReport) {
    print_result(global.output, report, |r| {
        let mut text = format!(
            "domain {} → distribution {} ({}), hosted zone {} ({}){}\n",
            r.domain,
            r.distribution,
            r.distribution_domain,
            r.hosted_zone.id,
            r.hosted_zone.name,
            if r.dry_run {
                ", dry run: nothing written"
            } else {
                ""
            }
        );
        text.push_str(&steps_text(&r.steps));
        text.push_str(&diff_text(r.distribution_change.as_ref()));
        if !r.complete && !r.dry_run {
            text.push_str("\nthe certificate is still pending validation: run the same command again (without --no-wait) to finish\n");
        }
        text.push_str(&paste_text(&r.paste, r.edge_function.as_ref()));
        if r.steps.iter().any(|s| s.result == StepResult::Done) {
            text.push_str(&format!(
                "\nCloudFront deploys the change in a few minutes: edgekit wait --distribution {}\n",
                r.distribution
            ));
        }
        text
    });
}

pub(super) fn print_remove(global: &GlobalArgs, report: &RemoveReport) {
    print_result(global.output, report, |r| {
        let dry = if r.dry_run {
            ", dry run: nothing written"
        } else {
            ""
        };
        let mut text = format!(
            "domain {} off distribution {}{dry}\n",
            r.domain, r.distribution
        );
        text.push_str(&steps_text(&r.steps));
        text.push_str(&diff_text(r.distribution_change.as_ref()));
        text
    });
}
