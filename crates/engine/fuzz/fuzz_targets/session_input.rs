//! A `Session` fed broker bytes in chunks, with the clock moving and the application publishing
//! and subscribing in between: it must never panic, and every buffer it hands the transport must
//! decode into whole, valid packets.
//!
//! Input: `[flags, chunk, n, op * n, stream...]`
//! - flags bit 0: 0 = MQTT 3.1.1, 1 = MQTT 5.0;
//! - flags bit 1: feed a valid CONNACK (success) before the stream, so that it reaches a
//!   connected session; bit 2: that CONNACK's session-present flag;
//! - flags bits 3-4: keep-alive, 0, 1, 5 or 60 s;
//! - flags bit 5: at the end, three times: close the link, connect again and feed the CONNACK
//!   again (the resume path: in-flight messages are resent, and the oldest given up after the
//!   third close);
//! - chunk: the chunk size, 1 to 255, or 0 for the whole stream at once;
//! - n (0 to 8, modulo 9) op bytes, used in turn, one per chunk:
//!   - bits 0-1: 0 nothing, 1 publish, 2 subscribe, 3 unsubscribe;
//!   - bits 2-3: QoS, 1, 2, 0 or 1;
//!   - bits 4-7: how far the clock moves before the chunk, in seconds;
//! - the rest: the bytes the broker sent.
//!
//! Then, as after a page reload, a new session restores what the first left unacknowledged,
//! connects and gets the CONNACK.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtt_engine::codec::StreamDecoder;
use mqtt_engine::{ConnectOptions, Duration, Instant, Message, QoS, Session, Version};

const KEEP_ALIVE_SECS: [u16; 4] = [0, 1, 5, 60];
const TOPICS: [&str; 4] = ["t", "a/b", "sensors/1/temp", "$x/y"];
const FILTERS: [&str; 4] = ["t", "a/+", "sensors/#", "+/+/temp"];

/// Everything the session has to say, drained; what it sends must decode.
fn drain(session: &mut Session, version: Version) {
    while let Some(bytes) = session.poll_transmit() {
        let mut decoder = StreamDecoder::new(version, usize::MAX);
        decoder.push(&bytes);
        loop {
            match decoder.next_any_packet() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(error) => {
                    panic!("the session sent {bytes:02x?}, which does not decode: {error}")
                }
            }
        }
        assert_eq!(
            decoder.buffered(),
            0,
            "the session sent {bytes:02x?}, which ends in a partial packet"
        );
    }
    while session.poll_event().is_some() {}
}

fn connack(version: Version, session_present: bool) -> Vec<u8> {
    let flags = u8::from(session_present);
    match version {
        Version::V3_1_1 => vec![0x20, 0x02, flags, 0x00],
        // An empty property list.
        Version::V5 => vec![0x20, 0x03, flags, 0x00, 0x00],
    }
}

/// CONNECT, then the broker's CONNACK; returns the time after.
fn connect_with_connack(
    session: &mut Session,
    version: Version,
    session_present: bool,
    now: Instant,
) -> Instant {
    session.connect(now + Duration::from_millis(1));
    drain(session, version);
    let connacked = now + Duration::from_millis(2);
    session.handle_bytes(&connack(version, session_present), connacked);
    drain(session, version);
    connacked
}

fn qos(op: u8) -> QoS {
    match (op >> 2) & 0b11 {
        1 => QoS::ExactlyOnce,
        2 => QoS::AtMostOnce,
        _ => QoS::AtLeastOnce,
    }
}

fn application(session: &mut Session, op: u8, step: usize, now: Instant) {
    let pick = step % 4;
    match op & 0b11 {
        1 => {
            let payload = vec![op; step % 32];
            let _ = session.publish(Message::new(TOPICS[pick], payload, qos(op)), now);
        }
        2 => {
            let filters = vec![
                (FILTERS[pick].to_string(), qos(op)),
                (FILTERS[(pick + 1) % 4].to_string(), QoS::AtMostOnce),
            ];
            let _ = session.subscribe(filters, now);
        }
        3 => {
            let _ = session.unsubscribe(vec![FILTERS[pick].to_string()], now);
        }
        _ => {}
    }
}

fn session_options(version: Version, flags: u8) -> ConnectOptions {
    let mut options = ConnectOptions::new("fuzz-client");
    options.version = version;
    options.keep_alive_secs = KEEP_ALIVE_SECS[usize::from((flags >> 3) & 0b11)];
    options.max_packet_size = 1024;
    options.max_inflight = 2;
    options
}

fuzz_target!(|data: &[u8]| {
    let [flags, chunk, n, rest @ ..] = data else {
        return;
    };
    let n = usize::from(*n % 9).min(rest.len());
    let (ops, stream) = rest.split_at(n);
    let version = if flags & 1 == 0 {
        Version::V3_1_1
    } else {
        Version::V5
    };
    let scripted_connack = flags & 0b10 != 0;
    let session_present = flags & 0b100 != 0;
    let resume = flags & 0b10_0000 != 0;

    let mut session = Session::new(session_options(version, *flags)).expect("valid options");

    let mut now = Instant::ZERO;
    session.connect(now);
    drain(&mut session, version);
    if scripted_connack {
        now += Duration::from_millis(1);
        session.handle_bytes(&connack(version, session_present), now);
        drain(&mut session, version);
    }

    let chunk = match *chunk {
        0 => stream.len().max(1),
        size => usize::from(size),
    };
    for (step, bytes) in stream.chunks(chunk).enumerate() {
        let op = ops.get(step % n.max(1)).copied().unwrap_or(0);
        now += Duration::from_millis(1 + u64::from(op >> 4) * 1000);
        session.handle_timeout(now);
        drain(&mut session, version);
        application(&mut session, op, step, now);
        drain(&mut session, version);
        session.handle_bytes(bytes, now);
        drain(&mut session, version);
        if session
            .poll_timeout()
            .is_some_and(|deadline| deadline <= now)
        {
            session.handle_timeout(now);
            drain(&mut session, version);
        }
    }

    for _ in 0..if resume { 3 } else { 0 } {
        session.handle_closed("fuzz: the transport closed");
        drain(&mut session, version);
        now = connect_with_connack(&mut session, version, session_present, now);
    }
    // A reload: a new session takes up what this one left unacknowledged, and connects.
    let mut session = {
        let pending = session.pending();
        let mut reloaded = Session::new(session_options(version, *flags)).expect("valid options");
        let _ = reloaded.restore(pending);
        reloaded
    };
    now = connect_with_connack(&mut session, version, session_present, now);
    // Far in the future: a ping, then its timeout (or the CONNACK timeout).
    let hour = Duration::from_secs(3_600);
    now += hour;
    session.handle_timeout(now);
    drain(&mut session, version);
    session.handle_timeout(now + hour);
    drain(&mut session, version);
});
