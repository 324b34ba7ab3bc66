// The probe of the UI load workload (benches/browser/ui-load.mjs puts it into the app's page, or
// a floor page's, before the page's own script): says when the page has subscribed, then takes
// the time of every animation frame while messages arrive, and reports the gaps between frames
// with what the page shows (the count; the rate in, which only the app shows) once all messages
// came or none came for 3 s.
(() => {
  const params = new URLSearchParams(location.search);
  const id = params.get('bench_id');
  const expected = Number(params.get('bench_n'));
  const post = (body) => fetch('/result', { method: 'POST', body: JSON.stringify({ id, ...body }), keepalive: true });
  let memory = null;
  addEventListener('TrunkApplicationStarted', (event) => { memory = event.detail.wasm.memory; });
  // Read by ui-load.mjs over DevTools, after the run: the size of the app's linear memory (-1 in
  // a page without wasm).
  window.benchWasmBytes = () => (memory ? memory.buffer.byteLength : -1);
  const shown = (testid) => document.querySelector(`[data-testid=${testid}]`);
  const quietMs = 3000;
  let phase = 'subscribing';
  let last = 0;
  let firstAt = 0;
  let changedAt = 0;
  let count = 0;
  const gaps = [];
  const ratesIn = [];
  function frame(t) {
    if (phase === 'subscribing') {
      if (shown('subscription-state')?.textContent.startsWith('granted')) {
        phase = 'waiting';
        post({ phase: 'ready' });
      }
    } else {
      const now = parseInt(shown('received-count')?.textContent ?? '', 10) || 0;
      if (phase === 'waiting' && now > 0) {
        phase = 'measuring';
        firstAt = t;
      }
      if (phase === 'measuring') {
        gaps.push(t - last);
        if (now !== count) {
          count = now;
          changedAt = t;
        }
        const rate = Number(shown('rates')?.dataset.in ?? 0);
        if (rate !== ratesIn[ratesIn.length - 1]) ratesIn.push(rate);
        if (count >= expected || t - changedAt > quietMs) return finish(t);
      }
    }
    last = t;
    requestAnimationFrame(frame);
  }
  function finish(t) {
    const sorted = [...gaps].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    post({
      phase: 'done',
      received: count,
      ms: (count >= expected ? t : changedAt) - firstAt,
      frames: gaps.length,
      p50: at(0.5),
      p95: at(0.95),
      max: sorted[sorted.length - 1],
      ratesIn,
    });
  }
  requestAnimationFrame(frame);
})();
