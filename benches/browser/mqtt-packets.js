// MQTT by hand, for the bench pages that use no client (raw.js, floor.js): the few packets they
// send, encoded, and a reader that splits what the broker sends into packets, whether a
// WebSocket message holds one packet, several, or a part of one. A classic script, so that a
// page (<script>) and a worker (importScripts) can both load it.
self.MqttPackets = (() => {
  /** A UTF-8 string with its 2-byte length. */
  const text = (s) => {
    const b = new TextEncoder().encode(s);
    return [b.length >> 8, b.length & 255, ...b];
  };
  /** A Remaining Length: 7 bits a byte, the high bit set on every byte but the last. */
  const varint = (n) => {
    const out = [];
    do {
      let d = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) d |= 128;
      out.push(d);
    } while (n > 0);
    return out;
  };
  const packet = (first, body) => Uint8Array.from([first, ...varint(body.length), ...body]);
  // MQTT 5.0 (version 5) puts an empty property list where 3.1.1 (version 4) has none.
  const properties = (version) => (version === 5 ? [0] : []);
  /** CONNECT: clean session, keep alive 60 s. */
  const connect = (clientId, version) =>
    packet(0x10, [...text('MQTT'), version, 0x02, 0, 60, ...properties(version), ...text(clientId)]);
  /** SUBSCRIBE to one filter at QoS 0, packet id 1. */
  const subscribe = (filter, version) => packet(0x82, [0, 1, ...properties(version), ...text(filter), 0]);

  /**
   * A reader of the broker's bytes: call it with each WebSocket message (an ArrayBuffer); it
   * calls `onPacket(first, body)` for each whole packet, `first` being its first byte and `body`
   * a copy of the rest, except for PUBLISH, whose body is skipped (`body` null) since it is only
   * counted.
   */
  function reader(onPacket) {
    let first = -1; // the first byte of the packet being read; -1 between packets
    let length = 0; // its Remaining Length, once read
    let lengthRead = false;
    let shift = 1;
    let left = 0; // bytes of its body still to come
    let body = null;
    const finish = () => {
      onPacket(first, body);
      first = -1;
      body = null;
    };
    return (data) => {
      const bytes = new Uint8Array(data);
      let at = 0;
      while (at < bytes.length) {
        if (first < 0) {
          first = bytes[at++];
          length = 0;
          shift = 1;
          lengthRead = false;
        } else if (!lengthRead) {
          const digit = bytes[at++];
          length += (digit & 127) * shift;
          shift *= 128;
          if (digit < 128) {
            lengthRead = true;
            left = length;
            body = first >> 4 === 3 ? null : new Uint8Array(length);
            if (left === 0) finish();
          }
        } else {
          const take = Math.min(left, bytes.length - at);
          body?.set(bytes.subarray(at, at + take), length - left);
          at += take;
          left -= take;
          if (left === 0) finish();
        }
      }
    };
  }

  return { text, varint, connect, subscribe, reader };
})();
