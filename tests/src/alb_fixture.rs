//! The AWS fixture shared by `alb_protect.rs` and `secret_rotate.rs`: a VPC, two subnets, a
//! security group open to the internet, an ALB with an HTTP:80 listener forwarding to a
//! target group, and `edgekit distribution create` distributions carrying the origin-verify
//! header, all in a moto_server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::aws_cli::{edgekit, recording};
use crate::moto::Moto;
use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range};
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};

/// The secret `distribution create` is given; no output may ever contain it.
pub const SECRET: &str = "fixture-secret-0123456789abcdefXYZ";
pub const HEADER: &str = "X-Origin-Verify";

pub struct Alb {
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub vpc_id: String,
    pub lb_arn: String,
    pub lb_name: String,
    pub dns_name: String,
    pub listener_arn: String,
    pub tg_arn: String,
    pub sg_id: String,
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn forward(tg: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(tg)
        .build()
}

/// Creates the network, the security group (80 and 22 open to 0.0.0.0/0, 80 to ::/0) and
/// the ALB with its listener.
pub async fn alb(moto: &Moto) -> Alb {
    let config = moto.sdk_config("us-east-1").await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc.unwrap().vpc_id.unwrap();
    let mut subnets = Vec::new();
    for (cidr, az) in [("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b")] {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(cidr)
            .availability_zone(az)
            .send()
            .await
            .unwrap();
        subnets.push(s.subnet.unwrap().subnet_id.unwrap());
    }
    let sg = ec2
        .create_security_group()
        .group_name("app-alb")
        .description("ALB")
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();
    let sg_id = sg.group_id.unwrap();
    let open = |port: i32, v6: bool| {
        let p = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build());
        if v6 {
            p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
        } else {
            p
        }
        .build()
    };
    ec2.authorize_security_group_ingress()
        .group_id(&sg_id)
        .ip_permissions(open(80, true))
        .ip_permissions(open(22, false))
        .send()
        .await
        .unwrap();
    let lb = elb
        .create_load_balancer()
        .name("app-alb")
        .set_subnets(Some(subnets))
        .security_groups(&sg_id)
        .send()
        .await
        .unwrap();
    let lb = lb.load_balancers.unwrap().remove(0);
    let lb_arn = lb.load_balancer_arn.unwrap();
    let tg = elb
        .create_target_group()
        .name("app")
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();
    let tg_arn = tg
        .target_groups
        .unwrap()
        .remove(0)
        .target_group_arn
        .unwrap();
    let listener = elb
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(forward(&tg_arn))
        .send()
        .await
        .unwrap();
    let listener_arn = listener.listeners.unwrap().remove(0).listener_arn.unwrap();
    Alb {
        elb,
        ec2,
        vpc_id,
        lb_arn,
        lb_name: "app-alb".into(),
        dns_name: lb.dns_name.unwrap(),
        listener_arn,
        tg_arn,
        sg_id,
    }
}

/// `edgekit distribution create` in cloudfront mode with [`SECRET`]: the registry and
/// Keycloak distribution ids.
pub fn distributions(moto: &Moto, alb: &Alb) -> Vec<String> {
    let out = edgekit(
        moto,
        &[
            "distribution",
            "create",
            "--mode",
            "cloudfront",
            "--registry-origin",
            &alb.dns_name,
            "--keycloak-origin",
            &alb.dns_name,
            "--origin-verify-secret",
            SECRET,
            "--output",
            "json",
        ],
    )
    .json();
    out["distributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The write calls moto recorded (ELBv2/EC2 actions other than Describe*, CloudFront
/// non-GET requests), by name.
pub fn writes(moto: &Moto) -> Vec<String> {
    recording(moto)
        .into_iter()
        .filter_map(|c| {
            let action = c
                .body
                .split('&')
                .find_map(|kv| kv.strip_prefix("Action="))
                .map(str::to_owned);
            match action {
                Some(a) if a.starts_with("Describe") => None,
                Some(a) => Some(a),
                None if c.is_write() => Some(format!("{} {}", c.method, c.url)),
                None => None,
            }
        })
        .collect()
}

/// The listener's rules other than the default one: (priority, conditions, actions).
pub async fn rules(
    alb: &Alb,
) -> Vec<(
    i32,
    Vec<aws_sdk_elasticloadbalancingv2::types::RuleCondition>,
    Vec<Action>,
)> {
    let out = alb
        .elb
        .describe_rules()
        .listener_arn(&alb.listener_arn)
        .send()
        .await
        .unwrap();
    let mut rules: Vec<_> = out
        .rules
        .unwrap()
        .into_iter()
        .filter(|r| r.is_default != Some(true))
        .map(|r| {
            (
                r.priority.unwrap().parse().unwrap(),
                r.conditions.unwrap_or_default(),
                r.actions.unwrap_or_default(),
            )
        })
        .collect();
    rules.sort_by_key(|r| r.0);
    rules
}

/// The origin-verify values of a rule's http-header condition on [`HEADER`].
pub fn header_values(
    conditions: &[aws_sdk_elasticloadbalancingv2::types::RuleCondition],
) -> Vec<String> {
    conditions
        .iter()
        .filter_map(|c| c.http_header_config())
        .filter(|h| {
            h.http_header_name()
                .is_some_and(|n| n.eq_ignore_ascii_case(HEADER))
        })
        .flat_map(|h| h.values().to_vec())
        .collect()
}

/// The listener's default actions.
pub async fn default_actions(alb: &Alb) -> Vec<Action> {
    let out = alb
        .elb
        .describe_listeners()
        .listener_arns(&alb.listener_arn)
        .send()
        .await
        .unwrap();
    out.listeners
        .unwrap()
        .remove(0)
        .default_actions
        .unwrap_or_default()
}
