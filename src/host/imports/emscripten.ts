// The two emscripten helpers Envoy registers for modules built with emscripten.
import type { HostFunctions } from './host-functions.ts';

export function emscriptenImports(): HostFunctions {
  return {
    pthread_equal(left, right) {
      return left === right ? 1 : 0;
    },
    emscripten_notify_memory_growth() {
      // The memory view refreshes itself when the buffer changes.
    },
  };
}
