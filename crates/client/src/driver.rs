//! The `Driver` behind a [`Connection`](crate::Connection): it owns the connection the user
//! asked for ([`Current`], with its session), the WebSocket of the moment ([`Link`]), the
//! session's timer, reconnecting, and the stored queue's schedule.
//!
//! Every input (a WebSocket callback, a timer, a window event, a command) runs through
//! [`drive`]: what the link received is handed to the session, then the input, then the end of
//! the turn ([`Driver::end_turn`]): the session's events are drained into the [`Update`] for the
//! page, everything due goes out together (a `send` per megabyte), a link the session ended is
//! closed (and a retry scheduled if the loss is to be retried), the timer is re-armed, and a
//! save of the queue is scheduled if it changed. The page is told after the driver is released,
//! so that what it commands on hearing (a reply to a message) finds the driver free.
//!
//! `inputs` is how inputs enter; `stored` is the stored queue's part: the claim, the read
//! before CONNECT, the writes.

mod inputs;
mod stored;

use crate::clock::{now, wall_clock};
use crate::current::Current;
use crate::environment::{browser_is_offline, page_is_https};
use crate::later_task::LaterTask;
use crate::link::{Callbacks, Link};
use crate::protocol::PageEvent;
use crate::reconnect::{AfterLoss, Reconnect, RetryStatus};
use crate::session_timer::SessionTimer;
use crate::store::SaveSchedule;
use crate::transport_error::{self, LinkError, Progress};
use crate::turns::Turns;
use crate::update::{
    subscription_requested, unsubscribe_requested, Changes, Notice, QueueView, SentChange, Status,
    Subscription, Update,
};
use gloo_timers::callback::Timeout;
pub(crate) use inputs::{command, drive};
use inputs::{drive_weak, wake};
use mqtt_engine::{
    ConnectOptions, DisconnectReason, Event, Instant, Message, PublishError, PublishId, QoS,
    RequestId, Session, State, SubscribeError,
};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use web_sys::CloseEvent;

/// Where the page hears of what changed.
pub(crate) type TellPage = Rc<dyn Fn(Update)>;

pub(crate) struct Driver {
    this: Weak<RefCell<Driver>>,
    tell_page: TellPage,
    /// What the page has not been told yet.
    update: Update,
    /// What the page was last told of the retry and the queue, which every turn recomputes.
    told_retry: RetryStatus,
    told_queue: QueueView,
    subscriptions: Vec<Subscription>,
    /// The connection the user asked for, with its session: kept across links, replaced only
    /// by a Connect with other settings.
    current: Option<Current>,
    link: Option<Link>,
    /// Numbers the links, so that a late callback of a closed one is ignored.
    generation: u64,
    sessions_made: u64,
    timer: SessionTimer,
    turns: Turns,
    reconnect: Reconnect,
    retry_timer: Option<Timeout>,
    save: SaveSchedule,
    /// What the link received, copied out of its inbox; reused to spare an allocation a turn.
    received: Vec<u8>,
    /// Links that ended without the session's say (it was not connecting or connected).
    endings: Vec<DisconnectReason>,
    /// A first try ended before this tab had read what was stored for the connection: whether
    /// to try again waits for that (a stored queue is retried as a lost link is).
    ending_awaits_queue: Option<DisconnectReason>,
}

impl Driver {
    pub(crate) fn new(tell_page: TellPage) -> Rc<RefCell<Self>> {
        let driver = Rc::new_cyclic(|this: &Weak<RefCell<Driver>>| {
            let burst = {
                let this = this.clone();
                LaterTask::new(move || drive_weak(&this, |driver| driver.turns.burst_runs()))
            };
            RefCell::new(Driver {
                this: this.clone(),
                tell_page,
                update: Update::default(),
                told_retry: RetryStatus::default(),
                told_queue: QueueView::default(),
                subscriptions: Vec::new(),
                current: None,
                link: None,
                generation: 0,
                sessions_made: 0,
                timer: SessionTimer::default(),
                turns: Turns::new(burst),
                reconnect: Reconnect::new(browser_is_offline()),
                retry_timer: None,
                save: SaveSchedule::default(),
                received: Vec::new(),
                endings: Vec::new(),
                ending_awaits_queue: None,
            })
        });
        driver
    }

