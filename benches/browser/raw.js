// The ceiling: a raw WebSocket pump. CONNECT, SUBSCRIBE (mqtt-packets.js) and the PUBLISH
// packets (QoS 0) are encoded before the clock starts; the PUBLISHes go out in batched sends
// (about 64 KB a send all at once; a tenth of the window at a time with a window), and what
// comes back is counted, not parsed (Mosquitto sends one WebSocket message per packet). Same
// query string and result as page.rs; QoS 0 only.
(() => {
  const query = new URLSearchParams(location.search);
  const number = (key, fallback) => Number(query.get(key) ?? fallback);
  const p = {
    broker: query.get('broker'),
    id: query.get('id') ?? 'x',
    version: number('v', 4),
    load: query.get('w') === 'load',
    qos: number('qos', 0),
    n: number('n', 1000),
    size: number('size', 64),
    window: number('window', 0),
  };
  const mainAt = performance.now();
  let openAt = -1;
  let connackAt = -1;
  let startedAt = null;
  let sent = 0;
  let received = 0;
  let reported = false;
  function report(error) {
    if (reported) return;
    reported = true;
    const ms = startedAt === null ? 0 : performance.now() - startedAt;
    window.benchReport(JSON.stringify({ id: p.id, mainMs: mainAt, openMs: openAt, connackMs: connackAt, ms, received, published: sent, acked: 0, error: error ?? null }));
  }
  if (p.qos !== 0) return report('the raw pump does QoS 0 only');

  const { text, varint } = MqttPackets;
  const v5 = p.version === 5;
  const connect = MqttPackets.connect(`bench-${p.id}`, p.version);
  const topic = `bench/${p.id}`;
  const subscribe = MqttPackets.subscribe(topic, p.version);
  // One PUBLISH, its length, and a batch of them back to back.
  const head = [...text(topic), ...(v5 ? [0] : [])];
  const remaining = head.length + p.size;
  const one = new Uint8Array(1 + varint(remaining).length + remaining);
  one.set([0x30, ...varint(remaining), ...head]);
  one.fill(0x5a, one.length - p.size);
  // Bytes a send all at once (`batch`, 0 for everything in one send), or a tenth of the window.
  const batchBytes = number('batch', 65536);
  const perSend = p.window > 0 ? Math.max(1, Math.floor(p.window / 10))
    : batchBytes === 0 ? p.n : Math.max(1, Math.floor(batchBytes / one.length));
  const batch = new Uint8Array(one.length * Math.min(perSend, p.n));
  for (let i = 0; i < batch.length; i += one.length) batch.set(one, i);

  function send(count) {
    socket.send(count * one.length === batch.length ? batch : batch.subarray(0, count * one.length));
    sent += count;
  }
  function pump() {
    if (p.window === 0) {
      while (sent < p.n) send(Math.min(perSend, p.n - sent));
    } else {
      while (sent < p.n && sent - received <= p.window - perSend) send(Math.min(perSend, p.n - sent));
    }
  }

  const socket = new WebSocket(p.broker, 'mqtt');
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => {
    openAt = performance.now();
    socket.send(connect);
  };
  socket.onclose = () => report('the WebSocket closed');
  let phase = 'connack';
  let carry = 0; // bytes of PUBLISH received but not yet a whole one
  socket.onmessage = (event) => {
    const data = event.data;
    if (phase === 'pump') {
      // One packet a message is the rule; count bytes to be safe.
      if (data.byteLength === one.length) received += 1;
      else {
        carry += data.byteLength;
        received += Math.floor(carry / one.length);
        carry %= one.length;
      }
      if (p.window > 0) pump();
      if (received >= p.n) report();
      return;
    }
    const first = new Uint8Array(data)[0];
    if (phase === 'connack' && first === 0x20) {
      connackAt = performance.now();
      if (p.load) return report();
      phase = 'suback';
      socket.send(subscribe);
    } else if (phase === 'suback' && first === 0x90) {
      phase = 'pump';
      startedAt = performance.now();
      pump();
    } else {
      report(`unexpected packet 0x${first.toString(16)} in phase ${phase}`);
    }
  };
})();
