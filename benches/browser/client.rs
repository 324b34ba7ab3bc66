//! The bench page of the shipped driver, `browser::Client` (`make bench`;
//! benches/browser/client.html, built by Trunk in release mode), read through its Leptos signals
//! as the app reads them: an effect per signal, no view. It brings Leptos, as the app does.
//! The workload: see common.rs.
//!
//! Natively an empty program, so that `cargo test --all-targets` builds it.

#[cfg(target_arch = "wasm32")]
#[path = "common.rs"]
mod common;

#[cfg(target_arch = "wasm32")]
fn main() {
    let params = common::Params::from_location();
    // Effects need Leptos' executor and an owner: mounting an empty view sets up both.
    leptos::mount::mount_to_body(move || page::run(params.clone()));
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}

#[cfg(target_arch = "wasm32")]
mod page {
    use crate::common::{now, Params, Tally};
    use bytes::Bytes;
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_mqtt::browser::{Client, Outcome, Status, SubState};
    use wasm_mqtt::mqtt::{Message, QoS};

    pub fn run(params: Params) {
        let client = Client::new();
        let topic = params.topic();
        let payload = Bytes::from(vec![0x5a; params.size]);
        let qos = params.qos;
        let tally = Rc::new(RefCell::new(Tally::new(params.clone())));
        let publish_due = {
            let tally = tally.clone();
            move || {
                let mut tally = tally.borrow_mut();
                for _ in 0..tally.due() {
                    let message = Message::new(topic.clone(), payload.clone(), qos);
                    if let Err(error) = client.publish(message) {
                        tally.report(Some(format!("publish: {error}")));
                        return;
                    }
                    tally.published += 1;
                }
            }
        };
        // CONNACK: subscribe (or report, for the load workload).
        {
            let tally = tally.clone();
            let topic = params.topic();
            Effect::new(move || match client.status().get() {
                Status::Connected { .. } => {
                    let mut tally = tally.borrow_mut();
                    if tally.connack_at.is_some() {
                        return;
                    }
                    tally.connack_at = Some(now());
                    if tally.params.load_only {
                        tally.report(None);
                    } else if let Err(error) = client.subscribe(&topic, qos) {
                        tally.report(Some(format!("subscribe: {error}")));
                    }
                }
                Status::Disconnected { reason, .. } => tally
                    .borrow_mut()
                    .report(Some(format!("disconnected: {reason}"))),
                _ => {}
            });
        }
        // SUBACK: start publishing.
        {
            let tally = tally.clone();
            let publish_due = publish_due.clone();
            Effect::new(move || {
                let granted = client.subscriptions().with(|subscriptions| {
                    subscriptions
                        .iter()
                        .any(|s| matches!(s.state, SubState::Granted(_)))
                });
                if granted && tally.borrow().started_at.is_none() {
                    tally.borrow_mut().started_at = Some(now());
                    publish_due();
                }
            });
        }
        // Messages back: count, refill the window, end once all came back and were acked.
        Effect::new(move || {
            let received = client.received().with(|log| log.total());
            let (window, n, started) = {
                let mut tally = tally.borrow_mut();
                tally.received = received;
                (
                    tally.params.window,
                    tally.params.n,
                    tally.started_at.is_some(),
                )
            };
            if !started {
                return;
            }
            if window > 0 {
                publish_due();
            }
            if received >= n {
                // The sent log keeps the newest 500: all of those acknowledged.
                let acked = qos == QoS::AtMostOnce
                    || client.sent().with(|log| {
                        log.iter()
                            .all(|(_, sent)| sent.outcome == Outcome::Delivered)
                    });
                if acked {
                    let mut tally = tally.borrow_mut();
                    tally.acked = tally.published;
                    tally.report(None);
                }
            }
        });
        client.connect(&params.broker, params.options());
    }
}