    /// Connects to `url` with `options`: the same session as before if both are unchanged
    /// (what it queued goes out after CONNACK), else a new one, given what was stored for this
    /// broker and client id.
    pub(crate) fn open(&mut self, url: &str, options: ConnectOptions) {
        if self.link.is_some() || self.session_active() || self.reconnect.is_active() {
            self.close_by_user();
            self.end_turn();
        }
        self.reconnect.start();
        if let Err(error) = transport_error::check_broker_url(url, page_is_https()) {
            return self.end_link(DisconnectReason::TransportClosed(error.to_string()));
        }
        let same = (self.current.as_ref())
            .is_some_and(|current| current.url == url && current.options == options);
        if !same {
            if let Err(reason) = self.replace_session(url, options) {
                return self.end_link(DisconnectReason::TransportClosed(reason));
            }
        }
        self.update.status = Some(Status::Connecting);
        self.open_link();
    }

    /// A new WebSocket for the connection; the session connects once it opens.
    fn open_link(&mut self) {
        let Some(url) = self.current.as_ref().map(|current| current.url.clone()) else {
            return;
        };
        self.generation += 1;
        let generation = self.generation;
        let this = &self.this;
        let callbacks = Callbacks {
            open: Box::new({
                let this = this.clone();
                move || drive_weak(&this, |driver| driver.on_open(generation))
            }),
            wake: Box::new({
                let this = this.clone();
                move || wake(&this)
            }),
            close: Box::new({
                let this = this.clone();
                move |event: CloseEvent| {
                    drive_weak(&this, |driver| driver.on_close(generation, event))
                }
            }),
        };
        match Link::open(&url, generation, callbacks) {
            Ok(link) => self.link = Some(link),
            Err(error) => self.end_link(DisconnectReason::TransportClosed(format!(
                "the browser refused the address {url}: {error}"
            ))),
        }
    }

    /// A link ended without the session's say: its WebSocket never got as far as CONNECT.
    fn end_link(&mut self, reason: DisconnectReason) {
        self.endings.push(reason);
    }

    fn session(&mut self) -> Option<&mut Session> {
        self.current.as_mut().map(|current| &mut current.session)
    }

    fn session_active(&self) -> bool {
        (self.current.as_ref())
            .is_some_and(|current| current.session.state() != State::Disconnected)
    }

    fn on_open(&mut self, generation: u64) {
        self.turns.from_network = true;
        let settled = (self.current.as_ref()).is_some_and(|current| current.hold.is_settled());
        let Some(link) = self
            .link
            .as_mut()
            .filter(|link| link.generation == generation)
        else {
            return;
        };
        link.progress = Progress::Opened;
        if !settled {
            link.connect_awaits_queue = true;
        } else if let Some(session) = self.session() {
            session.connect(now());
        }
    }

    /// Hands the session what the link received since the last turn.
    fn read_inbox(&mut self) {
        let (Some(link), Some(current)) = (&self.link, &mut self.current) else {
            return;
        };
        let Some(inflow) = link.read(&mut self.received) else {
            return;
        };
        self.turns.from_network = true;
        let session = &mut current.session;
        session.handle_bytes(&self.received, now());
        if inflow.text {
            let url = link.url.clone();
            session.handle_closed(LinkError::TextMessage { url }.to_string());
        }
        if self.received.capacity() > 1 << 20 {
            self.received = Vec::new(); // one large message should not pin a megabyte for good
        }
    }

    fn on_close(&mut self, generation: u64, event: CloseEvent) {
        self.turns.from_network = true;
        let Some(link) = self.link.take_if(|link| link.generation == generation) else {
            return;
        };
        let reason = LinkError::Closed {
            url: link.url.clone(),
            progress: link.progress,
            code: event.code(),
            reason: event.reason(),
        }
        .to_string();
        let queue_unread =
            (self.current.as_ref()).is_some_and(|current| !current.hold.is_settled());
        if self.session_active() {
            if let Some(session) = self.session() {
                session.handle_closed(reason);
            }
        } else if queue_unread && !self.reconnect.was_established() {
            // Judged once this tab knows whether it resumes stored messages.
            self.ending_awaits_queue = Some(DisconnectReason::TransportClosed(reason));
        } else {
            self.end_link(DisconnectReason::TransportClosed(reason));
        }
    }

    fn on_timer(&mut self) {
        if self.timer.fired() {
            if let Some(session) = self.session() {
                session.handle_timeout(now());
            }
        }
    }

    /// Plays a hidden tab: while held, the session's timer does not fire; on release, a timer
    /// that came due meanwhile fires at once, late, as a throttled one would.
    pub(crate) fn hold_timer(&mut self, held: bool) {
        if self.timer.hold(held) {
            self.on_timer();
        }
    }

    /// The browser went offline: no tries until it is back.
    fn on_offline(&mut self) {
        if self.reconnect.went_offline() {
            self.retry_timer = None;
        }
    }

    /// Back online: if the driver was waiting to try again, it tries now.
    fn on_online(&mut self) {
        if self.reconnect.came_online() {
            self.try_again();
        }
    }

