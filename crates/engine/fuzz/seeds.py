#!/usr/bin/env python3
"""Writes the seed corpus: real broker packets, MQTT 3.1.1 and 5.0, behind each target's header.

Run from anywhere: python3 crates/engine/fuzz/seeds.py. The input formats are described at the top of
fuzz_targets/*.rs. Every file is named seed-*, the only corpus files git keeps.
"""
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def topic(name: str) -> bytes:
    return len(name).to_bytes(2, "big") + name.encode()


def packet(first_byte: int, body: bytes) -> bytes:
    assert len(body) < 128
    return bytes([first_byte, len(body)]) + body


def publish(v5: bool, qos: int, pkid: int, name="a/b", payload=b"hi", props=b"") -> bytes:
    body = topic(name)
    if qos:
        body += pkid.to_bytes(2, "big")
    if v5:
        body += bytes([len(props)]) + props
    return packet(0x30 | qos << 1, body + payload)


def ack(kind: int, pkid: int, reason=None, props=None) -> bytes:
    body = pkid.to_bytes(2, "big")
    if reason is not None:
        body += bytes([reason])
    if props is not None:
        body += bytes([len(props)]) + props
    return packet(kind, body)


# MQTT 3.1.1
V3 = {
    "connack": h("20020000"),
    "connack_refused": h("20020005"),
    "publish0": publish(False, 0, 0),
    "publish1": publish(False, 1, 7),
    "publish2": publish(False, 2, 8),
    "puback": ack(0x40, 1),
    "pubrec": ack(0x50, 2),
    "pubrel": ack(0x62, 8),
    "pubcomp": ack(0x70, 2),
    "suback": packet(0x90, h("0003" "01" "80")),
    "unsuback": ack(0xB0, 4),
    "pingresp": h("d000"),
    "disconnect": h("e000"),
}

# MQTT 5.0
V5 = {
    "connack": h("2003000000"),
    # Receive Maximum 1, Maximum QoS 1, Server Keep Alive 2 s, Assigned Client Identifier "x".
    "connack_limits": packet(0x20, h("0000" "0c" "210001" "2401" "130002" "12000178")),
    "connack_refused": h("2003008700"),
    "publish0": publish(True, 0, 0),
    "publish1": publish(True, 1, 7),
    "publish2": publish(True, 2, 8),
    # Payload Format Indicator 1, Message Expiry Interval 60 s.
    "publish_props": publish(True, 1, 9, props=h("0101" "020000003c")),
    "puback": ack(0x40, 1),
    "puback_failed": ack(0x40, 1, reason=0x97, props=b""),
    "pubrec": ack(0x50, 2, reason=0x00, props=b""),
    "pubrec_failed": ack(0x50, 2, reason=0x80),
    "pubrel": ack(0x62, 8),
    "pubcomp": ack(0x70, 2),
    "suback": packet(0x90, h("0003" "00" "01" "87")),
    "unsuback": packet(0xB0, h("0004" "00" "00")),
    "pingresp": h("d000"),
    "disconnect": h("e0018e"),
    # Reason 0x8E, Reason String "bye".
    "disconnect_reason": packet(0xE0, h("8e" "06" "1f0003627965")),
}


def seq(packets: dict, *names: str) -> bytes:
    return b"".join(packets[name] for name in names)


EXCHANGE = ("puback", "pubrec", "pubcomp", "suback", "unsuback",
            "publish0", "publish1", "publish2", "pubrel", "pingresp")

# stream_decoder: [flags, chunk, stream...]; flags bit 0 = 5.0, bits 1-2 = max size (3 = 4096).
STREAM_DECODER = {
    "v3-connack": bytes([0x06, 0]) + V3["connack"],
    "v3-publishes-bytewise": bytes([0x06, 1]) + seq(V3, "publish0", "publish1", "publish2"),
    "v3-acks": bytes([0x06, 3]) + seq(V3, "puback", "pubrec", "pubrel", "pubcomp",
                                      "suback", "unsuback", "pingresp", "disconnect"),
    "v3-too-large": bytes([0x00, 5]) + publish(False, 1, 3, payload=b"x" * 20),
    "v5-connack": bytes([0x07, 0]) + seq(V5, "connack_limits"),
    "v5-publishes": bytes([0x07, 7]) + seq(V5, "publish0", "publish1", "publish2",
                                           "publish_props"),
    "v5-acks": bytes([0x07, 2]) + seq(V5, "puback", "puback_failed", "pubrec", "pubrec_failed",
                                      "pubrel", "pubcomp", "suback", "unsuback", "pingresp"),
    "v5-disconnects": bytes([0x07, 1]) + seq(V5, "disconnect", "disconnect_reason"),
}

# session_input: [flags, chunk, n, op * n, stream...]; see fuzz_targets/session_input.rs.
# Ops: 0x01 publish QoS 1, 0x05 publish QoS 2, 0x02 subscribe QoS 1, 0x03 unsubscribe;
# the high nibble moves the clock by that many seconds.
OPS = bytes([0x01, 0x05, 0x02, 0x03])
SESSION_INPUT = {
    # Scripted CONNACK, keep-alive 5 s, resume at the end; 2-byte chunks.
    "v3-exchange": bytes([0x32, 2, 4]) + OPS + seq(V3, *EXCHANGE),
    "v5-exchange": bytes([0x33, 2, 4]) + OPS + seq(V5, *EXCHANGE, "disconnect_reason"),
    # The broker's own CONNACK, in one chunk.
    "v3-connack": bytes([0x10, 0, 1, 0x11]) + seq(V3, "connack", "publish1", "pingresp"),
    "v3-refused": bytes([0x00, 0, 0]) + V3["connack_refused"],
    "v5-connack-limits": bytes([0x11, 3, 2, 0x15, 0x01])
    + seq(V5, "connack_limits", "pubrec", "pubcomp", "puback"),
    "v5-failures": bytes([0x13, 4, 2, 0x01, 0x05])
    + seq(V5, "puback_failed", "pubrec_failed", "publish_props", "disconnect"),
    # Keep-alive 1 s and 15 s steps: pings, then a ping timeout.
    "v3-ping-timeout": bytes([0x0A, 2, 1, 0xF0]) + seq(V3, "pingresp", "pingresp"),
    "v5-session-present": bytes([0x27, 0, 2, 0x05, 0x01]) + seq(V5, "pubrec"),
}


def main() -> None:
    for target, seeds in (("stream_decoder", STREAM_DECODER), ("session_input", SESSION_INPUT)):
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (directory / f"seed-{name}").write_bytes(data)


if __name__ == "__main__":
    main()
