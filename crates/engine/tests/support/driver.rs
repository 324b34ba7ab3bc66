//! A native driver for the sans-IO session: a blocking tungstenite WebSocket and an `Instant`
//! clock. It moves bytes, time and the end of the link; every MQTT decision is the session's.

use mqtt_engine::codec::{Packet, StreamDecoder};
use mqtt_engine::{
    Backoff, ConnectOptions, DisconnectReason, Event, Message, PublishId, QoS, ReasonCode, Session,
    SubscribeResult,
};
use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::HandshakeError;
use tungstenite::http::HeaderValue;
use tungstenite::{Message as WsMessage, WebSocket};

/// How long `wait_for` waits before the test fails.
pub const WAIT_LIMIT: Duration = Duration::from_secs(5);

/// The longest the driver blocks in a read, so it wakes for deadlines and time limits.
const READ_SLICE: Duration = Duration::from_millis(20);

/// What crossed the WebSocket.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub messages_in: usize,
    pub bytes_in: usize,
    pub messages_out: usize,
}

pub struct Client {
    pub session: Session,
    pub stats: Stats,
    socket: Option<WebSocket<TcpStream>>,
    clock: Instant,
    /// Events out of the session that the test has not taken yet, oldest first.
    events: VecDeque<Event>,
    name: String,
    /// Off until `tap_wire`.
    tap: Option<WireTap>,
}

/// The packets that came in, decoded a second time beside the session, with when they came:
/// for a story that must know of packets the session keeps to itself (PUBREL).
struct WireTap {
    decoder: StreamDecoder,
    heard: Vec<(Instant, Packet)>,
}

impl Client {
    /// Opens `ws://127.0.0.1:PORT/mqtt` and sends CONNECT. `Err` if the WebSocket does not open.
    pub fn open(port: u16, options: ConnectOptions) -> Result<Self, String> {
        let socket = open_websocket(port)?;
        let name = options.client_id.clone();
        let session = Session::new(options).map_err(|error| error.to_string())?;
        let mut client = Self {
            session,
            stats: Stats::default(),
            socket: Some(socket),
            clock: Instant::now(),
            events: VecDeque::new(),
            name,
            tap: None,
        };
        let now = client.now();
        client.session.connect(now);
        client.after_input();
        Ok(client)
    }

    /// Opens a new link for the same session, after the last one ended, and sends CONNECT.
    pub fn reopen(&mut self, port: u16) -> Result<(), String> {
        assert!(!self.is_open(), "{}: the link is still open", self.name);
        self.socket = Some(open_websocket(port)?);
        if let Some(tap) = self.tap.as_mut() {
            tap.decoder.clear(); // a packet cut short by the last link
        }
        let now = self.now();
        self.session.connect(now);
        self.after_input();
        Ok(())
    }

    /// Opens the link and waits for CONNACK; panics if the broker refuses.
    pub fn connect(port: u16, options: ConnectOptions) -> Self {
        let mut client = Self::open(port, options).unwrap_or_else(|error| panic!("{error}"));
        client.wait_connected();
        client
    }

    /// Waits for CONNACK; panics if the broker refuses. Says whether the broker had a session.
    pub fn wait_connected(&mut self) -> bool {
        let event = self.wait_for("CONNACK", |event| {
            matches!(event, Event::Connected { .. } | Event::Disconnected { .. })
        });
        match event {
            Event::Connected { session_present } => session_present,
            other => panic!("{}: {other:?}", self.name),
        }
    }

    /// Milliseconds since this client was made: the session's clock.
    pub fn now(&self) -> mqtt_engine::Instant {
        mqtt_engine::Instant::from_millis(self.clock.elapsed().as_millis() as u64)
    }

    /// From now on, keeps each packet that comes in, for `take_heard`.
    pub fn tap_wire(&mut self) {
        let decoder = StreamDecoder::new(self.session.options().version, usize::MAX);
        self.tap = Some(WireTap {
            decoder,
            heard: Vec::new(),
        });
    }

