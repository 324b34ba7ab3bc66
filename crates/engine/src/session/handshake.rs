//! The handshake: CONNECT on a new link, and CONNACK, which says what the broker allows and
//! whether it kept the session, and so what goes out again.

use super::{BrokerLimits, DisconnectReason, Event, Session, State};
use crate::codec::Packet;
use crate::options::Version;
use crate::reason::ReasonCode;
use crate::time::{Duration, Instant};
use mqttbytes::v5::{self, ConnAck, ConnectReturnCode};
use mqttbytes::QoS;

impl Session {
    /// Starts the MQTT handshake on a transport that has just opened.
    pub fn connect(&mut self, now: Instant) {
        let options = &self.options;
        let mut connect = v5::Connect::new(options.client_id.clone());
        connect.protocol = match options.version {
            Version::V3_1_1 => mqttbytes::Protocol::V4,
            Version::V5 => mqttbytes::Protocol::V5,
        };
        connect.keep_alive = options.keep_alive_secs;
        // A 5.0 session with an expiry outlives its link: reconnects resume it, whatever the
        // first CONNECT asked.
        let resumable = options.version == Version::V5 && options.session_expiry_secs > 0;
        connect.clean_session = options.clean_start && !(resumable && self.has_connected);
        if let Some(credentials) = &options.credentials {
            connect.set_login(credentials.username.clone(), credentials.password.clone());
        }
        connect.last_will = options.will.as_ref().map(|will| v5::LastWill {
            topic: will.topic.clone(),
            message: will.payload.clone(),
            qos: will.qos,
            retain: will.retain,
            properties: None,
        });
        if options.version == Version::V5 {
            connect.properties = Some(v5::ConnectProperties {
                session_expiry_interval: (options.session_expiry_secs > 0)
                    .then_some(options.session_expiry_secs),
                receive_maximum: None,
                max_packet_size: u32::try_from(options.max_packet_size).ok(),
                topic_alias_max: None,
                request_response_info: None,
                request_problem_info: None,
                user_properties: Vec::new(),
                authentication_method: None,
                authentication_data: None,
            });
        }
        self.decoder.clear();
        self.clear_transmit();
        self.limits = BrokerLimits::assumed(&self.options);
        self.keep_alive = Duration::from_secs(u64::from(self.options.keep_alive_secs));
        self.ping_sent_at = None;
        self.connack_deadline = Some(now + self.options.response_timeout);
        self.state = State::Connecting;
        self.send(&Packet::Connect(connect), now);
    }

    pub(super) fn handle_connack(&mut self, connack: ConnAck, now: Instant) {
        self.connack_deadline = None;
        if connack.code != ConnectReturnCode::Success {
            self.end(DisconnectReason::Refused(ReasonCode(connack.code as u8)));
            return;
        }
        if let Some(properties) = &connack.properties {
            let limits = &mut self.limits;
            if let Some(receive_maximum) = properties.receive_max {
                limits.receive_maximum = receive_maximum.max(1);
            }
            if let Some(max) = properties.max_packet_size {
                limits.max_packet_size = max as usize;
            }
            if let Some(max_qos) = properties.max_qos {
                limits.max_qos = mqttbytes::qos(max_qos).unwrap_or(QoS::AtMostOnce);
            }
            if let Some(retain) = properties.retain_available {
                limits.retain_available = retain == 1;
            }
            if let Some(keep_alive) = properties.server_keep_alive {
                self.keep_alive = Duration::from_secs(u64::from(keep_alive));
            }
            if let Some(client_id) = &properties.assigned_client_identifier {
                self.options.client_id = client_id.clone();
            }
        }
        self.state = State::Connected;
        self.has_connected = true;
        self.events.push_back(Event::Connected {
            session_present: connack.session_present,
        });
        if !connack.session_present {
            // The broker has no record of what was half done. A QoS 2 message it answered
            // with PUBREC is its own (section 4.3.3) and is never sent again; the rest start
            // afresh below.
            self.incoming_qos2.clear();
            for id in self.outgoing.take_released() {
                self.events.push_back(Event::Published { id });
            }
            self.subscribe_again();
        }
        self.resend_unacknowledged(connack.session_present, now);
        self.send_waiting(now);
    }

    /// After a reconnect: PUBLISH again (with DUP when the broker kept the session) or PUBREL
    /// again, in the order first sent; then unanswered SUBSCRIBE and UNSUBSCRIBE.
    pub(super) fn resend_unacknowledged(&mut self, session_present: bool, now: Instant) {
        for packet in self.outgoing.resend(session_present, now) {
            self.send(&packet, now);
        }
        let mut pkids: Vec<u16> = self.requests.keys().copied().collect();
        pkids.sort_unstable();
        for pkid in pkids {
            self.send_request(pkid, now);
        }
    }
}
