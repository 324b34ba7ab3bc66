//! The connection the user asked for: a broker and connect options, the session that lives
//! across its links, and this tab's claim on what is stored for that broker and client id.

use crate::clock::wall_clock;
use crate::stored_queue;
use crate::tab_lock::Claim;
use crate::update::{Outcome, QueueView, Sent};
use mqtt_engine::{ConnectOptions, Event, Message, PublishId, RequestId, Session};

/// Publish and request ids of the n-th session are tagged with n in their high bits, so that
/// they stay unique in the logs across sessions (each session counts from 1).
const TAG_SHIFT: u32 = 40;

pub(crate) struct Current {
    pub url: String,
    /// As given: the session may change its client id, when the broker assigns one.
    pub options: ConnectOptions,
    pub session: Session,
    /// This session's number, in the high bits of its ids.
    pub tag: u64,
    /// Messages read back from storage when the session began.
    pub restored: usize,
    /// Whether this tab has the stored queue of this broker and client id; `None` while it
    /// asks. Only the tab that has it reads and writes it.
    pub claim: Option<Claim>,
}

/// What taking up the stored queue gave.
pub(crate) struct Restored {
    /// The messages handed to the session, for the log of sent messages.
    pub sent: Vec<Sent>,
    /// What to tell the user: which tab has the queue, or why it could not be read.
    pub notice: Option<String>,
}

impl Current {
    /// Takes `claim`, and restores the stored queue into the session if this tab has it.
    pub fn take_claim(&mut self, claim: Claim) -> Restored {
        let elsewhere = matches!(claim, Claim::HeldElsewhere);
        self.claim = Some(claim);
        if elsewhere {
            let client_id = &self.options.client_id;
            return Restored {
                sent: Vec::new(),
                notice: Some(format!(
                    "Another tab of this browser is connected to this broker as \"{client_id}\": \
                     the messages stored for it stay with that tab, and this tab stores none. \
                     Close that tab, or use another client id here."
                )),
            };
        }
        let pending = match stored_queue::load(&self.url, &self.options.client_id) {
            Ok(pending) => pending,
            Err(text) => {
                return Restored {
                    sent: Vec::new(),
                    notice: Some(text),
                }
            }
        };
        let entries: Vec<Sent> = (pending.iter())
            .map(|pending| Sent {
                outcome: if pending.released {
                    Outcome::Received
                } else {
                    Outcome::Pending
                },
                ..sent_entry(&pending.message)
            })
            .collect();
        let tag = self.tag;
        let sent: Vec<Sent> = (self.session.restore(pending).into_iter().zip(entries))
            .filter_map(|(id, sent)| {
                let id = tag_publish(tag, id.ok()?);
                Some(Sent { id, ..sent })
            })
            .collect();
        self.restored = sent.len();
        Restored { sent, notice: None }
    }

    /// Writes the stored queue, unless another tab has it, or this one has not read it yet.
    pub fn save(&self) -> Result<(), String> {
        if matches!(self.claim, None | Some(Claim::HeldElsewhere)) {
            return Ok(());
        }
        let pending = self.session.pending();
        stored_queue::save(&self.url, &self.options.client_id, &pending)
    }

    pub fn queue_view(&self) -> QueueView {
        let stats = self.session.queue_stats();
        QueueView {
            queued: stats.messages,
            bytes: stats.bytes,
            dropped: stats.dropped,
            unacknowledged: self.session.unacknowledged(),
            restored: self.restored,
        }
    }

    pub fn tag_publish(&self, id: PublishId) -> PublishId {
        tag_publish(self.tag, id)
    }

    pub fn tag_request(&self, id: RequestId) -> RequestId {
        tag_request(self.tag, id)
    }

    /// The event with this session's ids tagged.
    pub fn tagged(&self, event: Event) -> Event {
        match event {
            Event::PublishReceived { id } => Event::PublishReceived {
                id: self.tag_publish(id),
            },
            Event::Published { id } => Event::Published {
                id: self.tag_publish(id),
            },
            Event::PublishFailed { id, reason } => Event::PublishFailed {
                id: self.tag_publish(id),
                reason,
            },
            Event::PublishGivenUp { id } => Event::PublishGivenUp {
                id: self.tag_publish(id),
            },
            Event::Subscribed { id, results } => Event::Subscribed {
                id: self.tag_request(id),
                results,
            },
            Event::Unsubscribed { id, filters } => Event::Unsubscribed {
                id: self.tag_request(id),
                filters,
            },
            other => other,
        }
    }
}

/// The entry of the log of sent messages for `message`, not yet acknowledged.
pub(crate) fn sent_entry(message: &Message) -> Sent {
    Sent {
        id: PublishId(0),
        at: wall_clock(),
        topic: message.topic.clone(),
        payload: message.payload.clone(),
        qos: message.qos,
        retain: message.retain,
        outcome: Outcome::Pending,
    }
}

fn tag_publish(tag: u64, id: PublishId) -> PublishId {
    PublishId(tag << TAG_SHIFT | id.0)
}

fn tag_request(tag: u64, id: RequestId) -> RequestId {
    RequestId(tag << TAG_SHIFT | id.0)
}
