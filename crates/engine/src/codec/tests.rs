use super::*;
use bytes::Bytes;
use mqttbytes::v5::DisconnectReasonCode;
use proptest::prelude::*;

fn encoded(packet: &Packet, version: Version) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_as_broker(packet, version, &mut out).expect("encodes");
    out.to_vec()
}

fn decode_all(bytes: &[u8], version: Version) -> Result<Vec<Packet>, DecodeError> {
    let mut decoder = StreamDecoder::new(version, 1 << 20);
    decoder.push(bytes);
    let mut packets = Vec::new();
    while let Some(packet) = decoder.next_packet()? {
        packets.push(packet);
    }
    Ok(packets)
}

/// Every packet in `bytes`, a client's too, as the tests' scripted broker reads them.
fn decode_any(bytes: &[u8], version: Version) -> Vec<Packet> {
    let mut decoder = StreamDecoder::new(version, 1 << 20);
    decoder.push(bytes);
    let mut packets = Vec::new();
    while let Some(packet) = decoder.next_any_packet().unwrap() {
        packets.push(packet);
    }
    packets
}

fn decode_one(bytes: &[u8], version: Version) -> Result<Packet, DecodeError> {
    let mut packets = decode_all(bytes, version)?;
    assert_eq!(packets.len(), 1, "one packet in {bytes:02x?}");
    Ok(packets.remove(0))
}

#[test]
fn reassembles_a_packet_split_across_chunks_and_splits_many_from_one() {
    let publish = Packet::Publish(v5::Publish::new(
        "python/mqtt",
        QoS::AtLeastOnce,
        "messages: 0",
    ))
    .with_pkid_for_test(7);
    let mut stream = encoded(&publish, Version::V3_1_1);
    stream.extend(encoded(&Packet::PingResp, Version::V3_1_1));
    stream.extend(encoded(&publish, Version::V3_1_1));

    // One byte at a time, as aedes sends them.
    let mut decoder = StreamDecoder::new(Version::V3_1_1, 1 << 20);
    let mut packets = Vec::new();
    for byte in &stream {
        decoder.push(std::slice::from_ref(byte));
        while let Some(packet) = decoder.next_packet().unwrap() {
            packets.push(packet);
        }
    }
    assert_eq!(
        packets,
        vec![publish.clone(), Packet::PingResp, publish.clone()]
    );
    assert_eq!(decoder.buffered(), 0);

    // All in one chunk.
    assert_eq!(
        decode_all(&stream, Version::V3_1_1).unwrap(),
        vec![publish.clone(), Packet::PingResp, publish]
    );
}

trait WithPkid {
    fn with_pkid_for_test(self, pkid: u16) -> Self;
}

impl WithPkid for Packet {
    fn with_pkid_for_test(mut self, pkid: u16) -> Self {
        if let Packet::Publish(publish) = &mut self {
            publish.pkid = pkid;
        }
        self
    }
}

#[test]
fn the_packet_size_limit_is_a_setting() {
    let big = Packet::Publish(v5::Publish::new("t", QoS::AtMostOnce, vec![0u8; 20_000]));
    let bytes = encoded(&big, Version::V5);
    // mqttbytes' own default of 10 KiB would refuse this; the engine's default takes it.
    let mut decoder = StreamDecoder::new(Version::V5, crate::DEFAULT_MAX_PACKET_SIZE);
    decoder.push(&bytes);
    assert_eq!(decoder.next_packet().unwrap(), Some(big));

    let mut small = StreamDecoder::new(Version::V5, 1024);
    small.push(&bytes[..4]); // the header alone is enough to refuse it
    let error = small.next_packet().unwrap_err();
    assert!(matches!(error, DecodeError::TooLarge { max: 1024, .. }));
    assert!(error
        .to_string()
        .contains("over this client's limit of 1024"));
}

#[test]
fn v5_disconnect_without_a_reason_code_is_a_normal_disconnect() {
    // mqttbytes' v5::read answers PayloadRequired for this valid packet.
    let mut raw = BytesMut::from(&[0xE0u8, 0x00][..]);
    assert!(v5::read(&mut raw, 100).is_err());
    assert_eq!(
        decode_one(&[0xE0, 0x00], Version::V5).unwrap(),
        Packet::Disconnect(v5::Disconnect::new())
    );
}

