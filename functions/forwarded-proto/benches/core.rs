//! Criterion bench of forwarded-proto's native core on the fixture mix: every origin-request
//! fixture in `events/`, through `edge::function::run_json` (JSON in, JSON out: the path
//! every host takes) and through `handle` alone (parsed events).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
