//! The outgoing side on its own: what it counts comes from what it holds, and the send order
//! holds through acknowledgements in any order.

use super::*;

fn publish(payload: &str, qos: QoS, pkid: u16) -> v5::Publish {
    let mut publish = v5::Publish::new("t", qos, payload);
    publish.pkid = pkid;
    publish
}

fn bounded(messages: usize, bytes: usize) -> ConnectOptions {
    let mut options = ConnectOptions::new("outgoing");
    options.max_queued_messages = messages;
    options.max_queued_bytes = bytes;
    options
}

/// In flight under packet ids 1, 2, 3, each sent at 0 ms.
fn three_in_flight() -> Outgoing {
    let mut outgoing = Outgoing::default();
    for pkid in 1..=3 {
        let payload = pkid.to_string();
        let message = publish(&payload, QoS::ExactlyOnce, pkid);
        outgoing.track(PublishId(pkid.into()), message, false, Instant::ZERO);
    }
    outgoing
}

fn packet_ids(pending: &[Pending]) -> Vec<Option<u16>> {
    pending.iter().map(|pending| pending.packet_id).collect()
}

#[test]
fn the_queue_counts_what_it_holds_and_refuses_past_either_bound() {
    let options = bounded(2, 10);
    let mut outgoing = Outgoing::default();
    // "t" and a 4-byte payload: 5 bytes a message.
    outgoing
        .enqueue(PublishId(1), publish("abcd", QoS::AtMostOnce, 0), &options)
        .unwrap();
    outgoing
        .enqueue(PublishId(2), publish("efgh", QoS::AtLeastOnce, 0), &options)
        .unwrap();
    let full = QueueStats {
        messages: 2,
        bytes: 10,
        dropped: 0,
    };
    assert_eq!(outgoing.stats(), full);
    assert_eq!(
        outgoing.enqueue(PublishId(3), publish("", QoS::AtMostOnce, 0), &options),
        Err(PublishError::QueueFull {
            messages: 2,
            bytes: 10
        })
    );
    assert_eq!(outgoing.stats().dropped, 1);

    let (id, _) = outgoing.next_waiting(1).unwrap();
    assert_eq!(id, PublishId(1));
    let one_left = QueueStats {
        messages: 1,
        bytes: 5,
        dropped: 1,
    };
    assert_eq!(outgoing.stats(), one_left);
    let options = bounded(10, 10);
    assert_eq!(
        outgoing.enqueue(
            PublishId(4),
            publish("123456", QoS::AtMostOnce, 0),
            &options
        ),
        Err(PublishError::QueueFull {
            messages: 1,
            bytes: 5
        }),
        "5 + 7 bytes is past the byte bound"
    );
    assert_eq!(outgoing.unacknowledged(), 1);
}

#[test]
fn a_full_window_holds_back_qos_1_and_2_but_not_qos_0() {
    let options = bounded(10, 1_000);
    let mut outgoing = three_in_flight();
    outgoing
        .enqueue(PublishId(4), publish("a", QoS::AtLeastOnce, 0), &options)
        .unwrap();
    assert!(
        outgoing.next_waiting(3).is_none(),
        "three in flight fill a window of 3"
    );
    assert!(outgoing.next_waiting(4).is_some());
    outgoing
        .enqueue(PublishId(5), publish("b", QoS::AtMostOnce, 0), &options)
        .unwrap();
    assert!(outgoing.next_waiting(3).is_some());
    assert_eq!(outgoing.unacknowledged(), 3);
}

#[test]
fn the_send_order_holds_through_acknowledgements_in_any_order() {
    let options = bounded(10, 1_000);
    let mut outgoing = three_in_flight();
    assert_eq!(outgoing.finish(2), Some(PublishId(2)));
    assert_eq!(outgoing.finish(2), None, "a repeated acknowledgement");
    outgoing.track(
        PublishId(4),
        publish("4", QoS::AtLeastOnce, 2),
        false,
        Instant::ZERO,
    );
    outgoing
        .enqueue(PublishId(5), publish("5", QoS::AtLeastOnce, 0), &options)
        .unwrap();
    assert_eq!(
        packet_ids(&outgoing.pending()),
        [Some(1), Some(3), Some(2), None],
        "packet id 2 came round again, last sent"
    );

    assert_eq!(outgoing.release(3), Some(PublishId(3)));
    assert_eq!(outgoing.release(3), None, "said once");
    let now = Instant::from_millis(7);
    let resent = outgoing.resend(true, now);
    let [Packet::Publish(first), Packet::PubRel(second), Packet::Publish(third)] = &resent[..]
    else {
        panic!("{resent:?}")
    };
    assert_eq!((first.pkid, first.dup), (1, true));
    assert_eq!(second.pkid, 3);
    assert_eq!((third.pkid, third.dup), (2, true));

    assert_eq!(outgoing.take_released(), [PublishId(3)]);
    assert_eq!(packet_ids(&outgoing.pending()), [Some(1), Some(2), None]);
    assert!(!outgoing.holds(3));
}

#[test]
fn the_oldest_unreleased_message_is_given_up_after_closes_in_a_row_soon_after_it_went_out() {
    let mut outgoing = three_in_flight();
    outgoing.release(1);
    let soon = Instant::ZERO + CLOSE_BLAME_WINDOW;
    for _ in 1..CLOSES_BEFORE_GIVING_UP {
        assert_eq!(outgoing.blame_oldest_unacknowledged(soon), None);
    }
    // A link that lived on past the window starts the count over.
    let late = soon + Duration::from_millis(1);
    assert_eq!(outgoing.blame_oldest_unacknowledged(late), None);
    for _ in 1..CLOSES_BEFORE_GIVING_UP {
        assert_eq!(outgoing.blame_oldest_unacknowledged(soon), None);
    }
    assert_eq!(
        outgoing.blame_oldest_unacknowledged(soon),
        Some(PublishId(2)),
        "1 is past PUBREC: the broker has it"
    );
    assert_eq!(packet_ids(&outgoing.pending()), [Some(1), Some(3)]);
}