#[test]
fn v5_disconnect_with_a_reason_code_and_no_properties_is_read() {
    // What mqttbytes' own writer produces; its reader refuses it.
    let mut raw = BytesMut::from(&[0xE0u8, 0x01, 0x8E][..]);
    assert!(v5::read(&mut raw, 100).is_err());
    let Packet::Disconnect(disconnect) = decode_one(&[0xE0, 0x01, 0x8E], Version::V5).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        disconnect.reason_code,
        DisconnectReasonCode::SessionTakenOver
    );
    assert!(
        decode_all(&[0xE0, 0x01, 0x01], Version::V5).is_err(),
        "an unknown reason"
    );
}

#[test]
fn a_v3_broker_refusing_a_v5_connect_is_understood() {
    let mut raw = BytesMut::from(&[0x20u8, 0x02, 0x00, 0x01][..]);
    assert!(
        v5::read(&mut raw, 100).is_err(),
        "mqttbytes calls it malformed"
    );
    let Packet::ConnAck(connack) = decode_one(&[0x20, 0x02, 0x00, 0x01], Version::V5).unwrap()
    else {
        panic!()
    };
    assert_eq!(connack.code, ConnectReturnCode::UnsupportedProtocolVersion);
}

#[test]
fn wrong_fixed_header_flags_are_malformed() {
    // PUBACK with flags 0b0001: mqttbytes accepts it.
    let mut raw = BytesMut::from(&[0x41u8, 0x02, 0x00, 0x01][..]);
    assert!(v4::read(&mut raw, 100).is_ok());
    for bad in [
        &[0x41u8, 0x02, 0x00, 0x01][..],             // PUBACK flags 0001
        &[0x60, 0x02, 0x00, 0x01],                   // PUBREL must carry 0010
        &[0xD1, 0x00],                               // PINGRESP flags 0001
        &[0x38, 0x05, 0x00, 0x01, b'a', b'x', b'y'], // QoS 0 with DUP
        &[0x36, 0x05, 0x00, 0x01, b'a', 0x00, 0x01], // QoS 3
        &[0x00, 0x00],                               // reserved type 0
        &[0xF0, 0x00],                               // reserved type 15
    ] {
        for version in [Version::V3_1_1, Version::V5] {
            let error = decode_all(bad, version).unwrap_err();
            assert!(
                matches!(error, DecodeError::Malformed(_)),
                "{bad:02x?}: {error}"
            );
        }
    }
}

#[test]
fn a_short_packet_is_malformed_not_incomplete() {
    // A v5 SUBACK whose remaining length holds the packet id only: inside mqttbytes the
    // missing property length reads as "need more bytes".
    let error = decode_all(&[0x90, 0x02, 0x00, 0x01], Version::V5).unwrap_err();
    assert!(matches!(error, DecodeError::Malformed(_)), "{error}");
    let error = decode_all(&[0x20, 0x01, 0x00], Version::V5).unwrap_err();
    assert!(matches!(error, DecodeError::Malformed(_)), "{error}");
}

#[test]
fn a_topic_that_is_not_utf8_is_named() {
    let bytes = [0x30, 0x06, 0x00, 0x02, 0xC3, 0x28, b'h', b'i'];
    let error = decode_all(&bytes, Version::V3_1_1).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the broker sent a malformed packet: a topic or string that is not valid UTF-8"
    );
}

#[test]
fn a_clients_packet_from_the_broker_is_named_not_read() {
    let mut connect = v5::Connect::new("client");
    connect.set_login("alice", "secret1");
    for version in [Version::V3_1_1, Version::V5] {
        for packet in [Packet::Connect(connect.clone()), Packet::PingReq] {
            let name = packet_name(&packet);
            assert_eq!(
                decode_all(&encoded(&packet, version), version),
                Err(DecodeError::FromClient(name))
            );
        }
    }
}

#[test]
fn a_client_does_not_write_a_brokers_packets() {
    for version in [Version::V3_1_1, Version::V5] {
        let mut out = BytesMut::new();
        assert!(encode(&Packet::PingResp, version, &mut out).is_err());
        assert!(out.is_empty(), "nothing written");
    }
}

