// Quire's navigation layer: after the first, server-rendered load, a link or a form of
// Quire's pages is followed in place (a POST form too: it is sent by fetch, and the page its
// redirect leads to is swapped in). The next page is fetched whole (the same document a
// full load gets, marked by the `X-Quire-Navigation` header), and its title, per-page <meta>,
// navbar and <main id="main"> replace the current ones; the islands that arrive are hydrated
// (`window.__hydrateIsland`, from Leptos's island loader), the ones that leave go with their
// DOM. Then the URL, scroll, focus and the live region follow, as after a full load.
// Anything it cannot do well is left to the browser: a full load, never a half-swapped page.
// Served from /pkg under a name that carries its hash (src/navigation.rs); README "Design".

const HEADER = 'X-Quire-Navigation';
const TIMEOUT_MS = 10_000;
// Quire's pages (routes::PAGES; a test checks the two lists agree): `*` is one segment.
const PAGES = [
  '/', '/login', '/register', '/settings', '/article/*', '/editor', '/editor/*', '/tag/*',
  '/search', '/admin', '/admin/tables/*', '/profile/*', '/profile/*/favorites',
];
const SCROLL_KEY = 'quire:scroll';

let ready = false; // the app's first hydration is done: islands can be hydrated
let current = null; // the history entry shown: { key }
let shownPath = location.pathname + location.search; // what <main> shows
let inFlight = null; // the AbortController of the navigation under way
let generation = 0; // counts navigations: only the latest one goes on and marks the page
const positions = new Map(read(SCROLL_KEY)); // history key -> [x, y]

function read(key) {
  try { return JSON.parse(sessionStorage.getItem(key)) || []; } catch { return []; }
}

function newKey() {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

function isPage(path) {
  const given = path.split('/');
  return PAGES.some((pattern) => {
    const wanted = pattern.split('/');
    return wanted.length === given.length
      && wanted.every((w, i) => (w === '*' ? given[i] !== '' : w === given[i]));
  });
}

/** Where a form may post in place: a server function (`/rpc/…`) or a page. */
function isPostable(path) {
  return path.startsWith('/rpc/') || isPage(path);
}

/** The URL to follow in place (`allowed` says which paths), or null to leave the event to
 * the browser: before the app is ready, under `data-reload`, or to another origin. */
function inPlaceUrl(href, el, allowed = isPage) {
  if (!ready || el.closest('[data-reload]')) return null;
  const url = new URL(href, location.href);
  if (url.origin !== location.origin || !allowed(url.pathname)) return null;
  return url;
}

/** When the page a post led to shows an error, the form that was sent (the one with the same
 * action) gets back what was typed, passwords aside, and the first field takes focus. */
function refill(main, post) {
  if (!main.querySelector('.error-messages')) return false;
  const form = [...main.querySelectorAll('form')]
    .find((f) => f.getAttribute('action') === post.action);
  if (!form) return false;
  let first = null;
  for (const [name, value] of post.typed) {
    const field = form.elements.namedItem(name);
    if (!field || field.type === 'password' || field.type === 'hidden' || typeof value !== 'string') continue;
    if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) {
      field.value = value;
      first ||= field;
    }
  }
  (first || form).focus?.({ preventScroll: true });
  return Boolean(first);
}

function samePage(url) {
  return url.pathname + url.search === shownPath;
}

function savePosition() {
  if (!current) return;
  positions.set(current.key, [Math.round(scrollX), Math.round(scrollY)]);
  // Only the latest entries are worth keeping across reloads.
  while (positions.size > 100) positions.delete(positions.keys().next().value);
}

function persist() {
  savePosition();
  try { sessionStorage.setItem(SCROLL_KEY, JSON.stringify([...positions])); } catch { /* full */ }
}

/** The app's files a document names (fingerprinted): different ones mean another build. */
function appFiles(doc) {
  return [...doc.querySelectorAll('head script[src], head link[href]')]
    .map((el) => el.getAttribute('src') || el.getAttribute('href'))
    .filter((u) => u.startsWith('/pkg/'))
    .sort()
    .join(' ');
}

/** The head elements that differ per page. */
function perPageHead(doc) {
  return doc.head.querySelectorAll(
    'meta[name]:not([name="viewport"]), meta[property], link[rel="canonical"]',
  );
}

/** Hydrates the islands under `root`, as Leptos's loader does: each island in document order,
 * an island inside another's children once that parent has set up their owner. */
