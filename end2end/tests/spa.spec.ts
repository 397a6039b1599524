import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { PASSWORD, hydrated, markPage, register, stillSamePage, uniqueName } from './helpers';
import { Traffic } from './traffic';

// SPA step 2: after the first load, links, GET forms, back and forward swap the page in place
// (src/navigation.js). Every check runs hydrated; the no-JS project keeps the full loads.

/** An account made through the API, with its token. */
async function account(request: APIRequestContext, prefix: string): Promise<{ name: string; token: string }> {
  const name = uniqueName(prefix);
  const answer = await request.post('/api/users', {
    data: { user: { username: name, email: `${name}@example.test`, password: PASSWORD } },
  });
  expect(answer.status()).toBe(201);
  return { name, token: (await answer.json()).user.token as string };
}

/** Publishes `count` articles by `token`, all tagged `tag`; returns their slugs, oldest first. */
async function articles(request: APIRequestContext, token: string, tag: string, count: number, title = 'In place'): Promise<string[]> {
  const slugs: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await request.post('/api/articles', {
      headers: { Authorization: `Token ${token}` },
      data: { article: { title: `${title} ${tag} ${i}`, description: `Number ${i}`, body: `Article **${i}**.\n\n${'Text. '.repeat(200)}`, tagList: [tag] } },
    });
    expect(created.status()).toBe(201);
    slugs.push((await created.json()).article.slug as string);
  }
  return slugs;
}

/** What every in-place page must show: its address, its title (in the live region too), focus
 * on main, the navbar's one active link when the page has one, no document load. */
async function arrived(page: Page, traffic: Traffic, path: string | RegExp, title: string | RegExp, active: string | null): Promise<void> {
  await hydrated(page);
  if (typeof path === 'string') expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(path);
  else expect(page.url()).toMatch(path);
  await expect(page).toHaveTitle(title);
  await expect(page.locator('#announcer')).toHaveText(await page.title());
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  const current = page.locator('.navbar [aria-current="page"]');
  if (active === null) await expect(current).toHaveCount(0);
  else await expect(current).toHaveText([active]);
  expect(traffic.documents()).toEqual([]);
  expect(await stillSamePage(page)).toBe(true);
  expect(traffic.errors).toEqual([]);
  expect(traffic.violations).toEqual([]);
}

/** The page's content, for comparing an in-place page with a full load of the same address. */
async function content(page: Page): Promise<string> {
  return page.evaluate(() =>
    [document.title, document.querySelector('nav.navbar')!.outerHTML, document.getElementById('main')!.outerHTML].join('\n'),
  );
}