    /// A tab shown again may have had its timers held back for minutes: whatever came due
    /// meanwhile runs now (the session compares times, so a late call sends the keep-alive
    /// ping it owes, and declares the link dead only if a ping went unanswered).
    fn on_shown(&mut self) {
        let now = now();
        if let Some(session) = self.session() {
            session.handle_timeout(now);
        }
        if self.reconnect.is_due(now) {
            self.try_again();
        }
    }

    /// The next try: on the retry timer, when the network is back, or when the user asks.
    pub(crate) fn try_again(&mut self) {
        self.retry_timer = None;
        if self.link.is_some() || self.current.is_none() || !self.reconnect.may_try() {
            return;
        }
        self.reconnect.try_begins();
        self.open_link();
    }

    /// Disconnect: DISCONNECT if connected, and no more tries.
    pub(crate) fn close_by_user(&mut self) {
        let was_retrying = self.reconnect.is_active();
        self.reconnect.stop();
        self.retry_timer = None;
        if self.session_active() {
            if let Some(session) = self.session() {
                session.disconnect(now());
            }
        } else if self.link.is_some() {
            // The WebSocket is still opening: no MQTT yet, just close it.
            self.close_link();
            self.end_link(DisconnectReason::ClientRequested);
        } else if was_retrying {
            self.end_link(DisconnectReason::ClientRequested);
        }
    }

    /// Cancel: stops retrying (and the try under way), leaving the session for a later Connect.
    pub(crate) fn cancel_reconnect(&mut self) {
        if self.reconnect.is_active() {
            self.close_by_user();
        }
    }

    /// Publishes, or queues while the link is down if `queue_offline`; what becomes of the
    /// message is told under the page's `id`.
    pub(crate) fn publish(
        &mut self,
        id: PublishId,
        message: Message,
        queue_offline: bool,
    ) -> Result<(), PublishError> {
        let current = self.current.as_mut().ok_or(PublishError::NotConnected)?;
        if !queue_offline && current.session.state() != State::Connected {
            return Err(PublishError::NotConnected);
        }
        let published = current.session.publish(message, now())?;
        current.call_as(published, id);
        self.save.changed();
        Ok(())
    }

    /// Tells the page of a change to its log of sent messages.
    pub(crate) fn tell(&mut self, change: SentChange) {
        self.update.sent.push(change);
    }

    /// What the page saw happen.
    pub(crate) fn page_event(&mut self, event: PageEvent) {
        match event {
            PageEvent::Online => self.on_online(),
            PageEvent::Offline => self.on_offline(),
            PageEvent::Shown => self.on_shown(),
            PageEvent::Hidden => self.save_now(),
        }
    }

    /// Subscribes now, or after the next CONNACK while the link is down.
    pub(crate) fn subscribe(
        &mut self,
        filter: &str,
        qos: QoS,
    ) -> Result<RequestId, SubscribeError> {
        let current = self.current.as_mut().ok_or(SubscribeError::NotConnected)?;
        let id = (current.session).subscribe(vec![(filter.to_string(), qos)], now())?;
        let id = current.tag_request(id);
        subscription_requested(&mut self.subscriptions, filter, qos, id);
        self.update.subscriptions = Some(self.subscriptions.clone());
        Ok(id)
    }

    pub(crate) fn unsubscribe(&mut self, filter: &str) -> Result<RequestId, SubscribeError> {
        let current = self.current.as_mut().ok_or(SubscribeError::NotConnected)?;
        let id = (current.session).unsubscribe(vec![filter.to_string()], now())?;
        let id = current.tag_request(id);
        unsubscribe_requested(&mut self.subscriptions, filter, id);
        self.update.subscriptions = Some(self.subscriptions.clone());
        Ok(id)
    }

    /// Ends the turn in a microtask, once the current task (an event handler, a tick) is done:
    /// the commands of one task go out in one `send`. While messages wait for their turn,
    /// commands go out with the answers to those messages.
    fn schedule_flush(&mut self) {
        if self.turns.turn_is_coming() {
            return;
        }
        self.turns.flush_scheduled = true;
        let this = self.this.clone();
        wasm_bindgen_futures::spawn_local(async move {
            drive_weak(&this, |driver| driver.turns.flush_scheduled = false);
        });
    }

