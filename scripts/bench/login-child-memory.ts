// Preloaded (`node --expose-gc --import`) into the login-service children of the bench only: on the
// IPC message "gc-memory" it runs a full GC and answers with process.memoryUsage(), so the soak can
// compare what the service retains at the start and the end of its steady state. A GC on demand
// is the one thing the metrics port cannot give from outside; the service's code is not touched.
process.on('message', (message) => {
  if (message !== 'gc-memory' || !process.send) return;
  (globalThis as { gc?: () => void }).gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  process.send({ heapUsed, rss });
});
// The channel must not keep a stopping service alive.
process.channel?.unref();
