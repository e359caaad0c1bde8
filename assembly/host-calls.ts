// The benchmark's host-call baseline: on the filter's ABI layer, it makes exactly the host calls a
// request with a cached valid cookie costs org-context (count `requests`, read the request header
// pairs, count `cookie_valid`, add the two output headers — the request has no client copy, so the
// filter adds rather than replaces) and nothing else. The bench runs it
// next to the filter, so a figure splits into the host's calls and the filter's own work.
import { HttpContext, registerRootContext, RootContext } from './abi/context';
import { addHeader, defineCounter, getHeaderPairs, incrementCounter } from './abi/host';
import { FilterHeadersStatus, HeaderMapType } from './abi/imports';
import { Bytes, utf8 } from './bytes';

export * from './abi/exports';

// The values the filter writes for the bench's valid cookie (org-beta and its features).
const ORG_HEADER = utf8('x-currently-selected-organisation');
const FEATURES_HEADER = utf8('x-supported-features');
const ORG = utf8('org-beta');
const FEATURES = utf8('search,export,beta-ui,billing,audit');

let requests: i64 = -1;
let cookieValid: i64 = -1;

function counter(name: string): i64 {
  const bytes = utf8(name);
  return defineCounter(changetype<usize>(bytes), bytes.length);
}

function write(name: Bytes, value: Bytes): void {
  addHeader(HeaderMapType.RequestHeaders, changetype<usize>(name), name.length, changetype<usize>(value), value.length);
}

class HostCallsHttp extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): FilterHeadersStatus {
    incrementCounter(requests);
    getHeaderPairs(HeaderMapType.RequestHeaders);
    incrementCounter(cookieValid);
    write(ORG_HEADER, ORG);
    write(FEATURES_HEADER, FEATURES);
    return FilterHeadersStatus.Continue;
  }
}

class HostCallsRoot extends RootContext {
  private pool: HostCallsHttp[] = [];

  onConfigure(configurationSize: u32): bool {
    if (requests < 0) {
      requests = counter('org_context.requests');
      cookieValid = counter('org_context.cookie_valid');
    }
    return true;
  }

  createHttpContext(id: u32): HttpContext {
    // Recycled, as the filter does: the stub runtime never frees.
    return this.pool.length > 0 ? this.pool.pop() : new HostCallsHttp();
  }

  releaseHttpContext(context: HttpContext): void {
    this.pool.push(changetype<HostCallsHttp>(context));
  }
}

registerRootContext((id: u32): RootContext => new HostCallsRoot(id));
