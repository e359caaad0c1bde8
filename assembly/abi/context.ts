// Contexts in the shape of proxy-wasm-rust-sdk: one root context per plugin configuration, which
// creates a small HTTP context for every request. Subclasses override only what they need.
import { FilterHeadersStatus } from './imports';

export class HttpContext {
  id: u32 = 0;
  root: RootContext | null = null;

  onRequestHeaders(headerCount: u32, endOfStream: bool): FilterHeadersStatus {
    return FilterHeadersStatus.Continue;
  }
}

export class RootContext {
  constructor(public id: u32) {}

  onVmStart(configurationSize: u32): bool {
    return true;
  }

  onConfigure(configurationSize: u32): bool {
    return true;
  }

  /** Returns the context for a new request; may hand back a recycled one. */
  createHttpContext(id: u32): HttpContext {
    return new HttpContext();
  }

  /** Takes back a finished HTTP context (for reuse). */
  releaseHttpContext(context: HttpContext): void {}
}

export type RootContextFactory = (id: u32) => RootContext;

let factory: RootContextFactory | null = null;

/** The plugin's entry module calls this once, at start, with its root context's constructor. */
export function registerRootContext(create: RootContextFactory): void {
  factory = create;
}

export function createRootContext(id: u32): RootContext {
  const create = factory;
  return create === null ? new RootContext(id) : create(id);
}
