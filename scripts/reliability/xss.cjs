// The browser half of `hostile.py`'s XSS check (security.md §1.7 test 1), in headless Debian
// Chromium through end2end's playwright-core. argv[2] is a JSON file written by hostile.py:
// {base, cookie, title, author, tag, articles: [{slug, body, via}]}. Each page is loaded twice:
// with JavaScript off (the server's HTML as the browser parses it) and on (after hydration,
// `<body data-hydrated>`), then a third time reached in place from /login (/settings signed in) by the navigation layer
// (`window.quire.visit`, src/navigation.js: the page's content arrives by fetch and is swapped
// into the running document), and checked for: a script that ran (`window.__x`, a dialog), a
// `<script>` without the nonce, an `on*` attribute, a javascript:/data: URL, and a `<title>` that
// is not the literal text. `securitypolicyviolation` events are counted, apart for pages with no
// user content (which must have none once the server sends a CSP). Prints one JSON line.
const fs = require('fs');
const path = require('path');
const { chromium } = require(path.join(__dirname, '../../end2end/node_modules/playwright-core'));

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const base = spec.base;
const result = {
  loads: 0,
  scripts_ran: 0,
  dialogs: 0,
  unsafe_nodes: 0,
  csp_violations_normal: 0,
  csp_violations_hostile: 0,
  // Loads whose own /pkg files came back 404 while another request rendered a 404 page (a
  // server bug outside this check, reported apart): tried once more, and counted.
  static_404_retries: 0,
  problems: [],
};

class Static404 extends Error {}

