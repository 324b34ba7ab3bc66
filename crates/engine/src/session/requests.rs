//! SUBSCRIBE and UNSUBSCRIBE: requests kept until acknowledged, sent again after a
//! reconnect, and the filters the broker granted, asked for again when it lost the session.

use super::{Event, RequestId, Session, State, SubscribeError, SubscribeResult};
use crate::codec::{self, granted_qos, Packet};
use crate::reason::ReasonCode;
use crate::time::Instant;
use crate::topic::TopicFilter;
use mqttbytes::v5;
use mqttbytes::QoS;

/// Filters and their QoS, sorted by filter: a sorted Vec rather than a BTreeMap, since a client
/// has a few and BTreeMap's code cost the release wasm 2.6 KB gzip.
#[derive(Default)]
pub(super) struct Granted(Vec<(String, QoS)>);

impl Granted {
    fn insert(&mut self, filter: &str, qos: QoS) {
        match self.find(filter) {
            Ok(at) => self.0[at].1 = qos,
            Err(at) => self.0.insert(at, (filter.to_string(), qos)),
        }
    }

    fn remove(&mut self, filter: &str) {
        if let Ok(at) = self.find(filter) {
            self.0.remove(at);
        }
    }

    fn find(&self, filter: &str) -> Result<usize, usize> {
        self.0
            .binary_search_by(|(known, _)| known.as_str().cmp(filter))
    }
}

/// A SUBSCRIBE or UNSUBSCRIBE awaiting its acknowledgement.
pub(super) struct Request {
    id: RequestId,
    packet: Packet,
}

fn valid_filter(filter: String) -> Result<String, SubscribeError> {
    match TopicFilter::new(filter.as_str()) {
        Ok(_) => Ok(filter),
        Err(error) => Err(SubscribeError::InvalidFilter { filter, error }),
    }
}

impl Session {
    /// The filters the broker granted, with the QoS asked for.
    pub fn subscriptions(&self) -> impl Iterator<Item = (&str, QoS)> {
        (self.subscriptions.0.iter()).map(|(filter, qos)| (filter.as_str(), *qos))
    }

    pub fn subscribe(
        &mut self,
        filters: Vec<(String, QoS)>,
        now: Instant,
    ) -> Result<RequestId, SubscribeError> {
        if filters.is_empty() {
            return Err(SubscribeError::NoFilters);
        }
        let mut packet = v5::Subscribe::empty_subscribe();
        for (filter, qos) in filters {
            let filter = valid_filter(filter)?;
            packet.filters.push(v5::SubscribeFilter::new(filter, qos));
        }
        Ok(self.request(Packet::Subscribe(packet), now))
    }

    pub fn unsubscribe(
        &mut self,
        filters: Vec<String>,
        now: Instant,
    ) -> Result<RequestId, SubscribeError> {
        if filters.is_empty() {
            return Err(SubscribeError::NoFilters);
        }
        let filters = filters
            .into_iter()
            .map(valid_filter)
            .collect::<Result<Vec<_>, _>>()?;
        let packet = v5::Unsubscribe {
            pkid: 0,
            filters,
            properties: None,
        };
        Ok(self.request(Packet::Unsubscribe(packet), now))
    }

    /// Asks again for every granted filter, in one SUBSCRIBE that `resend_unacknowledged`
    /// sends with the other requests.
    pub(super) fn subscribe_again(&mut self) {
        if self.subscriptions.0.is_empty() {
            return;
        }
        let mut packet = v5::Subscribe::empty_subscribe();
        for (filter, qos) in &self.subscriptions.0 {
            packet
                .filters
                .push(v5::SubscribeFilter::new(filter.clone(), *qos));
        }
        self.store_request(Packet::Subscribe(packet));
    }

    pub(super) fn handle_suback(&mut self, suback: v5::SubAck) {
        let Some(Request {
            id,
            packet: Packet::Subscribe(packet),
        }) = self.requests.remove(&suback.pkid)
        else {
            return;
        };
        let mut results = Vec::with_capacity(packet.filters.len());
        for (index, filter) in packet.filters.into_iter().enumerate() {
            let outcome = (suback.return_codes.get(index))
                .map_or(Err(ReasonCode(0x80)), |code| granted_qos(*code));
            match outcome {
                Ok(_) => self.subscriptions.insert(&filter.path, filter.qos),
                Err(_) => self.subscriptions.remove(&filter.path),
            };
            results.push(SubscribeResult {
                filter: filter.path,
                outcome,
            });
        }
        self.events.push_back(Event::Subscribed { id, results });
    }

    pub(super) fn handle_unsuback(&mut self, unsuback: v5::UnsubAck) {
        let Some(Request {
            id,
            packet: Packet::Unsubscribe(packet),
        }) = self.requests.remove(&unsuback.pkid)
        else {
            return;
        };
        for filter in &packet.filters {
            self.subscriptions.remove(filter);
        }
        self.events.push_back(Event::Unsubscribed {
            id,
            filters: packet.filters,
        });
    }

    /// Sends a SUBSCRIBE or UNSUBSCRIBE now, or after the next CONNACK while the link is down.
    pub(super) fn request(&mut self, packet: Packet, now: Instant) -> RequestId {
        let (id, pkid) = self.store_request(packet);
        if self.state == State::Connected {
            self.send_request(pkid, now);
        }
        id
    }

    /// Gives a request its packet id and keeps it until its acknowledgement.
    pub(super) fn store_request(&mut self, mut packet: Packet) -> (RequestId, u16) {
        let pkid = self.allocate_packet_id();
        match &mut packet {
            Packet::Subscribe(subscribe) => subscribe.pkid = pkid,
            Packet::Unsubscribe(unsubscribe) => unsubscribe.pkid = pkid,
            _ => {}
        }
        let id = RequestId(self.next_request_id);
        self.next_request_id += 1;
        self.requests.insert(pkid, Request { id, packet });
        (id, pkid)
    }

    /// Sends the stored request `pkid` from where it is kept (no copy of the packet, which
    /// would also make the app ship a clone of every packet kind).
    pub(super) fn send_request(&mut self, pkid: u16, now: Instant) {
        if let Some(request) = self.requests.get(&pkid) {
            let start = self.transmit.len();
            let encoded = codec::encode(&request.packet, self.options.version, &mut self.transmit);
            self.sent(start, encoded, now);
        }
    }
}