#[test]
fn connect_is_not_corrupted_when_the_buffer_already_holds_bytes() {
    let mut connect = v5::Connect::new("client");
    connect.set_login("alice", "secret1");
    let connect = Packet::Connect(connect);
    for version in [Version::V3_1_1, Version::V5] {
        let mut out = BytesMut::new();
        encode(&Packet::PingReq, version, &mut out).unwrap();
        encode(&connect, version, &mut out).unwrap();
        let packets = decode_any(&out, version);
        let Packet::Connect(decoded) = &packets[1] else {
            panic!("{packets:?}")
        };
        assert_eq!(decoded.login.as_ref().unwrap().username, "alice");
        assert_eq!(
            packets[0],
            Packet::PingReq,
            "the PINGREQ before it is intact"
        );
    }
}

#[test]
fn v3_connack_codes_become_reason_codes() {
    let Packet::ConnAck(connack) = decode_one(&[0x20, 0x02, 0x01, 0x05], Version::V3_1_1).unwrap()
    else {
        panic!()
    };
    assert!(connack.session_present);
    assert_eq!(connack.code, ConnectReturnCode::NotAuthorized);
    let Packet::SubAck(suback) =
        decode_one(&[0x90, 0x04, 0x00, 0x01, 0x01, 0x80], Version::V3_1_1).unwrap()
    else {
        panic!()
    };
    assert_eq!(granted_qos(suback.return_codes[0]), Ok(QoS::AtLeastOnce));
    assert_eq!(granted_qos(suback.return_codes[1]), Err(ReasonCode(0x80)));
}

// ---- property tests ----

fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9/é ]{1,12}"
}

fn pkid() -> impl Strategy<Value = u16> {
    1..=u16::MAX
}

fn payload() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..300).prop_map(Bytes::from)
}

fn publish(version: Version) -> impl Strategy<Value = Packet> {
    (
        text(),
        qos(),
        any::<bool>(),
        any::<bool>(),
        pkid(),
        payload(),
        any::<Option<u32>>(),
    )
        .prop_map(move |(topic, qos, retain, dup, pkid, payload, expiry)| {
            let mut publish = v5::Publish::from_bytes(topic, qos, payload);
            publish.retain = retain;
            if qos != QoS::AtMostOnce {
                publish.pkid = pkid;
                publish.dup = dup;
            }
            if version == Version::V5 && expiry.is_some() {
                publish.properties = Some(v5::PublishProperties {
                    payload_format_indicator: Some(1),
                    message_expiry_interval: expiry,
                    topic_alias: None,
                    response_topic: Some("reply".into()),
                    correlation_data: None,
                    user_properties: vec![("k".into(), "v".into())],
                    subscription_identifiers: vec![],
                    content_type: Some("text/plain".into()),
                });
            }
            Packet::Publish(publish)
        })
}

