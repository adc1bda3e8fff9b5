//! Why an AWS call failed, read from the SDK's error the way the AWS CLI tells it: the
//! service's error code and message, or what kept the call from reaching the service (no
//! credentials, an unreachable endpoint, a timeout), and the fix for the failures users meet.
use std::error::Error;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_cloudfront::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
use aws_smithy_runtime_api::client::waiters::error::WaiterError;

use super::cloudfront::MAX_UPDATE_ATTEMPTS;

/// `-v` count of the process: the request id is shown from 1, the raw answer from 2.
static VERBOSITY: AtomicU8 = AtomicU8::new(0);
/// The `--endpoint-url` every call goes to, when one was given (named in connection errors).
static ENDPOINT: OnceLock<String> = OnceLock::new();

/// Sets how much of a failed call's answer errors show (the global `-v` count).
pub fn set_verbosity(verbose: u8) {
    VERBOSITY.store(verbose, Ordering::Relaxed);
}

/// Records the endpoint override so connection errors can name it.
pub(crate) fn remember_endpoint(endpoint: &str) {
    let _ = ENDPOINT.set(endpoint.to_owned());
}

fn verbosity() -> u8 {
    VERBOSITY.load(Ordering::Relaxed)
}

fn endpoint_name() -> String {
    ENDPOINT
        .get()
        .cloned()
        .unwrap_or_else(|| "the AWS endpoint".to_owned())
}

/// What went wrong, reduced to what a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The service answered with an error (code and message from its answer).
    Service {
        code: Option<String>,
        message: Option<String>,
        request_id: Option<String>,
        /// Status line and body of the answer (shown with `-vv`).
        raw: Option<String>,
    },
    /// Every provider of the credential chain came back empty; `tried` names them.
    NoCredentials { tried: String },
    /// A credential provider failed (bad profile, SSO session expired, ...).
    Credentials { reason: String },
    /// The endpoint could not be reached: `what` says how (refused, DNS, TLS).
    Unreachable { what: &'static str, reason: String },
    /// The endpoint did not answer in time.
    Timeout { reason: String },
    /// A waiter gave up after its maximum wait.
    WaitExceeded { max_wait: Duration },
    /// Anything else: the chain of messages.
    Other { reason: String },
}

/// An SDK failure the CLI can explain: a call's `SdkError` or a waiter's `WaiterError`.
pub trait SdkFailure: Error + 'static {
    /// What went wrong.
    fn failure_cause(&self) -> Cause;
}

impl<E: ProvideErrorMetadata + Error + 'static> SdkFailure for SdkError<E, HttpResponse> {
    fn failure_cause(&self) -> Cause {
        match self {
            SdkError::ServiceError(ctx) => service_cause(self, Some(ctx.raw())),
            SdkError::ResponseError(ctx) => Cause::Other {
                reason: format!(
                    "unreadable answer (HTTP {}): {}",
                    ctx.raw().status().as_u16(),
                    message_chain(self)
                ),
            },
            SdkError::TimeoutError(_) => Cause::Timeout {
                reason: message_chain(self),
            },
            SdkError::DispatchFailure(failure) => credentials_cause(self).unwrap_or_else(|| {
                failure
                    .as_connector_error()
                    .map_or_else(|| other(self), |c| connector_cause(self, c))
            }),
            _ => credentials_cause(self).unwrap_or_else(|| other(self)),
        }
    }
}

impl<O, E> SdkFailure for WaiterError<O, E>
where
    O: std::fmt::Debug + 'static,
    E: ProvideErrorMetadata + Error + 'static,
{
    fn failure_cause(&self) -> Cause {
        match self {
            WaiterError::OperationFailed(failed) => failed.error().failure_cause(),
            WaiterError::ExceededMaxWait(exceeded) => Cause::WaitExceeded {
                max_wait: exceeded.max_wait(),
            },
            WaiterError::FailureState(state) => match state.final_poll().as_result() {
                Err(err) => service_cause(err, None),
                Ok(_) => Cause::Other {
                    reason: "the resource reached a state it cannot leave".to_owned(),
                },
            },
            _ => other(self),
        }
    }
}

fn other(err: &(dyn Error + 'static)) -> Cause {
    Cause::Other {
        reason: message_chain(err),
    }
}

fn service_cause(meta: &dyn ProvideErrorMetadata, raw: Option<&HttpResponse>) -> Cause {
    let header = |name: &str| raw.and_then(|r| r.headers().get(name)).map(str::to_owned);
    Cause::Service {
        code: meta.code().map(str::to_owned),
        message: meta.message().map(str::to_owned),
        request_id: header("x-amzn-requestid").or_else(|| header("x-amz-request-id")),
        raw: raw.map(|r| {
            let body = r.body().bytes().map(String::from_utf8_lossy);
            format!("HTTP {}\n{}", r.status().as_u16(), body.unwrap_or_default())
        }),
    }
}

/// The errors of `err`'s source chain, `err` first.
fn chain<'a>(err: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(err), |e: &&'a (dyn Error + 'static)| {
        let e: &'a (dyn Error + 'static) = *e;
        e.source()
    })
}