test('a signed-in tour navigates in place: no document load, the right islands, title, navbar, focus', async ({ page, request }) => {
  test.setTimeout(90_000);
  const writer = await account(request, 'writer');
  const tag = uniqueName('spa').toLowerCase();
  const slugs = await articles(request, writer.token, tag, 12);

  await register(page, uniqueName('reader'));
  const reader = (await page.locator('.navbar a.nav-link:has(img.user-pic)').innerText()).trim();
  // The reader follows the writer, so Your Feed has their articles.
  await page.goto(`/profile/${writer.name}`);
  await hydrated(page);
  await page.click(`button:has-text("Follow ${writer.name}")`);
  await expect(page.locator(`button:has-text("Unfollow ${writer.name}")`)).toBeVisible();
  await page.goto('/');
  await hydrated(page);
  const traffic = await Traffic.watch(page);
  await markPage(page);

  // home → tag: its pill among the popular tags (twelve articles put it there).
  await page.click(`.sidebar a.tag-pill:text-is("${tag}")`);
  await arrived(page, traffic, `/tag/${tag}`, `#${tag} · Quire`, null);
  await expect(page.locator('.article-preview h1')).toHaveCount(10);

  // → page 2 of the tag: the two oldest articles.
  await page.click('.pagination a.page-link:text-is("2")');
  await arrived(page, traffic, `/tag/${tag}?page=2`, `#${tag} · Quire`, null);
  await expect(page.locator('.article-preview h1')).toHaveText([`In place ${tag} 1`, `In place ${tag} 0`]);
  await expect(page.locator('.pagination .active .page-link')).toHaveText('2');

  // Favorite the first article there: that article, not page 1's first (the island is page 2's).
  await page.locator('.article-preview').first().locator('button[aria-label="Favorite"]').click();
  await expect(page.locator('.article-preview').first().locator('button[aria-pressed="true"]')).toHaveText('1');
  const favorited = await request.get(`/api/articles?favorited=${reader}`);
  expect((await favorited.json()).articles.map((a: { slug: string }) => a.slug)).toEqual([slugs[1]]);

  // → the article.
  await page.locator('.article-preview').first().locator('.preview-link').click();
  await arrived(page, traffic, `/article/${slugs[1]}`, `In place ${tag} 1 · Quire`, null);
  await expect(page.locator('.article-page h1')).toHaveText(`In place ${tag} 1`);
  await expect(page.locator('.article-page button:has-text("Unfavorite Article (1)")').first()).toBeVisible();
  // What arrived in place is what a full load of the address shows (once hydrated).
  const inPlace = await content(page);
  const fresh = await page.context().newPage();
  await fresh.goto(page.url());
  await hydrated(fresh);
  expect(inPlace).toBe(await content(fresh));
  await fresh.close();

  // → the author.
  await page.locator('.article-page .banner a.author').click();
  await arrived(page, traffic, `/profile/${writer.name}`, `${writer.name} · Quire`, null);
  await expect(page.locator('.user-info h4')).toHaveText(writer.name);

  // → the profile's favorited tab.
  await page.click('.articles-toggle a:has-text("Favorited Articles")');
  await arrived(page, traffic, `/profile/${writer.name}/favorites`, `${writer.name} · Quire`, null);
  await expect(page.locator('.articles-toggle .nav-link.active')).toHaveText('Favorited Articles');

  // → Home (a navbar link) → Your Feed (a feed tab).
  await page.click('.navbar a.nav-link:text-is("Home")');
  await arrived(page, traffic, '/', 'Home · Quire', 'Home');
  await page.click('.feed-toggle a:has-text("Your Feed")');
  // Your Feed is the home page's: the navbar's Home stays the active link.
  await arrived(page, traffic, '/?feed=following', 'Home · Quire', 'Home');
  await expect(page.locator('.feed-toggle .nav-link.active')).toHaveText('Your Feed');
  await expect(page.locator('.article-preview h1').first()).toHaveText(`In place ${tag} 11`);

  // → the navbar's search box (a GET form).
  await page.fill('.navbar input[name="q"]', writer.name);
  await page.press('.navbar input[name="q"]', 'Enter');
  await arrived(page, traffic, `/search?q=${writer.name}`, `Search: ${writer.name} · Quire`, null);
  await expect(page.locator('input[name="q"]').last()).toHaveValue(writer.name);

  // back ×2, then forward: no document load, each page as it was.
  await page.goBack();
  await arrived(page, traffic, '/?feed=following', 'Home · Quire', 'Home');
  await page.goBack();
  await arrived(page, traffic, '/', 'Home · Quire', 'Home');
  await expect(page.locator('.feed-toggle .nav-link.active')).toHaveText('Global Feed');
  await page.goForward();
  await arrived(page, traffic, '/?feed=following', 'Home · Quire', 'Home');
  await expect(page.locator('.feed-toggle .nav-link.active')).toHaveText('Your Feed');
});

