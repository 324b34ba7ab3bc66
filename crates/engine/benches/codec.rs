//! The codec on its own, natively: encode and decode one PUBLISH of 64 B, 1 KB and 64 KB, and a
//! batch of 1,000 64-byte PUBLISHes read from one buffer (as a WebSocket message full of packets
//! would be). Run by `make bench` (`cargo bench --bench codec`) with a short measurement time;
//! the figures are throughput in packets (elements) and bytes per second.
//!
//! Note: `cargo bench` builds with the release profile, which is tuned for size (opt-level "z"),
//! as the wasm that ships is.

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mqtt_engine::codec::{encode, Packet, StreamDecoder};
use mqtt_engine::Version;
use mqttbytes::v5::Publish;
use mqttbytes::QoS;
use std::hint::black_box;

const SIZES: [(&str, usize); 3] = [("64B", 64), ("1KB", 1024), ("64KB", 64 * 1024)];
const TOPIC: &str = "bench/wasm-mqtt";
const MAX_PACKET: usize = 4 * 1024 * 1024;

fn publish(size: usize, qos: QoS) -> Packet {
    let mut publish = Publish::from_bytes(TOPIC, qos, Bytes::from(vec![0x5a; size]));
    if qos != QoS::AtMostOnce {
        publish.pkid = 42;
    }
    Packet::Publish(publish)
}

fn encoded(packet: &Packet, version: Version) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(packet, version, &mut out).unwrap();
    out.to_vec()
}

fn version_name(version: Version) -> &'static str {
    match version {
        Version::V3_1_1 => "v3.1.1",
        Version::V5 => "v5",
    }
}

fn encode_publish(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode PUBLISH");
    for version in [Version::V3_1_1, Version::V5] {
        for (name, size) in SIZES {
            let packet = publish(size, QoS::AtLeastOnce);
            let wire = encoded(&packet, version).len();
            group.throughput(Throughput::Bytes(wire as u64));
            let mut out = BytesMut::with_capacity(wire * 2);
            group.bench_with_input(
                BenchmarkId::new(version_name(version), name),
                &packet,
                |b, packet| {
                    b.iter(|| {
                        out.clear();
                        encode(black_box(packet), version, &mut out).unwrap();
                        black_box(out.len())
                    })
                },
            );
        }
    }
    group.finish();
}

fn decode_publish(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode PUBLISH");
    for version in [Version::V3_1_1, Version::V5] {
        for (name, size) in SIZES {
            let wire = encoded(&publish(size, QoS::AtLeastOnce), version);
            group.throughput(Throughput::Bytes(wire.len() as u64));
            let mut decoder = StreamDecoder::new(version, MAX_PACKET);
            group.bench_with_input(
                BenchmarkId::new(version_name(version), name),
                &wire,
                |b, wire| {
                    b.iter(|| {
                        decoder.push(black_box(wire));
                        black_box(decoder.next_packet().unwrap().unwrap())
                    })
                },
            );
        }
    }
    group.finish();
}

/// What a driver does with one WebSocket message that holds many packets.
fn decode_batch(c: &mut Criterion) {
    const COUNT: usize = 1000;
    let mut group = c.benchmark_group("decode 1000 PUBLISH from one buffer");
    group.throughput(Throughput::Elements(COUNT as u64));
    for version in [Version::V3_1_1, Version::V5] {
        let one = encoded(&publish(64, QoS::AtMostOnce), version);
        let batch = one.repeat(COUNT);
        let mut decoder = StreamDecoder::new(version, MAX_PACKET);
        group.bench_with_input(
            BenchmarkId::new(version_name(version), "64B"),
            &batch,
            |b, batch| {
                b.iter(|| {
                    decoder.push(black_box(batch));
                    let mut count = 0;
                    while let Some(packet) = decoder.next_packet().unwrap() {
                        black_box(packet);
                        count += 1;
                    }
                    assert_eq!(count, COUNT);
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, encode_publish, decode_publish, decode_batch);
criterion_main!(benches);
