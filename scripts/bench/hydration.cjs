// Time to hydrated, in headless Debian Chromium, for `make bench`: loads URL (argv[2]) RUNS
// times (argv[3], default 10) in fresh browser contexts (empty caches) and prints one JSON
// line: the median and every run's milliseconds from navigation start to `<body
// data-hydrated>`, which only the hydrated app sets (an effect, so it runs in the browser
// alone), with the response end and DOMContentLoaded of the same loads for comparison.
const path = require('path');
const { chromium } = require(path.join(__dirname, '../../end2end/node_modules/playwright-core'));

const url = process.argv[2];
const runs = Number(process.argv[3] ?? 10);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/lib/chromium/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const hydrated = [];
  const responseEnd = [];
  const domReady = [];
  const errors = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    // Installed before any of the page's scripts: note the moment the attribute appears.
    await page.addInitScript(() => {
      const seen = () => {
        if (document.body && document.body.hasAttribute('data-hydrated') && !window.__hydratedAt) {
          window.__hydratedAt = performance.now();
        }
      };
      new MutationObserver(seen).observe(document, {
        subtree: true,
        attributes: true,
        attributeFilter: ['data-hydrated'],
      });
    });
    await page.goto(url);
    await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 30000 });
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return { hydrated: window.__hydratedAt, end: nav.responseEnd, ready: nav.domContentLoadedEventEnd };
    });
    hydrated.push(t.hydrated);
    responseEnd.push(t.end);
    domReady.push(t.ready);
    await context.close();
  }
  await browser.close();
  const round = (xs) => xs.map((x) => Math.round(x * 10) / 10);
  console.log(
    JSON.stringify({
      url,
      runs,
      hydrated_ms: Math.round(median(hydrated) * 10) / 10,
      response_end_ms: Math.round(median(responseEnd) * 10) / 10,
      dom_content_loaded_ms: Math.round(median(domReady) * 10) / 10,
      every_run_ms: round(hydrated),
      page_errors: errors.length,
    }),
  );
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
