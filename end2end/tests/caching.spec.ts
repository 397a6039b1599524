import { expect, test } from '@playwright/test';
import { PASSWORD, hydrated, register, uniqueName } from './helpers';
import { Traffic } from './traffic';

test('a signed-in reader downloads the app once: the next full load fetches no wasm or JS', async ({ page, request }) => {
  // An article to read, written through the API by someone else.
  const writer = uniqueName('writer');
  const signup = await request.post('/api/users', {
    data: { user: { username: writer, email: `${writer}@example.test`, password: PASSWORD } },
  });
  expect(signup.status()).toBe(201);
  const token = (await signup.json()).user.token as string;
  const created = await request.post('/api/articles', {
    headers: { Authorization: `Token ${token}` },
    data: { article: { title: `Cached ${writer}`, description: 'Read twice', body: 'Some **text**.' } },
  });
  expect(created.status()).toBe(201);
  const slug = (await created.json()).article.slug as string;

  const traffic = await Traffic.watch(page);
  await register(page, uniqueName('reader'));
  await page.goto('/');
  await hydrated(page);
  // The first load of the session fetched the app (or had it from the sign-up's pages).
  expect(traffic.errors).toEqual([]);
  expect(traffic.violations).toEqual([]);

  traffic.reset();
  const answer = await page.goto(`/article/${slug}`);
  await hydrated(page);
  await expect(page.locator('.article-page h1')).toHaveText(`Cached ${writer}`);
  // The page itself is private (signed in), the app's files are not.
  expect(answer?.headers()['cache-control']).toBe('no-store');
  expect(traffic.documents()).toHaveLength(1);
  expect(traffic.bundleFetched()).toEqual([]);
  expect(traffic.errors).toEqual([]);
  expect(traffic.violations).toEqual([]);
  // The app's files are fingerprinted and immutable, for this signed-in reader too.
  const bundle = await page.locator('link[rel="modulepreload"], link[rel="preload"][as="fetch"], link[rel="stylesheet"]').evaluateAll(
    (links) => links.map((l) => (l as HTMLLinkElement).href),
  );
  expect(bundle).toHaveLength(3);
  for (const href of bundle) {
    expect(new URL(href).pathname).toMatch(/^\/pkg\/quire\.[A-Za-z0-9_-]{22}\.(js|wasm|css)$/);
    const file = await page.request.get(href, { headers: { 'Accept-Encoding': 'br' } });
    expect(file.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(file.headers()['content-encoding']).toBe('br');
  }
  // HTML only, compressed: well under the 30 KB a second page may cost.
  expect(traffic.bytes()).toBeLessThan(30_000);
});
