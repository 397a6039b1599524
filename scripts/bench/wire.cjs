// Bytes on the wire, for `make bench`: in headless Debian Chromium (which accepts br), a first
// load of an article page with an empty cache (HTML, JS, wasm, CSS...), then a full load of a
// second page (the home page) in the same browser, signed out and then signed in with the
// session cookie (argv[4]). Prints one JSON line: for each, the bytes by resource type as
// Chromium's network layer counts them (headers and the body as sent), and which files came
// from the browser's cache.
const path = require('path');
const { chromium } = require(path.join(__dirname, '../../end2end/node_modules/playwright-core'));

const [base, article, cookie] = process.argv.slice(2);

async function visit(browser, signedIn) {
  const context = await browser.newContext();
  if (signedIn) {
    const [name, value] = cookie.split(/=(.*)/s);
    await context.addCookies([{ name, value, url: base }]);
  }
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  let loads = [];
  const seen = new Map();
  // Chromium says "served from cache" before the response itself arrives.
  const fromCache = new Set();
  cdp.on('Network.requestServedFromCache', (e) => fromCache.add(e.requestId));
  cdp.on('Network.responseReceived', (e) => {
    const r = e.response;
    seen.set(e.requestId, {
      url: r.url,
      type: e.type,
      cached: fromCache.has(e.requestId) || !!(r.fromDiskCache || r.fromPrefetchCache || r.fromServiceWorker),
      encoding: (r.headers['content-encoding'] || r.headers['Content-Encoding'] || 'identity'),
    });
  });
  cdp.on('Network.loadingFinished', (e) => {
    const s = seen.get(e.requestId);
    if (!s) return;
    // Nothing crossed the wire: the memory cache, which Chromium does not always flag.
    if (e.encodedDataLength === 0) s.cached = true;
    s.bytes = s.cached ? 0 : e.encodedDataLength;
    loads.push(s);
  });
  const load = async (url) => {
    loads = [];
    await page.goto(url);
    await page.waitForSelector('body[data-hydrated]', { state: 'attached', timeout: 30000 });
    await page.waitForLoadState('networkidle');
    const byType = {};
    for (const l of loads) byType[l.type] = (byType[l.type] || 0) + l.bytes;
    return {
      url,
      total: loads.reduce((s, l) => s + l.bytes, 0),
      by_type: byType,
      files: loads.map((l) => ({ path: new URL(l.url).pathname, type: l.type, bytes: l.bytes, cached: l.cached, encoding: l.encoding })),
    };
  };
  const first = await load(base + article);
  const second = await load(base + '/');
  await context.close();
  return { first, second };
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/lib/chromium/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const out = { signed_out: await visit(browser, false) };
  if (cookie) out.signed_in = await visit(browser, true);
  await browser.close();
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