/// The chain's messages joined with ": ", skipping a message its predecessor already says.
fn message_chain(err: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in chain(err) {
        let text = e.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn credentials_cause(err: &(dyn Error + 'static)) -> Option<Cause> {
    let found = chain(err).find_map(|e| e.downcast_ref::<CredentialsError>())?;
    Some(match found {
        CredentialsError::CredentialsNotLoaded(_) => Cause::NoCredentials {
            tried: tried_providers(found),
        },
        _ => Cause::Credentials {
            reason: message_chain(found),
        },
    })
}

/// The providers the default chain tried, from its report ("  Environment: ...").
fn tried_providers(err: &CredentialsError) -> String {
    let report = chain(err)
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let names: Vec<&str> = report
        .lines()
        .filter(|line| line.starts_with("  "))
        .filter_map(|line| line.trim().split_once(':').map(|(name, _)| name))
        .map(|name| match name {
            "Environment" => "AWS_ACCESS_KEY_ID",
            "Profile" => "the profile in ~/.aws",
            "WebIdentityToken" => "web identity",
            "EcsContainer" => "ECS",
            "Ec2InstanceMetadata" => "EC2 instance metadata",
            other => other,
        })
        .collect();
    if names.is_empty() {
        "the default credential chain".to_owned()
    } else {
        names.join(", ")
    }
}

fn connector_cause(err: &(dyn Error + 'static), connector: &ConnectorError) -> Cause {
    let reason = innermost(err);
    if connector.is_timeout() {
        return Cause::Timeout { reason };
    }
    let says =
        |needle: &str| chain(err).any(|e| e.to_string().to_ascii_lowercase().contains(needle));
    let refused = chain(err).any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
    });
    let what = if says("dns error") || says("lookup address") {
        "DNS lookup failed"
    } else if chain(err).any(|e| e.is::<rustls::Error>()) || says("certificate") || says("tls") {
        "TLS handshake failed"
    } else if refused {
        "connection refused"
    } else {
        "connection failed"
    };
    Cause::Unreachable { what, reason }
}

fn innermost(err: &(dyn Error + 'static)) -> String {
    chain(err)
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

impl Cause {
    /// The one-line account of the failure (more with `-v`, `-vv`).
    pub fn detail(&self) -> String {
        let verbose = verbosity();
        match self {
            Cause::Service {
                code,
                message,
                request_id,
                raw,
            } => {
                let mut text = match (code, message) {
                    (Some(code), Some(message)) => format!("{code}: {message}"),
                    (Some(code), None) => code.clone(),
                    (None, Some(message)) => message.clone(),
                    (None, None) => "the service refused the call without a code".to_owned(),
                };
                if let (1.., Some(id)) = (verbose, request_id) {
                    text.push_str(&format!(" (request id {id})"));
                }
                if let (2.., Some(raw)) = (verbose, raw) {
                    text.push_str(&format!("\nraw answer: {raw}"));
                }
                text
            }
            Cause::NoCredentials { tried } => {
                format!("no AWS credentials found (tried {tried})")
            }
            Cause::Credentials { reason } => format!("could not load AWS credentials: {reason}"),
            Cause::Unreachable { what, reason } => {
                format!("cannot reach {}: {what} ({reason})", endpoint_name())
            }
            Cause::Timeout { reason } => {
                format!("{} did not answer in time ({reason})", endpoint_name())
            }
            Cause::WaitExceeded { max_wait } => {
                format!("not done after {} s", max_wait.as_secs())
            }
            Cause::Other { reason } => reason.clone(),
        }
    }

    /// The fix for the failures users meet; `action` is the IAM action of the call.
    pub fn help(&self, action: Option<&str>) -> Option<String> {
        match self {
            Cause::Service { code, .. } => code_help(code.as_deref()?, action),
            Cause::NoCredentials { .. } | Cause::Credentials { .. } => Some(
                "set AWS_PROFILE to a configured profile, or run `aws configure` / `aws sso login`; \
                 for moto or LocalStack pass --endpoint-url with dummy keys \
                 (AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing)"
                    .to_owned(),
            ),
            Cause::Unreachable { .. } | Cause::Timeout { .. } => Some(match ENDPOINT.get() {
                Some(_) => "check --endpoint-url (AWS_ENDPOINT_URL): is moto or LocalStack running there?".to_owned(),
                None => "check your network, proxy (HTTPS_PROXY) and --region".to_owned(),
            }),
            Cause::WaitExceeded { .. } | Cause::Other { .. } => None,
        }
    }
}

/// The fix for an AWS error code, when one is known.
fn code_help(code: &str, action: Option<&str>) -> Option<String> {
    let help = match code {
        "NoSuchDistribution" => {
            "check the id with `aws cloudfront list-distributions` (ids look like E2ABC123XYZ)"
                .to_owned()
        }
        "NoSuchEntity" | "NoSuchEntityException" | "ResourceNotFoundException" => {
            "it does not exist in this account and region: check the name and AWS_PROFILE".to_owned()
        }
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => format!(
            "the caller may not call {}: attach the policy `edgekit iam-policy` prints",
            action.unwrap_or("this action")
        ),
        "InvalidClientTokenId" | "ExpiredToken" | "ExpiredTokenException"
        | "UnrecognizedClientException" | "SignatureDoesNotMatch"
        | "InvalidSignatureException" => {
            "AWS refused the credentials: refresh them (`aws sso login`, `aws configure`) or pick another AWS_PROFILE".to_owned()
        }
        "Throttling" | "ThrottlingException" | "TooManyRequestsException"
        | "RequestLimitExceeded" => {
            "still throttled after the SDK's retries: wait a minute and run the command again"
                .to_owned()
        }
        "PreconditionFailed" => format!(
            "the distribution changed under each of {MAX_UPDATE_ATTEMPTS} attempts: wait for the other change to finish and run the command again"
        ),
        "IllegalUpdate" | "InvalidArgument" | "InvalidParameterValueException"
        | "ValidationError" | "ValidationException" => {
            "AWS refused the value of the field the message names: fix that option and run the command again".to_owned()
        }
        _ => return None,
    };
    Some(help)
}

/// The IAM action of a call: `operation`'s first word when it is an API name
/// (`GetRole x` → `iam:GetRole`, the service read from the SDK crate of `E`), or as given
/// when it already carries a prefix (`events:PutRule`).
pub(crate) fn iam_action<E>(operation: &str) -> Option<String> {
    let name = operation.split_whitespace().next()?;
    if name.contains(':') {
        return Some(name.to_owned());
    }
    if !name.starts_with(|c: char| c.is_ascii_uppercase())
        || !name.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let type_name = std::any::type_name::<E>();
    let (_, rest) = type_name.split_once("aws_sdk_")?;
    let service = rest.split("::").next()?;
    // The IAM service prefix differs from the SDK crate's name for these (Service
    // Authorization Reference: "Actions, resources, and condition keys" per service).
    let prefix = match service {
        "eventbridge" => "events",
        "elasticloadbalancingv2" => "elasticloadbalancing",
        "cloudwatchlogs" => "logs",
        other => other,
    };
    Some(format!("{prefix}:{name}"))
}

/// With `-vv`: the SDK's whole error context (what the service answered, what failed).
pub(crate) fn raw_context(err: &(dyn Error + 'static)) -> Option<String> {
    (verbosity() >= 2).then(|| DisplayErrorContext(err).to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn actions_come_from_the_operation_and_the_sdk_crate() {
        type Cf =
            aws_sdk_cloudfront::operation::get_distribution_config::GetDistributionConfigError;
        assert_eq!(
            iam_action::<Cf>("GetDistributionConfig E1").as_deref(),
            Some("cloudfront:GetDistributionConfig")
        );
        assert_eq!(
            iam_action::<Cf>("events:PutRule").as_deref(),
            Some("events:PutRule")
        );
        assert_eq!(iam_action::<Cf>("waiting for x"), None);
        type Elb = aws_sdk_elasticloadbalancingv2::operation::describe_rules::DescribeRulesError;
        assert_eq!(
            iam_action::<Elb>("DescribeRules").as_deref(),
            Some("elasticloadbalancing:DescribeRules")
        );
        type Logs = aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsError;
        assert_eq!(
            iam_action::<Logs>("FilterLogEvents").as_deref(),
            Some("logs:FilterLogEvents")
        );
    }

    #[test]
    fn service_errors_read_like_the_aws_cli() {
        let cause = Cause::Service {
            code: Some("NoSuchDistribution".into()),
            message: Some("The specified distribution does not exist.".into()),
            request_id: Some("r-1".into()),
            raw: None,
        };
        assert_eq!(
            cause.detail(),
            "NoSuchDistribution: The specified distribution does not exist."
        );
        assert!(cause.help(None).unwrap().contains("list-distributions"));
        let denied = Cause::Service {
            code: Some("AccessDenied".into()),
            message: None,
            request_id: None,
            raw: None,
        };
        let help = denied.help(Some("iam:GetRole")).unwrap();
        assert!(help.contains("iam:GetRole") && help.contains("edgekit iam-policy"));
    }
}