    /// The packets that came in since the last call, with when; empty without `tap_wire`.
    pub fn take_heard(&mut self) -> Vec<(Instant, Packet)> {
        (self.tap.as_mut()).map_or_else(Vec::new, |tap| std::mem::take(&mut tap.heard))
    }

    pub fn is_open(&self) -> bool {
        self.socket.is_some()
    }

    /// Runs the link until an event that `matches` comes out and takes it; events before it
    /// stay for later. Panics after [`WAIT_LIMIT`], or if the link closes first.
    pub fn wait_for(&mut self, what: &str, matches: impl FnMut(&Event) -> bool) -> Event {
        self.take(what, 1, matches).pop().unwrap()
    }

    /// Like `wait_for`, for `count` events.
    pub fn take(
        &mut self,
        what: &str,
        count: usize,
        mut matches: impl FnMut(&Event) -> bool,
    ) -> Vec<Event> {
        let give_up = Instant::now() + WAIT_LIMIT;
        let mut taken = Vec::new();
        loop {
            let mut index = 0;
            while index < self.events.len() && taken.len() < count {
                if matches(&self.events[index]) {
                    taken.push(self.events.remove(index).unwrap());
                } else {
                    index += 1;
                }
            }
            if taken.len() == count {
                return taken;
            }
            let problem = if !self.is_open() {
                "the link closed"
            } else if Instant::now() > give_up {
                "time ran out"
            } else {
                self.turn();
                continue;
            };
            panic!(
                "{}: {problem} after {} of {count} {what}; events not taken: {}",
                self.name,
                taken.len(),
                self.pending_summary()
            );
        }
    }

    /// Runs the link for `duration`, then hands over every event not yet taken.
    pub fn run_for(&mut self, duration: Duration) -> Vec<Event> {
        let until = Instant::now() + duration;
        while Instant::now() < until && self.is_open() {
            self.turn();
        }
        self.events.drain(..).collect()
    }

    /// Lets the session act on an input given through `self.session`: sends what it wrote.
    pub fn flush(&mut self) {
        self.after_input();
    }

    /// One turn of the link (see `turn`), then every event not yet taken. Returns at once when
    /// there is no link.
    pub fn step(&mut self) -> Vec<Event> {
        self.turn();
        self.events.drain(..).collect()
    }

    /// Kills the link as a crash would: no DISCONNECT, no WebSocket close, just the TCP socket
    /// closing. Takes the `Disconnected` event this gives.
    pub fn drop_link(&mut self) {
        assert!(
            self.socket.take().is_some(),
            "{}: no link to drop",
            self.name
        );
        self.session
            .handle_closed("the test dropped the connection");
        self.drain_events();
        self.wait_disconnected();
    }

    /// One turn of the loop: read one WebSocket message or wait a short while for one, then
    /// pass the input and the time to the session.
    fn turn(&mut self) {
        let wait = match self.session.poll_timeout() {
            Some(deadline) => Duration::from_millis((deadline - self.now()).as_millis()),
            None => READ_SLICE,
        };
        let wait = wait.clamp(Duration::from_millis(1), READ_SLICE);
        let Some(socket) = self.socket.as_mut() else {
            return;
        };
        socket.get_ref().set_read_timeout(Some(wait)).unwrap();
        match socket.read() {
            Ok(WsMessage::Binary(bytes)) => {
                self.stats.messages_in += 1;
                self.stats.bytes_in += bytes.len();
                if let Some(tap) = self.tap.as_mut() {
                    tap.decoder.push(&bytes);
                    while let Ok(Some(packet)) = tap.decoder.next_packet() {
                        tap.heard.push((Instant::now(), packet));
                    }
                }
                let now = self.now();
                self.session.handle_bytes(&bytes, now);
            }
            Ok(WsMessage::Text(_)) => {
                self.close_link("the server sent a text WebSocket message; MQTT needs binary")
            }
            Ok(WsMessage::Close(frame)) => {
                let _ = socket.flush(); // tungstenite has queued the reply
                let reason = match frame {
                    Some(frame) => format!(
                        "the server closed the WebSocket ({} {})",
                        frame.code, frame.reason
                    ),
                    None => "the server closed the WebSocket".to_string(),
                };
                self.close_link(&reason);
            }
            Ok(_) => {} // ping, pong: tungstenite answers pings itself
            Err(tungstenite::Error::Io(error))
                if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(error) => self.close_link(&format!("the WebSocket failed: {error}")),
        }
        self.after_input();
    }