async function hydrateIslands(root, onChildren) {
  for (const el of root.children) {
    const tag = el.localName;
    if (tag === 'leptos-island') {
      if (onChildren) onChildren();
      await window.__hydrateIsland(el, el.dataset.component);
      await hydrateIslands(el, onChildren);
    } else {
      await hydrateIslands(el, tag === 'leptos-children' ? el.$$on_hydrate : onChildren);
    }
  }
}

/** Follows `target` in place; `mode` is 'push' (a link or form), 'replace' or 'pop' (back
 * and forward, which restore the entry's scroll). Falls back to a full load on any trouble.
 * A form's post (`post`: its body, the form, and its own fallback) lands where the server's
 * redirect leads; back on the same page it keeps the reader's place, and a page that shows an
 * error gets back what was typed into the form. */
async function visit(target, mode = 'push', state = null, post = null) {
  const url = new URL(target, location.href);
  const fallback = post
    ? post.fallback
    : () => (mode === 'push' ? location.assign(url.href) : location.replace(url.href));
  const allowed = post ? isPostable(url.pathname) : isPage(url.pathname);
  if (!ready || url.origin !== location.origin || !allowed) return fallback();
  inFlight?.abort();
  const mine = ++generation;
  // Not ready until the new page's islands are: tests and benchmarks wait for the mark.
  document.body.removeAttribute('data-hydrated');
  const controller = new AbortController();
  inFlight = controller;
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  let doc;
  try {
    response = await fetch(url.href, {
      method: post ? 'POST' : 'GET',
      body: post ? post.body : undefined,
      headers: { [HEADER]: '1', Accept: 'text/html' },
      credentials: 'same-origin',
      mode: 'same-origin',
      signal: controller.signal,
    });
    const type = response.headers.get('Content-Type') || '';
    if (!type.startsWith('text/html')) throw new Error(`not a page: ${type}`);
    doc = new DOMParser().parseFromString(await response.text(), 'text/html');
  } catch (error) {
    if (mine !== generation) return undefined; // a later navigation took over
    return fallback();
  } finally {
    clearTimeout(timer);
  }
  if (mine !== generation) return undefined;
  inFlight = null;
  let final = new URL(response.url || url.href);
  if (final.pathname === url.pathname && final.search === url.search) final.hash = url.hash;
  // A post answered where it was sent (a refusal, not a redirect) is shown on this page.
  if (post && !isPage(final.pathname)) final = new URL(location.href);
  // A post that comes back to this page replaces its entry and keeps the reader's place.
  const stay = post && samePage(final);
  if (stay) mode = 'replace';
  const main = doc.getElementById('main');
  const nav = doc.querySelector('nav.navbar');
  const oldMain = document.getElementById('main');
  const oldNav = document.querySelector('nav.navbar');
  if (!main || !nav || !oldMain || !oldNav || appFiles(doc) !== appFiles(document)) {
    return mode === 'push' ? location.assign(final.href) : location.replace(final.href);
  }

  savePosition();
  const place = [scrollX, scrollY];
  if (mode === 'pop') {
    current = state;
  } else {
    current = { key: newKey() };
    history[mode === 'push' ? 'pushState' : 'replaceState'](current, '', final.href);
  }
  document.title = doc.title;
  for (const el of perPageHead(document)) el.remove();
  document.head.append(...perPageHead(doc));
  oldNav.replaceWith(nav);
  oldMain.replaceWith(main);
  shownPath = final.pathname + final.search;

  const saved = mode === 'pop' ? positions.get(current.key) : stay && place;
  const anchor = final.hash && document.getElementById(decodeURIComponent(final.hash.slice(1)));
  if (saved) scrollTo(saved[0], saved[1]);
  else if (anchor) anchor.scrollIntoView();
  else scrollTo(0, 0);
  const refilled = post && refill(main, post);
  if (!refilled) main.focus({ preventScroll: true });
  const announcer = document.getElementById('announcer');
  if (announcer) {
    // Emptied first, so that a page titled like the last one (page 2 of a tag) is said too.
    announcer.textContent = '';
    setTimeout(() => { if (mine === generation) announcer.textContent = document.title; }, 50);
  }

  await hydrateIslands(nav, null);
  await hydrateIslands(main, null);
  // As after the first load: marked once the islands' own first tasks have run.
  setTimeout(() => { if (mine === generation) document.body.setAttribute('data-hydrated', ''); }, 0);
  return undefined;
}

