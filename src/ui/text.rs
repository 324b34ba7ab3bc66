//! The words and formats the app shows: log lines as the tutorial prints them, payloads as
//! text (or hex when they are not UTF-8), times.

use mqtt_client::{QueueView, RetryStatus};
use mqtt_engine::QoS;

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

/// Where reconnecting stands, at wall-clock time `now` (ms since 1970).
pub fn retry_text(retry: &RetryStatus, now: f64) -> String {
    let mut text = if retry.waiting_for_network {
        "The browser is offline: trying again when the network is back.".to_string()
    } else if let Some(at) = retry.next_try_at {
        let seconds = ((at - now).max(0.0) / 1000.0).ceil() as u64;
        format!(
            "Trying again in {seconds} s (attempt {}).",
            retry.attempt + 1
        )
    } else {
        format!("Trying again now (attempt {})…", retry.attempt)
    };
    if let Some(reason) = &retry.last_reason {
        text.push_str(&format!(" Last failure: {reason}."));
    }
    text
}

/// The queue of unsent messages in a sentence.
pub fn queue_text(queue: &QueueView) -> String {
    let mut text = format!(
        "{} waiting to be sent ({}), {} dropped at the bound; {} not yet acknowledged",
        count(queue.queued, "message"),
        size(queue.bytes),
        queue.dropped,
        queue.unacknowledged
    );
    if queue.restored > 0 {
        text.push_str(&format!(
            "; {} restored from this browser",
            count(queue.restored, "message")
        ));
    }
    text.push('.');
    text
}

fn count(n: usize, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        n => format!("{n} {what}s"),
    }
}

/// Bytes, in whole KB or MB past a thousand bytes (no float formatting: it costs kilobytes).
fn size(bytes: usize) -> String {
    match bytes {
        0..=999 => format!("{bytes} bytes"),
        1_000..=999_999 => format!("{} KB", bytes.div_ceil(1_000)),
        _ => format!("{} MB", bytes.div_ceil(1_000_000)),
    }
}

/// How many messages came, and how many of them the log still keeps if not all.
pub fn received_count(total: u64, kept: usize) -> String {
    if kept as u64 == total {
        format!("{total} in all")
    } else {
        format!("{total} in all, {kept} kept")
    }
}

/// Messages a second, from `count` messages over `elapsed_ms`, rounded down.
pub fn per_second(count: u64, elapsed_ms: u64) -> u64 {
    count
        .saturating_mul(1_000)
        .checked_div(elapsed_ms)
        .unwrap_or(0)
}

/// A rate, with its thousands grouped: `12,345 msg/s`.
pub fn rate_text(per_second: u64) -> String {
    let digits = per_second.to_string();
    let mut text = String::with_capacity(digits.len() + 10);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text.push_str(" msg/s");
    text
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
    fn reconnecting_is_told_with_a_countdown() {
        let scheduled = RetryStatus {
            active: true,
            attempt: 1,
            next_try_at: Some(10_500.0),
            last_reason: Some("the connection to the broker was lost".into()),
            waiting_for_network: false,
        };
        assert_eq!(
            retry_text(&scheduled, 8_000.0),
            "Trying again in 3 s (attempt 2). Last failure: the connection to the broker was lost."
        );
        let trying = RetryStatus {
            next_try_at: None,
            attempt: 2,
            last_reason: None,
            ..scheduled.clone()
        };
        assert_eq!(retry_text(&trying, 0.0), "Trying again now (attempt 2)…");
        let offline = RetryStatus {
            waiting_for_network: true,
            next_try_at: None,
            last_reason: None,
            ..scheduled
        };
        assert!(retry_text(&offline, 0.0).starts_with("The browser is offline"));
    }

    #[test]
    fn the_queue_reads_as_a_sentence() {
        let queue = QueueView {
            queued: 3,
            bytes: 1_500,
            dropped: 0,
            unacknowledged: 4,
            restored: 1,
        };
        assert_eq!(
            queue_text(&queue),
            "3 messages waiting to be sent (2 KB), 0 dropped at the bound; 4 not yet \
             acknowledged; 1 message restored from this browser."
        );
        assert_eq!(
            queue_text(&QueueView::default()),
            "0 messages waiting to be sent (0 bytes), 0 dropped at the bound; 0 not yet acknowledged."
        );
    }

    #[test]
    fn counts_and_rates_read_plainly() {
        assert_eq!(received_count(3, 3), "3 in all");
        assert_eq!(received_count(250, 100), "250 in all, 100 kept");
        assert_eq!(per_second(5_000, 500), 10_000);
        assert_eq!(per_second(7, 1_001), 6);
        assert_eq!(per_second(7, 0), 0);
        assert_eq!(rate_text(0), "0 msg/s");
        assert_eq!(rate_text(999), "999 msg/s");
        assert_eq!(rate_text(10_000), "10,000 msg/s");
        assert_eq!(rate_text(1_234_567), "1,234,567 msg/s");
    }

    #[test]
    fn times_are_padded() {
        assert_eq!(clock_time(9, 5, 3, 7), "09:05:03.007");
    }
}