    /// After any input: the timer if due, then events out, bytes out, and the end of the link.
    fn after_input(&mut self) {
        let now = self.now();
        if self.session.poll_timeout().is_some_and(|due| now >= due) {
            self.session.handle_timeout(now);
        }
        let mut ended = self.drain_events();
        while let Some(bytes) = self.session.poll_transmit() {
            let Some(socket) = self.socket.as_mut() else {
                break;
            };
            self.stats.messages_out += 1;
            if let Err(error) = socket.send(WsMessage::Binary(bytes)) {
                self.close_link(&format!("cannot send: {error}"));
            }
        }
        ended |= self.drain_events(); // a failed send ends the link too
        if ended {
            if let Some(mut socket) = self.socket.take() {
                let _ = socket.close(None);
                let _ = socket.flush();
            }
        }
    }

    /// Moves the session's events to the queue; true if the link ended.
    fn drain_events(&mut self) -> bool {
        let mut ended = false;
        while let Some(event) = self.session.poll_event() {
            ended |= matches!(event, Event::Disconnected { .. });
            self.events.push_back(event);
        }
        ended
    }

    fn close_link(&mut self, reason: &str) {
        self.socket = None;
        self.session.handle_closed(reason);
    }

    fn pending_summary(&self) -> String {
        let shown: Vec<String> = self
            .events
            .iter()
            .take(8)
            .map(|e| format!("{e:?}"))
            .collect();
        let more = self.events.len().saturating_sub(shown.len());
        let mut summary = format!("[{}]", shown.join(", "));
        if more > 0 {
            summary += &format!(" and {more} more");
        }
        summary
    }
}

/// Keeps a client linked to a broker that comes and goes: after the link ends, it opens a new
/// one for the same session once the engine's `Backoff` says so. It only moves sockets and
/// time; what to resend on the new link is the session's business.
pub struct Redial {
    backoff: Backoff,
    retry_at: Option<Instant>,
    last_attempt: Option<Instant>,
    /// xorshift state: the jitter the engine asks the driver for.
    seed: u64,
}

impl Redial {
    pub fn new(backoff: Backoff, seed: u64) -> Self {
        Self {
            backoff,
            retry_at: None,
            last_attempt: None,
            seed: seed | 1,
        }
    }

    /// One pass: a turn of the link if it is up; if it is down, a new link once the delay has
    /// passed (or a short sleep until then). Returns the events that came out.
    pub fn step(&mut self, client: &mut Client, port: u16) -> Vec<Event> {
        if client.is_open() {
            let events = client.step();
            if (events.iter()).any(|event| matches!(event, Event::Connected { .. })) {
                self.backoff.reset();
            }
            return events;
        }
        let now = Instant::now();
        match self.retry_at {
            None => {
                let random = self.random();
                let delay = self.backoff.next_delay(random);
                self.retry_at = Some(now + Duration::from_millis(delay.as_millis()));
            }
            Some(at) if now >= at => {
                self.retry_at = None;
                self.last_attempt = Some(now);
                // A refused socket is simply tried again after the next delay.
                let _ = client.reopen(port);
            }
            Some(at) => std::thread::sleep((at - now).min(Duration::from_millis(2))),
        }
        client.events.drain(..).collect()
    }

