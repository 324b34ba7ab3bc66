//! The driver's side of the stored queue: a new session asks for this tab's claim on what is
//! stored for its broker and client id, reads it before CONNECT, and writes it, one write at a
//! time, as it changes.

use super::{drive_weak, Driver};
use crate::clock::now;
use crate::current::{Current, Hold, SaveJob};
use crate::queue_store::{self, StorageError};
use crate::store::SaveSchedule;
use crate::stored_queue;
use crate::tab_lock::{self, Claim};
use crate::update::{SentChange, Status};
use mqtt_engine::{ConnectOptions, DisconnectReason, Pending, Session};

impl Driver {
    pub(super) fn replace_session(
        &mut self,
        url: &str,
        options: ConnectOptions,
    ) -> Result<(), String> {
        if let Some(old) = self.current.take() {
            // Keep what it had not had acknowledged: a Connect with its broker and client id
            // later gives it to that session.
            if let Some(job) = old.save_job() {
                self.spawn_save(job, Driver::saved);
            }
            self.save = SaveSchedule::default();
            self.ending_awaits_queue = None;
            if old.session.unacknowledged() > 0 {
                self.update.sent.push(SentChange::UnacknowledgedStored);
            }
            self.subscriptions.clear();
            self.update.subscriptions = Some(Vec::new());
        }
        let session = Session::new(options.clone())
            .map_err(|error| format!("the connection settings are not valid: {error}"))?;
        self.sessions_made += 1;
        let tag = self.sessions_made;
        let lock_name = stored_queue::key(url, &options.client_id);
        self.current = Some(Current {
            url: url.to_string(),
            options,
            session,
            tag,
            restored: 0,
            hold: Hold::Asking,
            page_ids: Default::default(),
        });
        let this = self.this.clone();
        let asked = tab_lock::claim(&lock_name, move |claim| {
            drive_weak(&this, |driver| driver.on_claim(tag, claim))
        });
        if !asked {
            self.on_claim(tag, Claim::Unsupported);
        }
        Ok(())
    }

    /// This tab's answer about the stored queue of session `tag`: read it if this tab has it.
    fn on_claim(&mut self, tag: u64, claim: Claim) {
        let Some(current) = self.current.as_mut().filter(|current| current.tag == tag) else {
            return;
        };
        if let Err(text) = current.take_claim(claim) {
            self.notice(text);
            return self.queue_settled(false);
        }
        let (url, client_id) = (current.url.clone(), current.options.client_id.clone());
        let this = self.this.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let stored = queue_store::load(&url, &client_id).await;
            drive_weak(&this, |driver| driver.on_stored(tag, stored));
        });
    }

    /// What was stored for session `tag`, read: it goes to the session before CONNECT.
    fn on_stored(&mut self, tag: u64, stored: Result<Vec<Pending>, StorageError>) {
        let Some(current) = self.current.as_mut().filter(|current| current.tag == tag) else {
            return;
        };
        let restored = current.take_stored(stored);
        let resumes = current.restored > 0;
        if let Some(text) = restored.notice {
            self.notice(text);
        }
        (self.update.sent).extend(restored.sent.into_iter().map(SentChange::Added));
        // What was published while the queue was read is not stored yet.
        self.save.changed();
        self.queue_settled(resumes);
    }

    /// This tab knows what it holds of the stored queue: CONNECT may go out, and a first try
    /// that ended meanwhile is judged.
    fn queue_settled(&mut self, resumes_stored_messages: bool) {
        if resumes_stored_messages {
            self.reconnect.resumes_stored_messages();
        }
        let awaited =
            (self.link.as_mut()).is_some_and(|link| std::mem::take(&mut link.connect_awaits_queue));
        if awaited {
            if let Some(session) = self.session() {
                session.connect(now());
            }
        }
        if let Some(reason) = self.ending_awaits_queue.take() {
            let status = self.after_ending(&reason, now());
            self.update.status = Some(status.unwrap_or_else(|| Status::Disconnected {
                by_you: reason == DisconnectReason::ClientRequested,
                reason: reason.to_string(),
            }));
        }
    }

    pub(super) fn schedule_save(&mut self) {
        let this = self.this.clone();
        (self.save).schedule(move || drive_weak(&this, Driver::save_now));
    }

    /// Stores what the session has not had acknowledged, if it changed; also on `pagehide`, so
    /// that a reload inside the delay loses as little as can be.
    pub(super) fn save_now(&mut self) {
        if !self.save.begin_due() {
            return;
        }
        // A tab that does not hold the stored queue writes nothing.
        let Some(job) = (self.current.as_ref()).and_then(Current::save_job) else {
            self.save.write_ended(Ok(()));
            return;
        };
        self.spawn_save(job, |driver, result| {
            if let Some(text) = driver.save.write_ended(result) {
                driver.notice(text);
            }
            driver.schedule_save();
        });
    }

    /// Writes `job` away from the driver; `then` hears how it went, in words for the user.
    fn spawn_save(&self, job: SaveJob, then: fn(&mut Driver, Result<(), String>)) {
        let this = self.this.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let SaveJob {
                url,
                client_id,
                pending,
            } = job;
            let result = queue_store::save(&url, &client_id, &pending).await;
            let result = result.map_err(|error| {
                let what = match pending.len() {
                    1 => "the unsent message".to_string(),
                    n => format!("{n} unsent messages"),
                };
                format!(
                    "could not keep {what} in this browser: {error}; until they are sent they \
                     are kept only while this page stays open"
                )
            });
            drive_weak(&this, |driver| then(driver, result));
        });
    }

    fn saved(&mut self, result: Result<(), String>) {
        if let Some(text) = self.save.saved(result) {
            self.notice(text);
        }
    }
}
