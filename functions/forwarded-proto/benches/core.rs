//! Criterion bench of forwarded-proto's native core on the fixture mix: every origin-request
//! fixture in `events/`, through `edge::function::run_json` (JSON in, JSON out: the path
//! every host takes) and through `handle` alone (parsed events), against the floor of any
//! JSON-in/JSON-out function: `serde_json` parse of the same bytes to `Value` and serialise.
//! After criterion, `run_json`, the floor and the tokeniser floor (`serde_json` into
//! `IgnoredAny`: the least any reader of these bytes costs) are timed interleaved in this
//! process, and `run_json / serde_json Value floor` printed (target ≤ 2, issue 13).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group};
use edge::CloudFrontEvent;
use edge::EdgeFunction;
use edge::function::run_json;
use forwarded_proto::{Config, ForwardedProto};

fn fixture_mix() -> Vec<Vec<u8>> {
    let events = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    let mut paths: Vec<_> = std::fs::read_dir(&events)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            path.is_file() && name.ends_with(".json") && !name.starts_with("config-")
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| std::fs::read(path).unwrap())
        .filter(|bytes| {
            serde_json::from_slice::<CloudFrontEvent>(bytes)
                .ok()
                .and_then(|event| event.cf().ok().map(|cf| cf.config.event_type))
                == Some(edge::EventType::OriginRequest)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mix = fixture_mix();
    let config = Config::default();
    let parsed: Vec<CloudFrontEvent> = mix
        .iter()
        .map(|bytes| serde_json::from_slice(bytes).unwrap())
        .collect();
    let mut group = c.benchmark_group("forwarded-proto fixture mix");
    group.throughput(Throughput::Elements(mix.len() as u64));
    group.bench_function("run_json (parse + handle + serialise)", |b| {
        b.iter(|| {
            for bytes in &mix {
                black_box(run_json::<ForwardedProto>(&config, black_box(bytes)).unwrap());
            }
        })
    });
    group.bench_function("handle only (pre-parsed events)", |b| {
        b.iter_batched(
            || parsed.clone(),
            |events| {
                for event in events {
                    black_box(ForwardedProto::handle(&config, event).unwrap());
                }
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.bench_function("parse only (event_from_json, with JSON paths)", |b| {
        b.iter(|| {
            for bytes in &mix {
                black_box(edge::function::event_from_json(black_box(bytes)).unwrap());
            }
        })
    });
    group.bench_function("parse only (plain serde_json)", |b| {
        b.iter(|| {
            for bytes in &mix {
                black_box(serde_json::from_slice::<CloudFrontEvent>(black_box(bytes)).unwrap());
            }
        })
    });
    let results: Vec<_> = parsed
        .iter()
        .map(|event| ForwardedProto::handle(&config, event.clone()).unwrap())
        .collect();
    group.bench_function("serialise only", |b| {
        b.iter(|| {
            for result in &results {
                black_box(serde_json::to_vec(black_box(result)).unwrap());
            }
        })
    });
    let views: Vec<Vec<u8>> = parsed
        .iter()
        .map(|event| edge::view::view_json::<ForwardedProto>(event.cf().unwrap()).unwrap())
        .collect();
    group.bench_function("view path (respond_view: view in, edits out)", |b| {
        b.iter(|| {
            for view in &views {
                black_box(edge::view::respond_view::<ForwardedProto>(
                    &config,
                    black_box(view),
                ));
            }
        })
    });
    // The least any serde_json reader of these bytes costs: tokenising them and keeping
    // nothing. No JSON-in function on this parser beats it, whatever its model.
    group.bench_function("tokeniser floor: serde_json into IgnoredAny", |b| {
        b.iter(|| {
            for bytes in &mix {
                black_box(
                    serde_json::from_slice::<serde::de::IgnoredAny>(black_box(bytes)).unwrap(),
                );
            }
        })
    });
    group.bench_function("floor: serde_json parse to Value + serialise", |b| {
        b.iter(|| {
            for bytes in &mix {
                black_box(value_round_trip(black_box(bytes)));
            }
        })
    });
    group.finish();
}

/// The floor: what any function reading and writing the whole event as JSON costs at least.
fn value_round_trip(bytes: &[u8]) -> Vec<u8> {
    let value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    serde_json::to_vec(&value).unwrap()
}

/// Nanoseconds per event of one pass of `work` over the mix.
fn per_event(mix: &[Vec<u8>], work: &dyn Fn(&[u8])) -> f64 {
    let start = Instant::now();
    for bytes in mix {
        work(black_box(bytes));
    }
    start.elapsed().as_nanos() as f64 / mix.len() as f64
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// One pass's work on one event.
type Work<'a> = dyn Fn(&[u8]) + 'a;

/// `run_json`, the floor and the tokeniser floor interleaved (rotating order), medians of
/// many passes.
fn print_floor_ratio() {
    let mix = fixture_mix();
    let config = Config::default();
    let run = |bytes: &[u8]| {
        black_box(run_json::<ForwardedProto>(&config, bytes).unwrap());
    };
    let floor = |bytes: &[u8]| {
        black_box(value_round_trip(bytes));
    };
    let tokens = |bytes: &[u8]| {
        black_box(serde_json::from_slice::<serde::de::IgnoredAny>(bytes).unwrap());
    };
    let work: [&Work<'_>; 3] = [&run, &floor, &tokens];
    let mut samples = [Vec::new(), Vec::new(), Vec::new()];
    for round in 0..4000 {
        for k in 0..3 {
            let which = (round + k) % 3;
            samples[which].push(per_event(&mix, work[which]));
        }
    }
    let [run, floor, tokens] = samples.map(median);
    println!(
        "run_json {run:.0} ns/event ({:.0} k events/s on one core), serde_json Value floor {floor:.0} ns/event: run_json / floor = {:.2}; \
         tokeniser floor {tokens:.0} ns/event (at most {:.0} k events/s for any serde_json reader)",
        1e6 / run,
        run / floor,
        1e6 / tokens
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo test --benches` runs this binary without `--bench`: no timing there.
    if std::env::args().any(|arg| arg == "--bench") {
        print_floor_ratio();
    }
}
