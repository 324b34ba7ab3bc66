//! The page's one worker, which runs every connection of the page (`mqtt_client::worker`):
//! commands go to it as postcard bytes, and what it gathered comes back about once a frame, to
//! the client it concerns. The page's own events the worker cannot see (online, offline,
//! visibility, the page going) are passed on. A worker that dies is said, and can be started
//! again.

use gloo_events::EventListener;
use mqtt_client::protocol::{
    decode, encode, Command, ConnectionId, PageEvent, Reply, ToPage, ToWorker,
};
use mqtt_client::stored_queue::KEY_PREFIX;
use mqtt_client::Update;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, VisibilityState, Worker, WorkerOptions, WorkerType};

/// Where the worker's loader is, next to the page (Trunk builds it: index.html).
const WORKER_LOADER: &str = "mqtt-worker_loader.js";

/// Starts a worker that runs `mqtt_client::worker::run`.
pub type Spawn = fn() -> Result<Worker, JsValue>;

thread_local! {
    static SPAWN: Cell<Spawn> = const { Cell::new(spawn_built_worker) };
    static LINK: RefCell<Option<Rc<WorkerLink>>> = const { RefCell::new(None) };
}

/// Tests start their worker from their own module, not from the app's bundle.
#[doc(hidden)]
pub fn set_spawn(spawn: Spawn) {
    SPAWN.with(|cell| cell.set(spawn));
}

/// The app's worker: the bundle Trunk built beside the page, as an ES module worker; started
/// by index.html already, while the page loaded, if it could.
fn spawn_built_worker() -> Result<Worker, JsValue> {
    let global = js_sys::global();
    let started = js_sys::Reflect::get(&global, &"mqttWorker".into()).ok();
    if let Some(worker) = started.and_then(|started| started.dyn_into::<Worker>().ok()) {
        let _ = js_sys::Reflect::delete_property(
            global.unchecked_ref::<js_sys::Object>(),
            &"mqttWorker".into(),
        );
        return Ok(worker);
    }
    let base = (web_sys::window().and_then(|window| window.document()))
        .and_then(|document| document.base_uri().ok().flatten())
        .unwrap_or_default();
    let url = web_sys::Url::new_with_base(WORKER_LOADER, &base)?.href();
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    Worker::new_with_options(&url, &options)
}

/// What a client of the page hears from the worker.
pub(crate) trait Listener {
    fn update(&self, update: Update);
    /// The worker died: `reason` in words.
    fn worker_stopped(&self, reason: &str);
    /// A new worker took over: the connection is to be made again, if there was one.
    fn worker_restarted(&self, link: &WorkerLink, id: ConnectionId);
}

pub(crate) struct WorkerLink {
    worker: RefCell<Option<Running>>,
    /// What this task told the worker so far: posted together in a microtask, so that what a
    /// task commands goes out in one turn of the worker, and one `send`.
    outgoing: RefCell<Vec<ToWorker>>,
    /// Moves under way of the queues an earlier version kept in localStorage, which the worker
    /// cannot read, to IndexedDB: until they are done, nothing is posted.
    moving_storage: Cell<u32>,
    /// Why the worker stopped, while it is stopped.
    stopped_because: RefCell<Option<String>>,
    /// Questions asked of the worker, by request, with who hears the answer.
    questions: RefCell<HashMap<u32, Box<dyn FnOnce(Vec<String>)>>>,
    next_question: Cell<u32>,
    listeners: RefCell<HashMap<ConnectionId, Rc<dyn Listener>>>,
    next_id: Cell<ConnectionId>,
    /// online, offline, visibilitychange and pagehide, passed on to the worker.
    _page_events: RefCell<Vec<EventListener>>,
}

struct Running {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

impl WorkerLink {
    /// The page's link, started at the first call.
    pub fn get() -> Rc<WorkerLink> {
        if let Some(link) = LINK.with(|link| link.borrow().clone()) {
            return link;
        }
        let link = Rc::new(WorkerLink {
            worker: RefCell::new(None),
            outgoing: RefCell::new(Vec::new()),
            moving_storage: Cell::new(0),
            stopped_because: RefCell::new(None),
            questions: RefCell::new(HashMap::new()),
            next_question: Cell::new(1),
            listeners: RefCell::new(HashMap::new()),
            next_id: Cell::new(1),
            _page_events: RefCell::new(Vec::new()),
        });
        link.start();
        *link._page_events.borrow_mut() = pass_page_events();
        LINK.with(|cell| *cell.borrow_mut() = Some(link.clone()));
        link.move_stored_queues();
        link
    }

