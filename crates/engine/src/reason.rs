//! MQTT reason codes in words a user can read.
//!
//! MQTT 5.0 gives one table of reason codes shared by every packet (section 2.4). The codec
//! maps MQTT 3.1.1's CONNACK return codes onto the same table, so the rest of the code has one
//! kind of reason whichever version is on the wire.

use std::fmt;

/// A reason code as the broker sent it (MQTT 5.0 numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReasonCode(pub u8);

impl ReasonCode {
    /// Codes of 0x80 and above report a failure.
    pub fn is_failure(self) -> bool {
        self.0 >= 0x80
    }

    /// The reason in plain words.
    pub fn text(self) -> &'static str {
        match self.0 {
            0x00 => "success",
            0x04 => "disconnected with the will message",
            0x10 => "no subscriber matched the topic",
            0x11 => "no such subscription existed",
            0x80 => "unspecified error",
            0x81 => "malformed packet",
            0x82 => "protocol error",
            0x83 => "implementation specific error",
            0x84 => "the broker does not support this MQTT version",
            0x85 => "the broker rejected the client id",
            0x86 => "bad user name or password",
            0x87 => "not authorized",
            0x88 => "the broker is unavailable",
            0x89 => "the broker is busy",
            0x8A => "this client is banned",
            0x8B => "the broker is shutting down",
            0x8C => "bad authentication method",
            0x8D => "keep alive timeout",
            0x8E => "another client connected with the same client id (session taken over)",
            0x8F => "the topic filter is invalid",
            0x90 => "the topic name is invalid",
            0x91 => "packet identifier in use",
            0x92 => "packet identifier not found",
            0x93 => "receive maximum exceeded",
            0x94 => "topic alias invalid",
            0x95 => "packet too large",
            0x96 => "message rate too high",
            0x97 => "quota exceeded",
            0x98 => "administrative action",
            0x99 => "payload format invalid",
            0x9A => "retain not supported",
            0x9B => "QoS not supported",
            0x9C => "use another server",
            0x9D => "server moved",
            0x9E => "shared subscriptions not supported",
            0x9F => "connection rate exceeded",
            0xA0 => "maximum connect time",
            0xA1 => "subscription identifiers not supported",
            0xA2 => "wildcard subscriptions not supported",
            _ => "unknown reason",
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (reason code 0x{:02X})", self.text(), self.0)
    }
}

/// MQTT 3.1.1 CONNACK return codes (section 3.2.2.3) in MQTT 5.0 numbering.
pub fn from_v3_connect_return(code: mqttbytes::v4::ConnectReturnCode) -> ReasonCode {
    use mqttbytes::v4::ConnectReturnCode::*;
    ReasonCode(match code {
        Success => 0x00,
        RefusedProtocolVersion => 0x84,
        BadClientId => 0x85,
        ServiceUnavailable => 0x88,
        BadUserNamePassword => 0x86,
        NotAuthorized => 0x87,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqttbytes::v4::ConnectReturnCode;

    #[test]
    fn every_v3_return_code_reads_as_words() {
        let texts: Vec<String> = [
            ConnectReturnCode::RefusedProtocolVersion,
            ConnectReturnCode::BadClientId,
            ConnectReturnCode::ServiceUnavailable,
            ConnectReturnCode::BadUserNamePassword,
            ConnectReturnCode::NotAuthorized,
        ]
        .into_iter()
        .map(|code| from_v3_connect_return(code).to_string())
        .collect();
        assert_eq!(
            texts,
            [
                "the broker does not support this MQTT version (reason code 0x84)",
                "the broker rejected the client id (reason code 0x85)",
                "the broker is unavailable (reason code 0x88)",
                "bad user name or password (reason code 0x86)",
                "not authorized (reason code 0x87)",
            ]
        );
        assert!(!from_v3_connect_return(ConnectReturnCode::Success).is_failure());
    }

    #[test]
    fn every_v5_connack_code_has_its_own_words() {
        let connack_codes = [
            0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95,
            0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
        ];
        for code in connack_codes {
            let reason = ReasonCode(code);
            assert!(reason.is_failure());
            assert_ne!(reason.text(), "unknown reason", "0x{code:02X}");
        }
        assert_eq!(ReasonCode(0x7F).text(), "unknown reason");
    }
}
