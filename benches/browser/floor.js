// The frame floor of the UI load workload (ui-load.mjs): a bare page that only counts the
// messages of its subscription, for the app's frame gaps to be read against a page that does
// nothing else. Same query string as the app (`broker`, `version`, `filter`, `bench_id`);
// `socket=main` reads the WebSocket on the page's main thread and shows the count once a frame;
// `socket=worker` reads it in a dedicated worker (this file again), which posts its count to
// the page every 16 ms. The page shows what ui-probe.js reads in the app: the subscription's
// state and the received count.

/** Connects, subscribes at QoS 0 and counts the PUBLISH packets that come: the state returned
 *  is updated as they come. */
function subscribeAndCount({ broker, version, filter, clientId }) {
  const state = { subscription: 'subscribing', count: 0 };
  const socket = new WebSocket(broker, 'mqtt');
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => socket.send(MqttPackets.connect(clientId, version));
  socket.onclose = () => { state.subscription = 'closed'; };
  const read = MqttPackets.reader((first, body) => {
    switch (first >> 4) {
      case 3: // PUBLISH
        state.count += 1;
        break;
      case 2: // CONNACK: its return code (3.1.1) or reason code (5.0) is the second byte
        if (body[1] === 0) socket.send(MqttPackets.subscribe(filter, version));
        else state.subscription = `connection refused (${body[1]})`;
        break;
      case 9: // SUBACK of the one filter: its code is the last byte
        state.subscription = body[body.length - 1] < 0x80 ? 'granted' : 'refused';
        break;
    }
  });
  socket.onmessage = (event) => read(event.data);
  return state;
}

if (self.WorkerGlobalScope) {
  importScripts('mqtt-packets.js');
  self.onmessage = (event) => {
    const state = subscribeAndCount(event.data);
    setInterval(() => postMessage(state), 16);
  };
} else {
  const query = new URLSearchParams(location.search);
  const options = {
    broker: query.get('broker'),
    version: query.get('version') === '5' ? 5 : 4,
    filter: query.get('filter'),
    clientId: `bench-floor-${query.get('bench_id')}`,
  };
  const subscription = document.querySelector('[data-testid=subscription-state]');
  const received = document.querySelector('[data-testid=received-count]');
  // Written only when changed, so that an unchanged frame has no style or layout to redo.
  const show = (state) => {
    if (subscription.textContent !== state.subscription) subscription.textContent = state.subscription;
    const count = String(state.count);
    if (received.textContent !== count) received.textContent = count;
  };
  if (query.get('socket') === 'worker') {
    const worker = new Worker('floor.js');
    worker.onmessage = (event) => show(event.data);
    worker.postMessage(options);
  } else {
    const state = subscribeAndCount(options);
    const frame = () => {
      show(state);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }
}
