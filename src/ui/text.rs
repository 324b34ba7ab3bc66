//! The words and formats the app shows: log lines as the tutorial prints them, payloads as
//! text (or hex when they are not UTF-8), times.

use crate::mqtt::QoS;

/// Longest payload shown in full, in characters (or bytes, in hex).
const SHOWN_CHARS: usize = 2_000;
const SHOWN_HEX_BYTES: usize = 256;

/// The payload as text if it is UTF-8, else as hex; long ones cut short with their size.
pub fn payload_text(payload: &[u8]) -> String {
    match std::str::from_utf8(payload) {
        Ok(text) if text.chars().count() <= SHOWN_CHARS => text.to_string(),
        Ok(text) => {
            let shown: String = text.chars().take(SHOWN_CHARS).collect();
            format!("{shown}… ({} bytes)", payload.len())
        }
        Err(_) => {
            let hex: Vec<String> = payload
                .iter()
                .take(SHOWN_HEX_BYTES)
                .map(|byte| format!("{byte:02x}"))
                .collect();
            let more = if payload.len() > SHOWN_HEX_BYTES {
                format!("… ({} bytes)", payload.len())
            } else {
                String::new()
            };
            format!("hex: {}{more}", hex.join(" "))
        }
    }
}

/// As the tutorial's sub.py prints it.
pub fn received_line(payload: &[u8], topic: &str) -> String {
    format!("Received `{}` from `{topic}` topic", payload_text(payload))
}

/// As the tutorial's pub.py prints it.
pub fn sent_line(payload: &[u8], topic: &str) -> String {
    format!("Send `{}` to topic `{topic}`", payload_text(payload))
}

/// As the tutorial's pub.py prints it, with the reason.
pub fn failed_line(topic: &str, reason: &str) -> String {
    format!("Failed to send message to topic {topic}: {reason}")
}

/// What the counter publishes on its `n`th tick, counting from 0.
pub fn counter_payload(n: u64) -> String {
    format!("messages: {n}")
}

pub fn qos_label(qos: QoS) -> &'static str {
    match qos {
        QoS::AtMostOnce => "QoS 0",
        QoS::AtLeastOnce => "QoS 1",
        QoS::ExactlyOnce => "QoS 2",
    }
}

/// `HH:MM:SS.mmm`.
pub fn clock_time(hours: u32, minutes: u32, seconds: u32, millis: u32) -> String {
    format!("{hours:02}:{minutes:02}:{seconds:02}.{millis:03}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_the_tutorial_prints_them() {
        assert_eq!(
            received_line(b"messages: 3", "python/mqtt"),
            "Received `messages: 3` from `python/mqtt` topic"
        );
        assert_eq!(
            sent_line(b"messages: 0", "python/mqtt"),
            "Send `messages: 0` to topic `python/mqtt`"
        );
        assert_eq!(
            failed_line("python/mqtt", "not connected"),
            "Failed to send message to topic python/mqtt: not connected"
        );
        assert_eq!(counter_payload(7), "messages: 7");
    }

    #[test]
    fn payloads_that_are_not_text_show_as_hex() {
        assert_eq!(payload_text(&[0xff, 0x00, 0x10]), "hex: ff 00 10");
        assert_eq!(payload_text("<b>é</b>".as_bytes()), "<b>é</b>");
        let long = vec![0xffu8; 300];
        assert!(payload_text(&long).ends_with("… (300 bytes)"));
        let long_text = "x".repeat(2_500);
        assert!(payload_text(long_text.as_bytes()).ends_with("… (2500 bytes)"));
    }

    #[test]
    fn times_are_padded() {
        assert_eq!(clock_time(9, 5, 3, 7), "09:05:03.007");
    }
}