    /// When the last new link was opened.
    pub fn last_attempt(&self) -> Option<Instant> {
        self.last_attempt
    }

    fn random(&mut self) -> f64 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        (self.seed >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Opens `ws://127.0.0.1:PORT/mqtt`, offering the `mqtt` subprotocol.
fn open_websocket(port: u16) -> Result<WebSocket<TcpStream>, String> {
    let url = format!("ws://127.0.0.1:{port}/mqtt");
    let mut request = url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
    let stream = TcpStream::connect(("127.0.0.1", port))
        .map_err(|error| format!("cannot reach {url}: {error}"))?;
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(WAIT_LIMIT)).unwrap();
    match tungstenite::client(request, stream) {
        Ok((socket, _response)) => Ok(socket),
        Err(HandshakeError::Failure(error)) => Err(format!(
            "the WebSocket handshake with {url} failed: {error}"
        )),
        Err(HandshakeError::Interrupted(_)) => Err(format!(
            "no answer to the WebSocket handshake with {url} in {WAIT_LIMIT:?}"
        )),
    }
}

/// Shorthands for the stories: an input to the session, then a wait for the event answering it.
impl Client {
    /// Subscribes and waits for SUBACK.
    pub fn subscribe(&mut self, filters: &[(&str, QoS)]) -> Vec<SubscribeResult> {
        let filters = filters
            .iter()
            .map(|(filter, qos)| (filter.to_string(), *qos))
            .collect();
        let now = self.now();
        let id = self.session.subscribe(filters, now).expect("subscribe");
        self.flush();
        match self.wait_for(
            "SUBACK",
            |event| matches!(event, Event::Subscribed { id: answered, .. } if *answered == id),
        ) {
            Event::Subscribed { results, .. } => results,
            _ => unreachable!(),
        }
    }

    /// Unsubscribes and waits for UNSUBACK.
    pub fn unsubscribe(&mut self, filters: &[&str]) {
        let filters = filters.iter().map(|filter| filter.to_string()).collect();
        let now = self.now();
        let id = self.session.unsubscribe(filters, now).expect("unsubscribe");
        self.flush();
        self.wait_for(
            "UNSUBACK",
            |event| matches!(event, Event::Unsubscribed { id: answered, .. } if *answered == id),
        );
    }

    /// Hands a message to the session and sends it (QoS 1 and 2 as the window allows).
    pub fn publish(&mut self, message: Message) -> PublishId {
        let now = self.now();
        let id = self.session.publish(message, now).expect("publish");
        self.flush();
        id
    }

    /// Waits for the end of publish `id`: `Published`, or `PublishFailed` with its reason.
    pub fn outcome(&mut self, id: PublishId) -> Result<(), ReasonCode> {
        match self.wait_for("the outcome of a publish", |event| match event {
            Event::Published { id: done } | Event::PublishFailed { id: done, .. } => *done == id,
            _ => false,
        }) {
            Event::PublishFailed { reason, .. } => Err(reason),
            _ => Ok(()),
        }
    }

    /// Waits for the next message received.
    pub fn next_message(&mut self) -> Message {
        match self.wait_for("a message", |event| matches!(event, Event::Message(_))) {
            Event::Message(message) => message,
            _ => unreachable!(),
        }
    }

    /// Waits for the link to end and says why it did.
    pub fn wait_disconnected(&mut self) -> DisconnectReason {
        match self.wait_for("the end of the link", |event| {
            matches!(event, Event::Disconnected { .. })
        }) {
            Event::Disconnected { reason } => reason,
            _ => unreachable!(),
        }
    }

    /// Says goodbye with DISCONNECT and waits for the link to close.
    pub fn disconnect(&mut self) -> DisconnectReason {
        let now = self.now();
        self.session.disconnect(now);
        self.flush();
        self.wait_disconnected()
    }
}
