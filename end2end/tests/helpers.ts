import { expect, type Page } from '@playwright/test';

export const PASSWORD = 'a long and memorable passphrase';

/** A username nobody has used yet in this database. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Collects console errors and uncaught exceptions; assert it is empty at the end. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** Waits until the wasm bundle has hydrated the page. */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForSelector('body[data-hydrated]', { state: 'attached' });
}

export async function register(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/register');
  await hydrated(page);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="email"]', `${username}@example.test`);
  await page.fill('input[name="password"]', password);
  await page.click('button:has-text("Sign up")');
  await expect(page.locator('.navbar')).toContainText(username);
}
