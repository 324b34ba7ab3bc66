//! The bench page of the shipped client, `wasm_mqtt::Client` (`make bench`;
//! benches/browser/client.html, built by Trunk in release mode), read through its Leptos signals
//! as the app reads them: an effect per signal, no view. It brings Leptos, as the app does.
//! The workload: see common.rs.

#[path = "common.rs"]
mod common;

fn main() {
    let params = common::Params::from_location();
    // Effects need Leptos' executor and an owner: mounting an empty view sets up both.
    leptos::mount::mount_to_body(move || page::run(params.clone()));
}

mod page {
    use crate::common::{now, Params, Tally};
    use bytes::Bytes;
    use leptos::prelude::*;
    use mqtt_client::{Outcome, Status, SubState};
    use mqtt_engine::{Message, QoS};
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_mqtt::Client;

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
        // The end: all back and, at QoS 1 and 2, all acknowledged (the sent log keeps the
        // newest 500: all of those).
        let finish_if_done = {
            let tally = tally.clone();
            move || {
                let all_back = {
                    let tally = tally.borrow();
                    tally.started_at.is_some() && tally.received >= tally.params.n
                };
                let all_acked = || {
                    qos == QoS::AtMostOnce
                        || client.sent().with_untracked(|log| {
                            log.iter()
                                .all(|(_, sent)| sent.outcome == Outcome::Delivered)
                        })
                };
                if all_back && all_acked() {
                    let mut tally = tally.borrow_mut();
                    tally.acked = tally.published;
                    tally.report(None);
                }
            }
        };
        // Messages back: counted and the window refilled as each arrives, as MQTT.js's
        // `message` handler does it.
        {
            let tally = tally.clone();
            let finish_if_done = finish_if_done.clone();
            client.on_received(move |_| {
                let refill = {
                    let mut tally = tally.borrow_mut();
                    tally.received += 1;
                    tally.started_at.is_some() && tally.params.window > 0
                };
                if refill {
                    publish_due();
                }
                finish_if_done();
            });
        }
        // QoS 1 and 2: acks that come after the last message. (At QoS 0 an effect on the sent
        // log would run for every publish.)
        if qos != QoS::AtMostOnce {
            Effect::new(move || {
                client.sent().track();
                finish_if_done();
            });
        }
        client.connect(&params.broker, params.options());
    }
}
