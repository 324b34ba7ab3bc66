//! Broker bytes into a `StreamDecoder`, in chunks: it must never panic, and how the bytes are
//! split must not change what comes out.
//!
//! Input: `[flags, chunk, stream...]`
//! - flags bit 0: 0 = MQTT 3.1.1, 1 = MQTT 5.0;
//! - flags bits 1-2: the decoder's max packet size, 16, 64, 256 or 4096 bytes;
//! - chunk: the chunk size, 1 to 255, or 0 for the whole stream at once;
//! - the rest: the bytes a broker sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtt_engine::codec::{DecodeError, Packet, StreamDecoder};
use mqtt_engine::Version;

const MAX_PACKET_SIZES: [usize; 4] = [16, 64, 256, 4096];

/// What a decoder made of a stream: the packets, then how it stopped.
#[derive(Debug, PartialEq)]
struct Outcome {
    packets: Vec<Packet>,
    /// `None`: every packet was read and the rest waits for more bytes.
    error: Option<DecodeError>,
    buffered: usize,
}

fn decode(version: Version, max: usize, stream: &[u8], chunk: usize) -> Outcome {
    let mut decoder = StreamDecoder::new(version, max);
    let mut packets = Vec::new();
    for bytes in stream.chunks(chunk.max(1)) {
        decoder.push(bytes);
        loop {
            let before = decoder.buffered();
            match decoder.next_packet() {
                Ok(Some(packet)) => {
                    assert!(decoder.buffered() < before, "a packet consumed no bytes");
                    packets.push(packet);
                }
                Ok(None) => {
                    assert_eq!(decoder.buffered(), before, "None consumed bytes");
                    break;
                }
                Err(error) => {
                    // The stream cannot be resynchronised after an error: stop here.
                    return Outcome {
                        packets,
                        error: Some(error),
                        buffered: decoder.buffered(),
                    };
                }
            }
        }
    }
    Outcome {
        packets,
        error: None,
        buffered: decoder.buffered(),
    }
}

fuzz_target!(|data: &[u8]| {
    let [flags, chunk, stream @ ..] = data else {
        return;
    };
    let version = if flags & 1 == 0 {
        Version::V3_1_1
    } else {
        Version::V5
    };
    let max = MAX_PACKET_SIZES[usize::from((flags >> 1) & 0b11)];
    let whole = decode(version, max, stream, stream.len());
    if *chunk != 0 {
        let chunked = decode(version, max, stream, usize::from(*chunk));
        assert_eq!(
            chunked.packets, whole.packets,
            "chunking changed the packets"
        );
        assert_eq!(chunked.error, whole.error, "chunking changed the outcome");
        // At an error the chunked decoder has not been given the rest of the stream.
        if whole.error.is_none() {
            assert_eq!(chunked.buffered, whole.buffered);
        }
    }
});