    /// Registers a client: its connection's id.
    pub fn join(&self, listener: Rc<dyn Listener>) -> ConnectionId {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        if let Some(reason) = self.stopped_because.borrow().as_deref() {
            listener.worker_stopped(reason);
        }
        self.listeners.borrow_mut().insert(id, listener);
        id
    }

    /// Hands the worker the queues an earlier version kept in localStorage, which it cannot
    /// read, to keep in IndexedDB; what is posted meanwhile waits for its answer. At the start,
    /// and before each Connect, so that a record written meanwhile (by a page of the earlier
    /// version) is taken up too.
    pub fn move_stored_queues(&self) {
        let Some(storage) = local_storage() else {
            return;
        };
        let count = storage.length().unwrap_or(0);
        let queues: Vec<(String, String)> = (0..count)
            .filter_map(|index| storage.key(index).ok().flatten())
            .filter(|key| key.starts_with(KEY_PREFIX))
            .filter_map(|key| Some((key.clone(), storage.get_item(&key).ok()??)))
            .collect();
        if queues.is_empty() {
            return;
        }
        self.moving_storage.set(self.moving_storage.get() + 1);
        self.send(&[ToWorker::MoveQueues(queues)]);
    }

    /// Asks the worker which client ids have messages stored for `broker`.
    pub fn stored_client_ids(&self, broker: &str, answer: impl FnOnce(Vec<String>) + 'static) {
        let request = self.next_question.get();
        self.next_question.set(request + 1);
        self.questions
            .borrow_mut()
            .insert(request, Box::new(answer));
        let broker = broker.to_string();
        self.post(ToWorker::StoredClientIds { request, broker });
    }

    fn answered(&self, reply: Reply) {
        match reply {
            Reply::QueuesMoved(moved) => {
                match moved {
                    Ok(keys) => forget_in_local_storage(&keys),
                    Err(error) => self.tell_all(format!(
                        "the unsent messages an earlier version kept in this browser could not \
                         be moved to its IndexedDB, and are not sent: {error}"
                    )),
                }
                self.moving_storage
                    .set(self.moving_storage.get().saturating_sub(1));
                self.post_now();
            }
            Reply::StoredClientIds {
                request,
                client_ids,
            } => {
                let answer = self.questions.borrow_mut().remove(&request);
                if let Some(answer) = answer {
                    answer(client_ids);
                }
            }
        }
    }

    /// A notice for every client of the page.
    fn tell_all(&self, text: String) {
        for listener in self.all_listeners() {
            let notices = vec![mqtt_client::Notice {
                at: js_sys::Date::now(),
                text: text.clone(),
            }];
            listener.update(Update {
                notices,
                ..Update::default()
            });
        }
    }

    fn all_listeners(&self) -> Vec<Rc<dyn Listener>> {
        self.listeners.borrow().values().cloned().collect()
    }

    /// The client is gone: its connection is closed.
    pub fn leave(&self, id: ConnectionId) {
        self.listeners.borrow_mut().remove(&id);
        self.command(id, Command::Close);
    }

    pub fn command(&self, connection: ConnectionId, command: Command) {
        self.post(ToWorker::Command {
            connection,
            command,
        });
    }

    /// Starts a new worker in place of one that died, and has every client connect again.
    pub fn restart(&self) {
        self.stopped_because.borrow_mut().take();
        // The dead worker answers nothing: the moves are asked of the new one, and the
        // questions answered with nothing found.
        self.moving_storage.set(0);
        let questions: Vec<_> = self.questions.borrow_mut().drain().collect();
        for (_, answer) in questions {
            answer(Vec::new());
        }
        self.start();
        self.move_stored_queues();
        let listeners: Vec<_> = (self.listeners.borrow().iter())
            .map(|(id, listener)| (*id, listener.clone()))
            .collect();
        for (id, listener) in listeners {
            listener.worker_restarted(self, id);
        }
    }