function onClick(event) {
  if (event.defaultPrevented || event.button !== 0
    || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest?.('a[href]');
  if (!link || (link.target && link.target !== '_self') || link.hasAttribute('download')
    || /\bexternal\b/.test(link.rel)) return;
  const url = inPlaceUrl(link.href, link);
  // An in-page #anchor (the skip link among them) is the browser's own; the scroll it leaves
  // is kept for back.
  if (url && url.hash && samePage(url)) savePosition();
  if (!url || (url.hash && samePage(url))) return;
  event.preventDefault();
  visit(url.href, samePage(url) ? 'replace' : 'push');
}

function onSubmit(event) {
  if (event.defaultPrevented) return;
  const form = event.target;
  const submitter = event.submitter;
  const method = (submitter?.getAttribute('formmethod') || form.getAttribute('method') || 'get').toLowerCase();
  const target = submitter?.getAttribute('formtarget') || form.getAttribute('target');
  const enctype = submitter?.getAttribute('formenctype') || form.getAttribute('enctype') || '';
  if ((method !== 'get' && method !== 'post') || (target && target !== '_self')) return;
  if (enctype.toLowerCase() === 'multipart/form-data') return;
  const action = submitter?.getAttribute('formaction') || form.getAttribute('action') || location.href;
  // The clicked button's own data-reload counts, as does the form's or an ancestor's.
  const url = inPlaceUrl(action, submitter || form, method === 'get' ? isPage : isPostable);
  if (!url) return;
  const data = new FormData(form, submitter);
  if (method === 'get') {
    url.search = new URLSearchParams(data).toString();
    url.hash = '';
    event.preventDefault();
    visit(url.href, 'push');
    return;
  }
  event.preventDefault();
  // One post at a time: the form's buttons wait for the answer.
  const buttons = [...form.querySelectorAll('button, input[type="submit"]')].filter((b) => !b.disabled);
  for (const b of buttons) b.disabled = true;
  const typed = [...data];
  visit(url.href, 'push', null, {
    action: form.getAttribute('action'),
    body: new URLSearchParams(data),
    typed,
    // The post the browser would have made, with what was typed and the clicked button.
    fallback: () => {
      for (const b of buttons) b.disabled = false;
      if (submitter?.name) {
        const clicked = document.createElement('input');
        clicked.type = 'hidden';
        clicked.name = submitter.name;
        clicked.value = submitter.value;
        form.append(clicked);
      }
      HTMLFormElement.prototype.submit.call(form);
    },
  });
}

/** A fragment navigation the browser made in this page has an entry of its own: adopt it. */
function adopt() {
  if (history.state && history.state.key) return;
  current = { key: newKey() };
  history.replaceState(current, '', location.href);
}

function onPopState(event) {
  const state = event.state;
  if (!state || !state.key) {
    adopt();
    return;
  }
  const url = new URL(location.href);
  if (samePage(url)) {
    savePosition();
    current = state;
    const saved = positions.get(state.key);
    if (saved) scrollTo(saved[0], saved[1]);
    return;
  }
  visit(url.href, 'pop', state);
}

function start() {
  ready = true;
  history.scrollRestoration = 'manual';
  current = history.state && history.state.key ? history.state : { key: newKey() };
  history.replaceState(current, '', location.href);
  // A reload, or back to a page left by a full load: the browser no longer restores scroll.
  const how = performance.getEntriesByType('navigation')[0]?.type;
  const saved = positions.get(current.key);
  if (saved && (how === 'reload' || how === 'back_forward')) scrollTo(saved[0], saved[1]);
  document.addEventListener('click', onClick);
  document.addEventListener('submit', onSubmit);
  addEventListener('popstate', onPopState);
  addEventListener('hashchange', adopt);
  addEventListener('pagehide', persist);
  let queued = false;
  addEventListener('scroll', () => {
    if (queued) return;
    queued = true;
    setTimeout(() => { queued = false; savePosition(); }, 100);
  }, { passive: true });
}

window.quire = { visit };

// The layer starts once the app has hydrated the first page: before that a click is a full load.
if (document.body.hasAttribute('data-hydrated')) {
  start();
} else {
  const watch = new MutationObserver(() => {
    if (!document.body.hasAttribute('data-hydrated')) return;
    watch.disconnect();
    start();
  });
  watch.observe(document.body, { attributes: true, attributeFilter: ['data-hydrated'] });
}