test('back restores the scroll, also after a reload; a new page starts at the top or at its #anchor', async ({ page, request }) => {
  const writer = await account(request, 'scroller');
  const tag = uniqueName('scroll').toLowerCase();
  const slugs = await articles(request, writer.token, tag, 10);
  // Signed in: the article page then has its comment box, `#comment-body`.
  await register(page, uniqueName('reader'));
  await page.goto(`/tag/${tag}`);
  await hydrated(page);
  const traffic = await Traffic.watch(page);
  await page.setViewportSize({ width: 800, height: 400 });
  // Down to the last article, where the reader clicks it.
  const last = page.locator('.article-preview .preview-link').last();
  await last.scrollIntoViewIfNeeded();
  await page.waitForTimeout(200);
  const before = await page.evaluate(() => window.scrollY);
  expect(before).toBeGreaterThan(300);

  await last.click();
  await hydrated(page);
  await expect(page.locator('.article-page h1')).toHaveText(`In place ${tag} 0`);
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  await page.goBack();
  await hydrated(page);
  await expect(page.locator('.article-preview')).toHaveCount(10);
  await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(before - 50);
  expect(Math.abs((await page.evaluate(() => window.scrollY)) - before)).toBeLessThanOrEqual(50);
  expect(traffic.documents()).toEqual([]);

  // Forward to the article, reload it, back: the tag page's place survives the reload.
  await page.goForward();
  await hydrated(page);
  await page.reload();
  await hydrated(page);
  await page.goBack();
  await hydrated(page);
  await expect(page.locator('.article-preview')).toHaveCount(10);
  await expect.poll(async () => Math.abs((await page.evaluate(() => window.scrollY)) - before)).toBeLessThanOrEqual(50);

  // A link to another page's #anchor lands there; the skip link stays in the page.
  await page.evaluate((slug) => {
    const a = document.createElement('a');
    a.href = `/article/${slug}#comment-body`;
    a.id = 'to-anchor';
    a.textContent = 'to the comment box';
    document.getElementById('main')!.prepend(a);
  }, slugs[3]);
  traffic.reset();
  await page.click('#to-anchor');
  await hydrated(page);
  await expect(page).toHaveURL(new RegExp(`/article/${slugs[3]}#comment-body$`));
  expect(traffic.documents()).toEqual([]);
  const box = await page.locator('#comment-body').boundingBox();
  expect(box && box.y).toBeGreaterThanOrEqual(0);
  expect(box && box.y).toBeLessThan(400);
  // The skip link is an in-page anchor: the browser's own, no fetch.
  traffic.reset();
  await page.focus('a.skip-link');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main$/);
  await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('main');
  expect(traffic.received.filter((r) => r.type === 'Fetch' || r.type === 'Document')).toEqual([]);
});

test('a link marked data-reload, a non-HTML answer, a cut network and a new build fall back to a full load', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  const traffic = await Traffic.watch(page);
  const link = async (href: string, attrs = '') => {
    await page.evaluate(([h, a]) => {
      document.getElementById('probe')?.remove();
      const el = document.createElement('a');
      el.id = 'probe';
      el.href = h;
      if (a) el.setAttribute(a, '');
      el.textContent = 'probe';
      document.getElementById('main')!.prepend(el);
    }, [href, attrs]);
  };
  // A full load: a new document (the mark is gone), hydrated at `path`.
  const fullLoad = async (path: string) => {
    await page.waitForURL((url) => url.pathname === path);
    await page.waitForFunction(
      () => !(window as unknown as { __quireMark?: boolean }).__quireMark && document.body.hasAttribute('data-hydrated'),
    );
    expect(traffic.documents()).toHaveLength(1);
    traffic.reset();
    await markPage(page);
  };
  await markPage(page);

  await link('/register', 'data-reload');
  await page.click('#probe');
  await fullLoad('/register');

  // The in-place fetch says so by its header; the document load after it does not.
  const inPlace = (r: { headers: () => Record<string, string> }) => r.headers()['x-quire-navigation'] === '1';
  await page.route('**/login', (route) =>
    inPlace(route.request()) ? route.fulfill({ contentType: 'application/json', body: '{}' }) : route.continue(),
  );
  await link('/login');
  await page.click('#probe');
  await fullLoad('/login');
  await expect(page.locator('h1')).toHaveText('Sign in');
  await page.unroute('**/login');

  await page.route('**/register', (route) => (inPlace(route.request()) ? route.abort('internetdisconnected') : route.continue()));
  await link('/register');
  await page.click('#probe');
  await fullLoad('/register');
  await page.unroute('**/register');

  // An answer naming other app files: a deploy happened, so the new build is loaded whole.
  await page.route('**/login', async (route) => {
    if (!inPlace(route.request())) return route.continue();
    const answer = await route.fetch();
    const body = (await answer.text()).replace(/\/pkg\/quire\.[A-Za-z0-9_-]{22}\.css/, '/pkg/quire.AAAAAAAAAAAAAAAAAAAAAA.css');
    return route.fulfill({ response: answer, body });
  });
  await link('/login');
  await page.click('#probe');
  await fullLoad('/login');
  await page.unroute('**/login');

  // A 404 swaps in like any page, titled so.
  await link('/article/no-such-article-here');
  await page.click('#probe');
  await hydrated(page);
  await expect(page).toHaveTitle('Page not found · Quire');
  await expect(page.locator('.not-found-page h1')).toHaveText('Page not found');
  expect(traffic.documents()).toEqual([]);
  expect(await stillSamePage(page)).toBe(true);
  // Addresses that are not pages are the browser's: /api answers JSON as a document.
  await link('/api/tags');
  await page.click('#probe');
  await expect.poll(() => traffic.documents().length).toBe(1);
  expect(traffic.violations).toEqual([]);
});