/// Every packet kind, with what the version can carry.
fn packet(version: Version) -> impl Strategy<Value = Packet> {
    let connect = (
        text(),
        any::<u16>(),
        any::<bool>(),
        any::<Option<(String, String)>>(),
    )
        .prop_map(move |(client_id, keep_alive, clean, login)| {
            let mut connect = v5::Connect::new(client_id);
            connect.keep_alive = keep_alive;
            connect.clean_session = clean;
            if version == Version::V3_1_1 {
                connect.protocol = mqttbytes::Protocol::V4;
            }
            if let Some((user, pass)) = login {
                if !user.is_empty() && !pass.is_empty() {
                    connect.set_login(user, pass);
                }
            }
            Packet::Connect(connect)
        });
    let connack_codes = prop_oneof![
        Just(ConnectReturnCode::Success),
        Just(ConnectReturnCode::BadUserNamePassword),
        Just(ConnectReturnCode::NotAuthorized),
        Just(ConnectReturnCode::ServerUnavailable),
    ];
    let connack = (connack_codes, any::<bool>())
        .prop_map(|(code, present)| Packet::ConnAck(v5::ConnAck::new(code, present)));
    let subscribe =
        (pkid(), prop::collection::vec((text(), qos()), 1..4)).prop_map(|(pkid, filters)| {
            Packet::Subscribe(v5::Subscribe {
                pkid,
                filters: filters
                    .into_iter()
                    .map(|(path, qos)| v5::SubscribeFilter::new(path, qos))
                    .collect(),
                properties: None,
            })
        });
    let suback_code = prop_oneof![
        Just(SubscribeReasonCode::QoS0),
        Just(SubscribeReasonCode::QoS1),
        Just(SubscribeReasonCode::QoS2),
        Just(SubscribeReasonCode::Unspecified),
    ];
    let suback = (pkid(), prop::collection::vec(suback_code, 1..4))
        .prop_map(|(pkid, codes)| Packet::SubAck(v5::SubAck::new(pkid, codes)));
    let unsubscribe = (pkid(), prop::collection::vec(text(), 1..4)).prop_map(|(pkid, filters)| {
        Packet::Unsubscribe(v5::Unsubscribe {
            pkid,
            filters,
            properties: None,
        })
    });
    let unsuback = pkid().prop_map(move |pkid| {
        let mut unsuback = v5::UnsubAck::new(pkid);
        if version == Version::V5 {
            unsuback.reasons = vec![v5::UnsubAckReason::Success];
        }
        Packet::UnsubAck(unsuback)
    });
    let reasons = if version == Version::V5 {
        vec![
            DisconnectReasonCode::NormalDisconnection,
            DisconnectReasonCode::SessionTakenOver,
            DisconnectReasonCode::ServerShuttingDown,
        ]
    } else {
        vec![DisconnectReasonCode::NormalDisconnection]
    };
    let disconnect = prop::sample::select(reasons).prop_map(|reason_code| {
        let mut disconnect = v5::Disconnect::new();
        disconnect.reason_code = reason_code;
        Packet::Disconnect(disconnect)
    });
    prop_oneof![
        connect,
        connack,
        publish(version),
        pkid().prop_map(|id| Packet::PubAck(v5::PubAck::new(id))),
        pkid().prop_map(|id| Packet::PubRec(v5::PubRec::new(id))),
        pkid().prop_map(|id| Packet::PubRel(v5::PubRel::new(id))),
        pkid().prop_map(|id| Packet::PubComp(v5::PubComp::new(id))),
        subscribe,
        suback,
        unsubscribe,
        unsuback,
        Just(Packet::PingReq),
        Just(Packet::PingResp),
        disconnect,
    ]
}

fn version() -> impl Strategy<Value = Version> {
    prop_oneof![Just(Version::V3_1_1), Just(Version::V5)]
}

proptest! {
    #[test]
    fn every_packet_kind_survives_encode_then_decode(
        (version, packets) in version().prop_flat_map(|v| (Just(v), prop::collection::vec(packet(v), 1..6))),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut stream = Vec::new();
        for packet in &packets {
            stream.extend(encoded(packet, version));
        }
        // Feed the stream in chunks cut at random places.
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        cuts.push(stream.len());
        cuts.sort();
        let mut decoder = StreamDecoder::new(version, 1 << 20);
        let mut decoded = Vec::new();
        let mut start = 0;
        for cut in cuts {
            decoder.push(&stream[start..cut]);
            start = cut;
            while let Some(packet) = decoder.next_any_packet().unwrap() {
                decoded.push(packet);
            }
        }
        prop_assert_eq!(decoded, packets);
    }

    #[test]
    fn random_bytes_never_panic(
        version in version(),
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 1..8),
    ) {
        let mut decoder = StreamDecoder::new(version, 4096);
        for chunk in chunks {
            decoder.push(&chunk);
            while let Ok(Some(_)) = decoder.next_packet() {}
        }
    }

    #[test]
    fn plausible_headers_with_random_bodies_never_panic(
        version in version(),
        kind in 1u8..=14,
        flags in 0u8..16,
        body in prop::collection::vec(any::<u8>(), 0..100),
    ) {
        let mut bytes = vec![kind << 4 | flags, body.len() as u8];
        bytes.extend(&body);
        let _ = decode_all(&bytes, version);
    }

    #[test]
    fn truncated_streams_wait_for_more_and_never_panic(
        (version, packet) in version().prop_flat_map(|v| (Just(v), packet(v))),
        keep in any::<prop::sample::Index>(),
    ) {
        let bytes = encoded(&packet, version);
        let cut = keep.index(bytes.len());
        let mut decoder = StreamDecoder::new(version, 1 << 20);
        decoder.push(&bytes[..cut]);
        prop_assert_eq!(decoder.next_any_packet(), Ok(None));
        decoder.push(&bytes[cut..]);
        prop_assert_eq!(decoder.next_any_packet(), Ok(Some(packet)));
    }
}
