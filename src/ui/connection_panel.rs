//! The connection form: broker, client id, credentials, version, keep-alive, clean start,
//! session expiry, the offline queue's bounds; Connect and Disconnect; the state, and the
//! reconnecting notice.

use super::number_field::NumberField;
use super::params::LaunchParams;
use super::problem_line::ProblemLine;
use super::random_client_id;
use super::reconnect_notice::ReconnectNotice;
use super::settings::{default_broker, ConnectSettings};
use super::status_line::StatusLine;
use crate::Client;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use mqtt_client::{page_is_https, Status};
use mqtt_engine::{Version, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_MESSAGES};

/// What the form holds.
#[derive(Clone, Copy)]
pub struct ConnectionForm {
    pub broker: RwSignal<String>,
    pub client_id: RwSignal<String>,
    pub username: RwSignal<String>,
    pub password: RwSignal<String>,
    pub version: RwSignal<Version>,
    pub keep_alive: RwSignal<String>,
    pub clean_start: RwSignal<bool>,
    /// Seconds, as typed (MQTT 5.0).
    pub session_expiry: RwSignal<String>,
    /// The offline queue's bounds, as typed.
    pub queue_messages: RwSignal<String>,
    pub queue_megabytes: RwSignal<String>,
    /// What is wrong with the form, if the last Connect found something.
    pub problem: RwSignal<Option<String>>,
}

impl ConnectionForm {
    pub fn new(params: &LaunchParams) -> Self {
        let broker =
            (params.broker.clone()).unwrap_or_else(|| default_broker(page_is_https()).to_string());
        let client_id = (params.client_id.clone()).unwrap_or_else(random_client_id);
        Self {
            broker: RwSignal::new(broker),
            client_id: RwSignal::new(client_id),
            username: RwSignal::new(params.username.clone().unwrap_or_default()),
            password: RwSignal::new(String::new()),
            version: RwSignal::new(params.version.unwrap_or_default()),
            keep_alive: RwSignal::new("60".to_string()),
            clean_start: RwSignal::new(true),
            session_expiry: RwSignal::new("0".to_string()),
            queue_messages: RwSignal::new(DEFAULT_MAX_QUEUED_MESSAGES.to_string()),
            queue_megabytes: RwSignal::new((DEFAULT_MAX_QUEUED_BYTES / (1024 * 1024)).to_string()),
            problem: RwSignal::new(None),
        }
    }

    fn settings(&self) -> ConnectSettings {
        ConnectSettings {
            client_id: self.client_id.get_untracked(),
            username: self.username.get_untracked(),
            password: self.password.get_untracked(),
            version: self.version.get_untracked(),
            keep_alive: self.keep_alive.get_untracked(),
            clean_start: self.clean_start.get_untracked(),
            session_expiry: self.session_expiry.get_untracked(),
            queue_messages: self.queue_messages.get_untracked(),
            queue_megabytes: self.queue_megabytes.get_untracked(),
        }
    }

    /// What the broker does with the session under the settings shown.
    fn session_note(&self) -> String {
        ConnectSettings {
            version: self.version.get(),
            clean_start: self.clean_start.get(),
            session_expiry: self.session_expiry.get(),
            ..self.settings()
        }
        .session_note()
    }

    /// Connects with what the form holds, or says what is wrong with it.
    /// Unless the link named a client id, one with unsent messages stored for this broker (a
    /// reload while they waited) is taken up again, so that the next Connect sends them;
    /// `then` runs once that is known.
    pub fn take_up_a_stored_queue(
        self,
        client: Client,
        params: &LaunchParams,
        then: impl FnOnce() + 'static,
    ) {
        if params.client_id.is_some() {
            return then();
        }
        let broker = self.broker.get_untracked();
        client.stored_client_ids(broker.trim(), move |client_ids| {
            if let Some(stored) = client_ids.into_iter().next() {
                self.client_id.set(stored);
            }
            then();
        });
    }