// What a parsed document must not hold, with the document's title.
function inspect(expected) {
  const found = [];
  for (const s of document.querySelectorAll('script')) {
    // The nonce attribute is hidden from the DOM once parsed; the property keeps it.
    if (!s.nonce) found.push(`a <script> without a nonce: ${s.outerHTML.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) found.push(`${el.tagName} has ${name}="${attr.value.slice(0, 40)}"`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster'].includes(name)) {
        const value = attr.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
        if (value.startsWith('javascript:') || value.startsWith('data:') || value.startsWith('vbscript:')) {
          found.push(`${el.tagName} ${name}="${attr.value.slice(0, 40)}"`);
        }
      }
    }
  }
  // What the sanitiser must have removed from rendered Markdown (the article and the preview).
  for (const el of document.querySelectorAll(
    '.article-body :is(iframe, object, embed, form, button, svg, math, style, script), ' +
      '.article-content :is(iframe, object, embed, form, button, svg, math, style, script)',
  )) {
    found.push(`a live <${el.tagName.toLowerCase()}> in rendered Markdown`);
  }
  // Anywhere: a frame, or a form that posts to another site.
  for (const el of document.querySelectorAll('iframe, frame, object, embed')) {
    found.push(`a live <${el.tagName.toLowerCase()}>`);
  }
  for (const f of document.querySelectorAll('form')) {
    const target = new URL(f.getAttribute('action') || '', location.href);
    if (target.origin !== location.origin) found.push(`a form posting to ${target.origin}`);
  }
  const titles = document.querySelectorAll('title');
  const title = titles.length ? titles[0].textContent : null;
  return { found, title, titles: titles.length, x: window.__x };
}

async function visit(browser, { url, js, inPlace, cookie, hostile, expectTitle, editorBody }) {
  const context = await browser.newContext({ javaScriptEnabled: js });
  if (cookie) {
    const [name, value] = cookie.split(/=(.*)/s);
    await context.addCookies([{ name, value, url: base }]);
  }
  const page = await context.newPage();
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs += 1;
    d.dismiss().catch(() => {});
  });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const static404 = [];
  page.on('response', (r) => {
    if (r.status() === 404 && new URL(r.url()).pathname.startsWith('/pkg/')) static404.push(r.url());
  });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} ${(e.sample || '').slice(0, 60)}`);
    });
  });
  const where = `${url} (${inPlace ? 'JS on, in place' : js ? 'JS on' : 'JS off'})`;
  // In place: from a page of our own, signed in or not (a signed-in reader's /login leads away).
  const first = inPlace ? (cookie ? '/settings' : '/login') : url;
  const response = await page.goto(base + first, { waitUntil: 'load' });
  result.loads += 1;
  if (!response || response.status() >= 400) {
    result.problems.push(`${where}: status ${response && response.status()}`);
  }
  if (inPlace) {
    await page.waitForSelector('body[data-hydrated]', { state: 'attached' });
    await page.evaluate(() => (window.__inPlace = true));
    await page.evaluate((to) => window.quire.visit(to), url);
    await page.waitForSelector('body[data-hydrated]', { state: 'attached' });
    const still = await page.evaluate(() => [window.__inPlace === true, location.pathname + location.search]);
    if (!still[0]) result.problems.push(`${where}: a full load happened, not a swap in place`);
    if (new URL(base + url).pathname !== new URL(base + still[1]).pathname) {
      result.problems.push(`${where}: the address became ${still[1]}`);
    }
  }
  if (js) {
    try {
      await page.waitForSelector('body[data-hydrated]', { timeout: static404.length ? 3000 : 30000, state: 'attached' });
    } catch (e) {
      if (static404.length) {
        await context.close();
        throw new Static404(`${where}: ${static404.join(', ')} answered 404`);
      }
      result.problems.push(`${where}: never hydrated`);
    }
    await page.waitForTimeout(300);
  }
  const seen = await page.evaluate(inspect, expectTitle);
  const csp = js ? await page.evaluate(() => window.__csp) : [];
  if (seen.x !== undefined) {
    result.scripts_ran += 1;
    result.problems.push(`${where}: window.__x is ${seen.x}: an injected script ran`);
  }
  if (dialogs) {
    result.dialogs += dialogs;
    result.problems.push(`${where}: ${dialogs} dialog(s) opened`);
  }
  for (const f of seen.found) {
    result.unsafe_nodes += 1;
    result.problems.push(`${where}: ${f}`);
  }
  if (seen.titles !== 1) result.problems.push(`${where}: ${seen.titles} <title> elements`);
  if (expectTitle !== undefined && !(seen.title || '').startsWith(expectTitle)) {
    result.problems.push(`${where}: <title> reads ${JSON.stringify(seen.title)}, not the literal title`);
  }
  if (editorBody !== undefined) {
    const fields = await page.evaluate(() => ({
      title: document.querySelector('input[name=title]')?.value,
      body: document.querySelector('textarea[name=body]')?.value,
    }));
    if (fields.title !== spec.title) result.problems.push(`${where}: the title field holds ${JSON.stringify(fields.title)}`);
    if (fields.body !== editorBody) result.problems.push(`${where}: the body field holds ${JSON.stringify(fields.body)}`);
  }
  if (hostile) result.csp_violations_hostile += csp.length;
  else {
    result.csp_violations_normal += csp.length;
    for (const v of csp) result.problems.push(`${where}: CSP violation on a normal page: ${v}`);
  }
  for (const e of pageErrors) result.problems.push(`${where}: page error ${e.slice(0, 120)}`);
  await context.close();
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/lib/chromium/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const pages = [];
  // Pages with no user content: our own scripts alone, so zero CSP violations.
  for (const url of ['/login', '/register']) pages.push({ url, hostile: false });
  pages.push({ url: '/settings', cookie: spec.cookie, hostile: true });
  pages.push({ url: '/', hostile: true });
  pages.push({ url: `/profile/${spec.author}`, hostile: true });
  pages.push({ url: `/tag/${encodeURIComponent(spec.tag)}`, hostile: true });
  pages.push({ url: `/search?q=${encodeURIComponent('title script window')}`, hostile: true });
  for (const a of spec.articles) {
    pages.push({ url: `/article/${a.slug}`, hostile: true, expectTitle: spec.title });
    pages.push({ url: `/article/${a.slug}`, cookie: spec.cookie, hostile: true, expectTitle: spec.title });
    pages.push({ url: `/editor/${a.slug}`, cookie: spec.cookie, hostile: true, editorBody: a.body });
  }
  for (const p of pages) {
    for (const [js, inPlace] of [[false, false], [true, false], [true, true]]) {
      for (let attempt = 1; ; attempt++) {
        try {
          await visit(browser, { ...p, js, inPlace });
        } catch (e) {
          if (e instanceof Static404 && attempt === 1) {
            result.static_404_retries += 1;
            continue;
          }
          result.problems.push(`${p.url} (${inPlace ? 'JS on, in place' : js ? 'JS on' : 'JS off'}): ${String(e).slice(0, 200)}`);
        }
        break;
      }
    }
  }
  await browser.close();
  console.log(JSON.stringify(result));
})().catch((e) => {
  console.error(e);
  console.log(JSON.stringify({ ...result, problems: [...result.problems, String(e)] }));
  process.exit(1);
});