test('200 navigations between two pages add less than 10 MB (JS heap and wasm memory)', async ({ page, request }) => {
  test.setTimeout(120_000);
  const writer = await account(request, 'memory');
  const tag = uniqueName('mem').toLowerCase();
  const [slug] = await articles(request, writer.token, tag, 1);
  await register(page, uniqueName('visitor'));
  await page.goto(`/article/${slug}`);
  await hydrated(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('HeapProfiler.enable');
  const measure = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')!.value;
    const wasm = await page.evaluate(async () => {
      const src = document.querySelector<HTMLLinkElement>('link[rel="modulepreload"]')!.href;
      const app = await import(src);
      return (await app.default()).memory.buffer.byteLength as number;
    });
    return { heap, wasm };
  };
  const before = await measure();
  await page.evaluate(async ([a, b]) => {
    const { visit } = (window as unknown as { quire: { visit: (to: string) => Promise<void> } }).quire;
    for (let i = 0; i < 200; i++) await visit(i % 2 ? a : b);
  }, [`/article/${slug}`, `/profile/${writer.name}`]);
  await hydrated(page);
  await expect(page.locator('.article-page h1')).toHaveText(`In place ${tag} 0`);
  const after = await measure();
  const added = after.heap - before.heap + (after.wasm - before.wasm);
  console.log(
    `200 navigations: JS heap ${(before.heap / 1e6).toFixed(1)} → ${(after.heap / 1e6).toFixed(1)} MB, ` +
      `wasm memory ${(before.wasm / 1e6).toFixed(1)} → ${(after.wasm / 1e6).toFixed(1)} MB, added ${(added / 1e6).toFixed(2)} MB`,
  );
  expect(added).toBeLessThan(10e6);
});

test('plain forms post in place: a refused comment keeps its text, a comment and its deletion, sign out', async ({ page, request }) => {
  const writer = await account(request, 'poster');
  const tag = uniqueName('post').toLowerCase();
  const [slug] = await articles(request, writer.token, tag, 1);
  await register(page, uniqueName('commenter'));
  await page.goto(`/article/${slug}`);
  await hydrated(page);
  const traffic = await Traffic.watch(page);
  await markPage(page);

  // Too long: refused by the server, shown in place, and what was typed is still in the box.
  const long = 'x'.repeat(5001);
  await page.fill('#comment-body', long);
  await page.click('button:has-text("Post Comment")');
  await expect(page.locator('.error-messages')).toBeVisible();
  await hydrated(page);
  await expect(page.locator('#comment-body')).toHaveValue(long);
  expect(new URL(page.url()).pathname).toBe(`/article/${slug}`);

  // Then a real one: it appears, the box empties, the address stays.
  await page.fill('#comment-body', 'Posted in place');
  await page.click('button:has-text("Post Comment")');
  await expect(page.locator('.card .card-text')).toHaveText(['Posted in place']);
  await hydrated(page);
  await expect(page.locator('#comment-body')).toHaveValue('');
  await expect(page.locator('.error-messages')).toHaveCount(0);
  expect(new URL(page.url()).pathname).toBe(`/article/${slug}`);

  // Deleted in place.
  await page.click('button[aria-label="Delete comment"]');
  await expect(page.locator('.card .card-text')).toHaveCount(0);
  await hydrated(page);

  // Sign out (a plain post from the settings page): home, signed out, at once.
  await page.click('.navbar a.nav-link[href="/settings"]');
  await hydrated(page);
  await page.click('button:has-text("Or click here to logout")');
  await expect(page.locator('.navbar')).toContainText('Sign in');
  await hydrated(page);
  expect(new URL(page.url()).pathname).toBe('/');
  expect(traffic.documents()).toEqual([]);
  expect(await stillSamePage(page)).toBe(true);
  expect(traffic.errors).toEqual([]);
  expect(traffic.violations).toEqual([]);
});
