//! The MQTT engine: a sans-IO session over mqttbytes, for MQTT 3.1.1 and 5.0. Bytes and the
//! time go in; bytes to send, events and the next deadline come out. No sockets, timers or
//! clocks in here, so it compiles and is tested natively, on any machine, with no wasm tooling.

pub mod codec;
pub mod options;
#[cfg(feature = "serde")]
pub mod qos_serde;
pub mod reason;
pub mod reconnect;
pub mod session;
pub mod time;
pub mod topic;

pub use mqttbytes::QoS;
pub use options::{
    generated_client_id, ConnectOptions, Credentials, OptionsError, Version, Will,
    DEFAULT_MAX_INFLIGHT, DEFAULT_MAX_PACKET_SIZE, DEFAULT_MAX_QUEUED_BYTES,
    DEFAULT_MAX_QUEUED_MESSAGES,
};
pub use reason::ReasonCode;
pub use reconnect::Backoff;
pub use session::{
    DisconnectReason, Event, Message, Pending, PublishError, PublishId, QueueStats, RequestId,
    Session, State, SubscribeError, SubscribeResult, CLOSES_BEFORE_GIVING_UP,
};
pub use time::{Duration, Instant};
pub use topic::{TopicError, TopicFilter, TopicName};
