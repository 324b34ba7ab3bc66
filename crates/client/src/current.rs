//! The connection the user asked for: a broker and connect options, the session that lives
//! across its links, and where this tab stands with what is stored for that broker and client
//! id.

use crate::queue_store::StorageError;
use crate::tab_lock::Claim;
use crate::update::{Outcome, QueueView, Sent};
use mqtt_engine::{ConnectOptions, Event, Pending, PublishId, RequestId, Session};
use std::collections::HashMap;

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
    pub hold: Hold,
    /// The page's names of the messages it published, by their tagged ids, until their end.
    pub page_ids: HashMap<PublishId, PublishId>,
}

/// Where this tab stands with the stored queue of this broker and client id. Only one tab at a
/// time reads and writes it; CONNECT waits until this is settled, so that what was stored goes
/// out first.
pub(crate) enum Hold {
    /// Asking for the Web Lock.
    Asking,
    /// This tab has it (or no tab can: no Web Locks here), and is reading what was stored.
    Reading(Claim),
    /// This tab took up what was stored, and writes it from now on (the claim's Web Lock is
    /// let go when it is dropped).
    Holding { _claim: Claim },
    /// Another tab of this browser has it: this tab neither reads nor writes it.
    Elsewhere,
    /// What was stored could not be read: this tab writes nothing over it, and keeps what is
    /// published only while it stays open.
    InMemory,
}

impl Hold {
    pub fn is_settled(&self) -> bool {
        !matches!(self, Self::Asking | Self::Reading(_))
    }
}

/// What taking up the stored queue gave.
#[derive(Default)]
pub(crate) struct Restored {
    /// The messages handed to the session, for the log of sent messages.
    pub sent: Vec<Sent>,
    /// What to tell the user: why the queue could not be read.
    pub notice: Option<String>,
}

/// A write of the stored queue, to be done away from the session.
pub(crate) struct SaveJob {
    pub url: String,
    pub client_id: String,
    pub pending: Vec<Pending>,
}

impl Current {
    /// Takes this tab's answer about the stored queue: `Ok` if this tab is to read it now (then
    /// [`take_stored`](Self::take_stored)), `Err` with the words for the user if another tab
    /// has it.
    pub fn take_claim(&mut self, claim: Claim) -> Result<(), String> {
        if matches!(claim, Claim::HeldElsewhere) {
            self.hold = Hold::Elsewhere;
            let client_id = &self.options.client_id;
            return Err(format!(
                "Another tab of this browser is connected to this broker as \"{client_id}\": the \
                 messages stored for it stay with that tab, and this tab stores none. Close that \
                 tab, or use another client id here."
            ));
        }
        self.hold = Hold::Reading(claim);
        Ok(())
    }

    /// Hands the session what was read from storage, and holds the stored queue from now on.
    pub fn take_stored(&mut self, stored: Result<Vec<Pending>, StorageError>) -> Restored {
        let Hold::Reading(claim) = std::mem::replace(&mut self.hold, Hold::InMemory) else {
            return Restored::default();
        };
        let (broker, client_id) = (&self.url, &self.options.client_id);
        let pending = match stored {
            Ok(pending) => pending,
            Err(error @ StorageError::Unreadable(_)) => {
                // What cannot be read is dropped: this tab's own messages take its place.
                self.hold = Hold::Holding { _claim: claim };
                return Restored {
                    sent: Vec::new(),
                    notice: Some(format!(
                        "the unsent messages stored in this browser for {broker} as \
                         '{client_id}' could not be read, and were dropped: {error}"
                    )),
                };
            }
            Err(error) => {
                return Restored {
                    sent: Vec::new(),
                    notice: Some(format!(
                        "the unsent messages stored in this browser for {broker} as \
                         '{client_id}' could not be read: {error}. They stay there; what is \
                         published now is kept only while this page stays open"
                    )),
                }
            }
        };
        self.hold = Hold::Holding { _claim: claim };
        let entries: Vec<Sent> = (pending.iter())
            .map(|pending| Sent {
                outcome: if pending.released {
                    Outcome::Received
                } else {
                    Outcome::Pending
                },
                ..Sent::pending(PublishId(0), &pending.message)
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

    /// What to write, if this tab writes the stored queue.
    pub fn save_job(&self) -> Option<SaveJob> {
        matches!(self.hold, Hold::Holding { .. }).then(|| SaveJob {
            url: self.url.clone(),
            client_id: self.options.client_id.clone(),
            pending: self.session.pending(),
        })
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

    /// The session's `published` is told to the page as `page_id`.
    pub fn call_as(&mut self, published: PublishId, page_id: PublishId) {
        self.page_ids.insert(self.tag_publish(published), page_id);
    }

    /// The id the page knows a message by; `done`: nothing more is told of it.
    fn page_id(&mut self, id: PublishId, done: bool) -> PublishId {
        let tagged = self.tag_publish(id);
        let page_id = if done {
            self.page_ids.remove(&tagged)
        } else {
            self.page_ids.get(&tagged).copied()
        };
        page_id.unwrap_or(tagged)
    }

    pub fn tag_request(&self, id: RequestId) -> RequestId {
        tag_request(self.tag, id)
    }

    /// The event with the ids the page knows: its own for what it published, this session's
    /// tagged for what was restored.
    pub fn tagged(&mut self, event: Event) -> Event {
        match event {
            Event::PublishReceived { id } => Event::PublishReceived {
                id: self.page_id(id, false),
            },
            Event::Published { id } => Event::Published {
                id: self.page_id(id, true),
            },
            Event::PublishFailed { id, reason } => Event::PublishFailed {
                id: self.page_id(id, true),
                reason,
            },
            Event::PublishGivenUp { id } => Event::PublishGivenUp {
                id: self.page_id(id, true),
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

fn tag_publish(tag: u64, id: PublishId) -> PublishId {
    PublishId(tag << TAG_SHIFT | id.0)
}

fn tag_request(tag: u64, id: RequestId) -> RequestId {
    RequestId(tag << TAG_SHIFT | id.0)
}
