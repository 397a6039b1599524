import { expect, type Page } from '@playwright/test';

export const PASSWORD = 'a long and memorable passphrase';

/** A username nobody has used yet in this database. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/**
 * Collects console errors and uncaught exceptions; assert it is empty at the end.
 * Chromium also logs every 4xx answer as a console error; a 4xx from a server function
 * (a refused password, a taken username) is an answer the page shows, so those are skipped.
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const answered = /status of 4\d\d/.test(m.text()) && new URL(m.location().url).pathname.startsWith('/rpc/');
    if (!answered) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/**
 * Waits until the islands of the page shown are hydrated: after a full load (`hydrate` in
 * src/lib.rs), and after each in-place navigation, which removes the mark as it starts and sets
 * it once the new page's islands are hydrated (src/navigation.js): so it waits per navigation.
 */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForSelector('body[data-hydrated]', { state: 'attached' });
}

/** Signs up on /register (opening it unless the page is already there). */
export async function register(page: Page, username: string, password = PASSWORD): Promise<void> {
  if (new URL(page.url()).pathname !== '/register') {
    await page.goto('/register');
  }
  await hydrated(page);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="email"]', `${username}@example.test`);
  await page.fill('input[name="password"]', password);
  await page.click('button:has-text("Sign up")');
  await expect(page.locator('.navbar')).toContainText(username);
}

/** Marks the current document; `stillSamePage` is true only if no full page load happened since. */
export async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __quireMark: boolean }).__quireMark = true));
}

export async function stillSamePage(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __quireMark?: boolean }).__quireMark === true);
}
