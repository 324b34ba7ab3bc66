// MQTT.js 5 (mqtt.min.js) through the bench's workload; the same query string and the same
// result as our page (see page.rs).
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
  const topic = `bench/${p.id}`;
  const payload = new Uint8Array(p.size).fill(0x5a);
  const mainAt = performance.now();
  let openAt = -1;
  let connackAt = -1;
  let startedAt = null;
  let published = 0;
  let received = 0;
  let acked = 0;
  let reported = false;

  function report(error) {
    if (reported) return;
    reported = true;
    const ms = startedAt === null ? 0 : performance.now() - startedAt;
    window.benchReport(JSON.stringify({ id: p.id, mainMs: mainAt, openMs: openAt, connackMs: connackAt, ms, received, published, acked, error: error ?? null }));
  }
  const done = () => received >= p.n && (p.qos === 0 || acked >= p.n);

  const client = mqtt.connect(p.broker, {
    protocolVersion: p.version,
    clientId: `bench-${p.id}`,
    clean: true,
    keepalive: 60,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  // When the WebSocket opened, for the load breakdown (the socket is MQTT.js's own).
  client.stream?.socket?.addEventListener?.('open', () => (openAt = performance.now()));
  const onPublished = (error) => {
    if (error) return report(`publish: ${error.message}`);
    if (p.qos > 0) {
      acked += 1;
      if (done()) report();
    }
  };
  function publishDue() {
    let due = p.n - published;
    if (p.window > 0) due = Math.min(due, p.window - (published - received));
    for (let i = 0; i < due; i++) {
      client.publish(topic, payload, { qos: p.qos }, onPublished);
      published += 1;
    }
  }
  client.on('connect', () => {
    connackAt = performance.now();
    if (p.load) return report();
    client.subscribe(topic, { qos: p.qos }, (error) => {
      if (error) return report(`subscribe: ${error.message}`);
      startedAt = performance.now();
      publishDue();
    });
  });
  client.on('message', () => {
    received += 1;
    if (p.window > 0) publishDue();
    if (done()) report();
  });
  client.on('error', (error) => report(`error: ${error.message}`));
  client.on('close', () => report('the connection closed'));
})();