    /// The end of every turn: drain the events, make one `send`, close the link if the session
    /// ended it and decide about trying again, re-arm the timer, schedule a save, and gather
    /// what changed for the page.
    fn end_turn(&mut self) {
        let now = now();
        let mut events = Vec::new();
        let mut ended = None;
        if let Some(current) = &mut self.current {
            while let Some(event) = current.session.poll_event() {
                match &event {
                    Event::Connected { .. } => {
                        if let Some(link) = &mut self.link {
                            link.progress = Progress::Connected;
                        }
                        self.reconnect.connected(now);
                        // A session the broker lost drops what the broker had answered.
                        self.save.changed();
                    }
                    Event::PublishReceived { .. }
                    | Event::Published { .. }
                    | Event::PublishFailed { .. }
                    | Event::PublishGivenUp { .. } => self.save.changed(),
                    Event::Disconnected { reason } => ended = Some(reason.clone()),
                    _ => {}
                }
                events.push(current.tagged(event));
            }
        }
        for reason in std::mem::take(&mut self.endings) {
            ended = Some(reason.clone());
            events.push(Event::Disconnected { reason });
        }
        self.flush();
        let mut status = None;
        if let Some(reason) = ended {
            self.close_link();
            status = self.after_ending(&reason, now);
        }
        self.arm_timer();
        self.turns.from_network = false;
        self.schedule_save();
        self.record(events, status, now);
    }

    /// Adds what this turn changed to the update for the page.
    fn record(&mut self, events: Vec<Event>, status: Option<Status>, now: Instant) {
        let retry = (self.reconnect).status(|at| wall_clock() + (at - now).as_millis() as f64);
        if retry != self.told_retry {
            self.told_retry = retry.clone();
            self.update.retry = Some(retry);
        }
        let queue = (self.current.as_ref()).map_or_else(QueueView::default, Current::queue_view);
        if queue != self.told_queue {
            self.told_queue = queue;
            self.update.queue = Some(queue);
        }
        if events.is_empty() {
            return;
        }
        let at = wall_clock();
        let mut changes = Changes::from_events(events, at);
        if let Some(status) = status.or(changes.status.take()) {
            self.update.status = Some(status);
        }
        self.update.received.append(&mut changes.received);
        let outcomes = changes.outcomes.drain(..);
        (self.update.sent).extend(outcomes.map(|(id, outcome)| SentChange::Outcome(id, outcome)));
        if !changes.subscribed.is_empty() || !changes.unsubscribed.is_empty() {
            changes.apply_to_subscriptions(&mut self.subscriptions);
            self.update.subscriptions = Some(self.subscriptions.clone());
        }
        (self.update.notices).extend(changes.errors.into_iter().map(|text| Notice { at, text }));
    }

    /// A link ended: try again later, wait for the network, or stop.
    fn after_ending(&mut self, reason: &DisconnectReason, now: Instant) -> Option<Status> {
        let was_established = self.reconnect.was_established();
        match self
            .reconnect
            .link_ended(reason, now, js_sys::Math::random())
        {
            AfterLoss::RetryAt(at) => {
                let delay = (at - now).as_millis().min(i32::MAX as u64) as u32;
                let this = self.this.clone();
                self.retry_timer = Some(Timeout::new(delay, move || {
                    drive_weak(&this, Driver::try_again)
                }));
                Some(Status::Reconnecting {
                    reason: reason.to_string(),
                })
            }
            AfterLoss::WaitForNetwork => Some(Status::Reconnecting {
                reason: format!("{reason}; the browser is offline"),
            }),
            AfterLoss::Stop if was_established && *reason != DisconnectReason::ClientRequested => {
                Some(Status::Disconnected {
                    reason: format!("{reason}. Not trying again: this needs new settings"),
                    by_you: false,
                })
            }
            // A first try made while the browser says it is offline: say so.
            AfterLoss::Stop if self.reconnect.is_offline() => Some(Status::Disconnected {
                reason: format!("{reason}; the browser is offline"),
                by_you: *reason == DisconnectReason::ClientRequested,
            }),
            AfterLoss::Stop => None,
        }
    }

    fn flush(&mut self) {
        let (Some(current), Some(link)) = (&mut self.current, &self.link) else {
            return;
        };
        let open = link.is_open();
        while let Some(bytes) = current.session.poll_transmit() {
            if open {
                link.send(&bytes);
            }
        }
    }

    fn close_link(&mut self) {
        self.link = None;
        self.timer.disarm();
    }

    /// One timer for the session's next deadline (see [`SessionTimer`]).
    fn arm_timer(&mut self) {
        let deadline = self.session().and_then(|session| session.poll_timeout());
        let this = self.this.clone();
        (self.timer).arm(deadline, self.turns.from_network, move || {
            drive_weak(&this, Driver::on_timer)
        });
    }

    fn notice(&mut self, text: String) {
        let at = wall_clock();
        self.update.notices.push(Notice { at, text });
    }
}
