import type { CDPSession, Page } from '@playwright/test';
import { watchErrors } from './helpers';

/** One answer the page received, as Chromium's network panel sees it. */
export interface Received {
  url: string;
  /** Chromium's resource type: Document, Script, Fetch, Stylesheet... */
  type: string;
  /** Whether it came from the browser's cache rather than the network. */
  cached: boolean;
  /** Bytes on the wire (headers and the body as sent, compressed or not); 0 from the cache. */
  bytes: number;
}

/**
 * What a page costs the reader, for the SPA steps' tests: documents loaded, files fetched from
 * the network or the browser's cache, bytes on the wire, console errors and CSP violations,
 * from the moment it is installed (or last `reset`). Network facts come from Chromium's own
 * protocol (CDP), so a file served from the browser's cache is told apart from one fetched.
 */
export class Traffic {
  received: Received[] = [];
  errors: string[];
  violations: string[] = [];
  private pending = new Map<string, Received>();

  private constructor(page: Page) {
    this.errors = watchErrors(page);
  }

  static async watch(page: Page): Promise<Traffic> {
    const traffic = new Traffic(page);
    const cdp: CDPSession = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    // Chromium says "served from cache" before the response itself arrives.
    const fromCache = new Set<string>();
    cdp.on('Network.requestServedFromCache', (e) => fromCache.add(e.requestId));
    cdp.on('Network.responseReceived', (e) => {
      const r = e.response;
      const cached = fromCache.has(e.requestId) || !!(r.fromDiskCache || r.fromPrefetchCache || r.fromServiceWorker);
      traffic.pending.set(e.requestId, { url: r.url, type: e.type, cached, bytes: 0 });
    });
    cdp.on('Network.loadingFinished', (e) => {
      const seen = traffic.pending.get(e.requestId);
      if (!seen) return;
      traffic.pending.delete(e.requestId);
      fromCache.delete(e.requestId);
      // Nothing crossed the wire: the memory cache, which Chromium does not always flag.
      if (e.encodedDataLength === 0) seen.cached = true;
      seen.bytes = seen.cached ? 0 : e.encodedDataLength;
      traffic.received.push(seen);
    });
    // Reported through a binding, which outlives full loads (a window's own list would not).
    await page.exposeBinding('__quireViolation', (_source, text: string) => {
      traffic.violations.push(text);
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { __quireViolation: (t: string) => void }).__quireViolation(
          `${e.violatedDirective} ${e.blockedURI}`,
        ),
      );
    });
    return traffic;
  }

  /** Forgets everything seen so far (errors and violations included). */
  reset(): void {
    this.received = [];
    this.errors.length = 0;
    this.violations = [];
  }

  /** The documents loaded: one per full page load. */
  documents(): Received[] {
    return this.received.filter((r) => r.type === 'Document');
  }

  /** The app's own files (wasm, JS) fetched from the network rather than the browser's cache. */
  bundleFetched(): string[] {
    return this.received
      .filter((r) => !r.cached && /\/pkg\/[^/]+\.(wasm|js)$/.test(new URL(r.url).pathname))
      .map((r) => r.url);
  }

  /** Bytes on the wire, for answers of the given types (all when none). */
  bytes(...types: string[]): number {
    return this.received
      .filter((r) => types.length === 0 || types.includes(r.type))
      .reduce((sum, r) => sum + r.bytes, 0);
  }
}
