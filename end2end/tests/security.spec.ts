import { expect, test, type Page } from '@playwright/test';
import { hydrated, register, uniqueName, watchErrors } from './helpers';

/** Counts the page's Content-Security-Policy violations from its very first script on. */
async function countViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
}

async function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
}

test('pages hydrate under the CSP with no violation, and a script without the nonce is blocked', async ({ page }) => {
  const errors = watchErrors(page);
  await countViolations(page);
  const name = uniqueName('csp');
  await register(page, name);

  // Write an article through the editor (preview included), then read it and its editor.
  await page.goto('/editor');
  await hydrated(page);
  await page.fill('input[name="title"]', `CSP ${name}`);
  await page.fill('input[name="description"]', 'checked');
  await page.fill('textarea[name="body"]', 'Some **bold** text.');
  await expect(page.locator('.preview strong')).toHaveText('bold');
  await page.click('button:has-text("Publish Article")');
  await expect(page.locator('.article-page .banner h1')).toHaveText(`CSP ${name}`);
  const article = page.url();

  for (const path of ['/', article, '/settings', `/profile/${name}`, '/search?q=bold']) {
    const response = await page.goto(path);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("'wasm-unsafe-eval'");
    expect(csp).toContain("frame-ancestors 'none'");
    await hydrated(page);
    expect(await violations(page), path).toEqual([]);
  }

  // A comment after hydration still works (the client talks to the server under the policy).
  await page.goto(article);
  await hydrated(page);
  await page.fill('textarea[placeholder="Write a comment..."]', 'Under the policy');
  await page.click('button:has-text("Post Comment")');
  await expect(page.locator('.card:not(.comment-form) .card-block')).toContainText('Under the policy');
  expect(await violations(page)).toEqual([]);

  // An injected inline script has no nonce: the browser refuses to run it.
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = '(window as any).__injected = 1'.replace(' as any', '');
    document.body.appendChild(s);
  });
  await expect.poll(() => violations(page)).toHaveLength(1);
  expect(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected)).toBeUndefined();
  // The one error is that refusal, reported by the browser.
  expect(errors.filter((e) => !/Content Security Policy/.test(e))).toEqual([]);
});