    pub fn connect(&self, client: Client) {
        match self.settings().options() {
            Ok(options) => {
                self.problem.set(None);
                client.connect(&self.broker.get_untracked(), options);
            }
            Err(problem) => self.problem.set(Some(problem)),
        }
    }
}

#[component]
pub fn ConnectionPanel(form: ConnectionForm) -> impl IntoView {
    let client = expect_context::<Client>();
    let status = client.status();
    let active = move || status.with(Status::is_active);
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        form.connect(client);
    };
    view! {
        <section class="panel" aria-labelledby="connection-heading">
            <h2 id="connection-heading">"Connection"</h2>
            <form on:submit=on_submit novalidate>
                <fieldset disabled=active>
                    <div class="field wide">
                        <label for="broker-url">"Broker URL"</label>
                        <input
                            id="broker-url"
                            type="text"
                            inputmode="url"
                            autocomplete="off"
                            spellcheck="false"
                            bind:value=form.broker
                        />
                    </div>
                    <div class="field wide">
                        <label for="client-id">"Client id"</label>
                        <div class="with-button">
                            <input
                                id="client-id"
                                type="text"
                                autocomplete="off"
                                spellcheck="false"
                                bind:value=form.client_id
                            />
                            <button
                                id="new-client-id"
                                type="button"
                                title="Make a new random client id"
                                on:click=move |_| form.client_id.set(random_client_id())
                            >
                                "New id"
                            </button>
                        </div>
                    </div>
                    <div class="field">
                        <label for="username">"User name"</label>
                        <input
                            id="username"
                            type="text"
                            autocomplete="username"
                            bind:value=form.username
                        />
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input
                            id="password"
                            type="password"
                            autocomplete="current-password"
                            bind:value=form.password
                        />
                    </div>
                    <div class="field">
                        <label for="version">"MQTT version"</label>
                        <select
                            id="version"
                            prop:value=move || form.version.get().label()
                            on:change=move |event| {
                                form.version.set(
                                    if event_target_value(&event) == "3.1.1" {
                                        Version::V3_1_1
                                    } else {
                                        Version::V5
                                    },
                                )
                            }
                        >
                            <option value="5.0" selected=move || form.version.get() == Version::V5>
                                "5.0"
                            </option>
                            <option
                                value="3.1.1"
                                selected=move || form.version.get() == Version::V3_1_1
                            >
                                "3.1.1"
                            </option>
                        </select>
                    </div>
                    <NumberField
                        id="keep-alive"
                        label="Keep-alive (s)"
                        max="65535"
                        value=form.keep_alive
                    />
                    <div class="field check">
                        <input id="clean-start" type="checkbox" bind:checked=form.clean_start />
                        <label for="clean-start">"Clean start"</label>
                    </div>
                    <NumberField
                        id="session-expiry"
                        label="Session expiry (s, 5.0)"
                        disabled=Signal::derive(move || form.version.get() == Version::V3_1_1)
                        value=form.session_expiry
                    />
                    <p class="hint wide" data-testid="session-note">
                        {move || form.session_note()}
                    </p>
                    <NumberField
                        id="queue-messages"
                        label="Offline queue (messages)"
                        value=form.queue_messages
                    />
                    <NumberField
                        id="queue-megabytes"
                        label="Offline queue (MB)"
                        value=form.queue_megabytes
                    />
                </fieldset>
                <div class="actions">
                    <button id="connect" type="submit" class="primary" disabled=active>
                        "Connect"
                    </button>
                    <button
                        id="disconnect"
                        type="button"
                        disabled=move || !active()
                        on:click=move |_| client.disconnect()
                    >
                        "Disconnect"
                    </button>
                    <Show when=move || client.worker_stopped().get()>
                        <button
                            id="restart-worker"
                            type="button"
                            class="primary"
                            on:click=move |_| client.restart_worker()
                        >
                            "Restart the connection worker"
                        </button>
                    </Show>
                </div>
            </form>
            <ProblemLine problem=form.problem testid="connection-problem" />
            <StatusLine status=status />
            <ReconnectNotice />
        </section>
    }
}