    fn start(&self) {
        let spawned = SPAWN.with(Cell::get)();
        let running = spawned.map(|worker| {
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
                let bytes = js_sys::Uint8Array::new(&event.data()).to_vec();
                if let Some(link) = LINK.with(|link| link.borrow().clone()) {
                    link.on_message(&bytes);
                }
            });
            let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(|event: ErrorEvent| {
                if let Some(link) = LINK.with(|link| link.borrow().clone()) {
                    link.stopped(&event.message());
                }
            });
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            Running {
                worker,
                _on_message: on_message,
                _on_error: on_error,
            }
        });
        match running {
            Ok(running) => *self.worker.borrow_mut() = Some(running),
            Err(error) => {
                let text = error.as_string().or_else(|| {
                    (error.dyn_ref::<js_sys::Error>()).map(|error| String::from(error.message()))
                });
                self.stopped(&text.unwrap_or_else(|| "it could not be started".into()));
            }
        }
    }

    fn on_message(&self, bytes: &[u8]) {
        let to_page = match decode::<ToPage>(bytes) {
            Ok(to_page) => to_page,
            Err(error) => {
                return web_sys::console::error_1(
                    &format!("wasm-mqtt: a message from the worker it cannot read ({error})")
                        .into(),
                )
            }
        };
        for reply in to_page.replies {
            self.answered(reply);
        }
        for (id, update) in to_page.updates {
            // Cloned: what the client does on hearing may join or leave.
            let listener = self.listeners.borrow().get(&id).cloned();
            if let Some(listener) = listener {
                listener.update(update);
            }
        }
    }

    fn stopped(&self, detail: &str) {
        self.worker.borrow_mut().take();
        let reason = format!(
            "the worker that runs the connections stopped ({detail}). Nothing stored in this \
             browser is lost: restart it to connect again"
        );
        for listener in self.all_listeners() {
            listener.worker_stopped(&reason);
        }
        *self.stopped_because.borrow_mut() = Some(reason);
    }

    fn post(&self, message: ToWorker) {
        let mut outgoing = self.outgoing.borrow_mut();
        outgoing.push(message);
        if outgoing.len() == 1 && self.moving_storage.get() == 0 {
            wasm_bindgen_futures::spawn_local(async {
                if let Some(link) = LINK.with(|link| link.borrow().clone()) {
                    link.post_now();
                }
            });
        }
    }

    fn post_now(&self) {
        if self.moving_storage.get() > 0 {
            return;
        }
        let messages = std::mem::take(&mut *self.outgoing.borrow_mut());
        if !messages.is_empty() {
            self.send(&messages);
        }
    }

    fn send(&self, messages: &[ToWorker]) {
        let worker = self.worker.borrow();
        let Some(running) = worker.as_ref() else {
            return; // stopped: the page said so, and offers a restart
        };
        let bytes = js_sys::Uint8Array::from(encode(&messages).as_slice());
        let transfer = js_sys::Array::of1(&bytes.buffer());
        if let Err(error) = running.worker.post_message_with_transfer(&bytes, &transfer) {
            web_sys::console::error_1(&error);
        }
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn forget_in_local_storage(keys: &[String]) {
    let Some(storage) = local_storage() else {
        return;
    };
    for key in keys {
        if storage.remove_item(key).is_err() {
            web_sys::console::warn_1(&format!("wasm-mqtt: could not remove {key}").into());
        }
    }
}

/// The page's events the worker does not see, passed on to it.
fn pass_page_events() -> Vec<EventListener> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let pass = |target: &web_sys::EventTarget,
                kind: &'static str,
                event: fn() -> Option<PageEvent>| {
        EventListener::new(target, kind, move |_| {
            if let (Some(event), Some(link)) = (event(), LINK.with(|link| link.borrow().clone())) {
                link.post(ToWorker::Page(event));
            }
        })
    };
    let mut listeners = vec![
        pass(&window, "online", || Some(PageEvent::Online)),
        pass(&window, "offline", || Some(PageEvent::Offline)),
        pass(&window, "pagehide", || Some(PageEvent::Hidden)),
    ];
    if let Some(document) = window.document() {
        listeners.push(pass(&document, "visibilitychange", || {
            let document = web_sys::window()?.document()?;
            match document.visibility_state() {
                VisibilityState::Visible => Some(PageEvent::Shown),
                _ => Some(PageEvent::Hidden),
            }
        }));
    }
    listeners
}
