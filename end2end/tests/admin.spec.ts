import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { PASSWORD, hydrated, markPage, register, stillSamePage, uniqueName, watchErrors } from './helpers';

// scripts/e2e.sh makes this administrator with `quire user create --admin` before the suite.
const ADMIN = process.env.E2E_ADMIN ?? '';
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? '';

async function signInAsAdmin(page: Page): Promise<void> {
  expect(ADMIN, 'E2E_ADMIN is set by scripts/e2e.sh').not.toBe('');
  await page.goto('/login');
  await hydrated(page);
  await page.fill('input[name="email"]', `${ADMIN}@example.test`);
  await page.fill('input[name="password"]', ADMIN_PASSWORD);
  await page.click('button:has-text("Sign in")');
  await expect(page.locator('.navbar a.nav-link[href="/admin"]')).toBeVisible();
}

/** A writer publishes `count` articles titled "<prefix> 01"... through the REST API. */
async function publish(request: APIRequestContext, prefix: string, count: number): Promise<void> {
  const name = uniqueName('writer');
  const signup = await request.post('/api/users', {
    data: { user: { username: name, email: `${name}@example.test`, password: PASSWORD } },
  });
  expect(signup.status()).toBe(201);
  const token = (await signup.json()).user.token as string;
  for (let n = 1; n <= count; n++) {
    const title = `${prefix} ${String(n).padStart(2, '0')}`;
    const created = await request.post('/api/articles', {
      headers: { Authorization: `Token ${token}` },
      data: { article: { title, description: 'Seeded for the table browser', body: 'Text.' } },
    });
    expect(created.status()).toBe(201);
  }
}

/** The text of column `name` in every shown row of the table browser. */
async function column(page: Page, name: string): Promise<string[]> {
  const headers = await page.locator('.admin-table thead th').allInnerTexts();
  const at = headers.findIndex((h) => h.replace(/[▲▼]/g, '').trim() === name);
  expect(at, `column ${name} in ${headers.join(', ')}`).toBeGreaterThanOrEqual(0);
  return page.locator(`.admin-table tbody tr td:nth-child(${at + 1})`).allInnerTexts();
}

test('an administrator sorts and pages the articles table', async ({ page, request }) => {
  const errors = watchErrors(page);
  const prefix = uniqueName('Ledger');
  await publish(request, prefix, 12);
  await signInAsAdmin(page);
  await markPage(page);

  await page.click('.navbar a.nav-link[href="/admin"]');
  // In place: the page is the admin's once the swap is hydrated.
  await hydrated(page);
  await expect(page.locator('h1')).toHaveText('Administration');
  await expect(page.locator('.bar-chart svg rect')).toHaveCount(30);
  await page.click('.admin-tables a:text-is("articles")');
  await expect(page.locator('h1.admin-table-name')).toHaveText('articles');

  // Narrow to this test's articles, ten per page.
  await page.fill('.admin-table-controls input[name="q"]', prefix);
  await page.selectOption('.admin-table-controls select[name="size"]', '10');
  await page.click('.admin-table-controls button:has-text("Apply")');
  await expect(page.locator('.admin-table-summary')).toHaveText('Rows 1–10 of 12');

  // Sort by title, ascending, then descending.
  await page.click('.admin-table thead a:text-is("title")');
  await expect(page.locator('.admin-table th[aria-sort="ascending"]')).toContainText('title');
  expect((await column(page, 'title'))[0]).toBe(`${prefix} 01`);
  await page.click('.admin-table thead a:has-text("title")');
  await expect(page.locator('.admin-table th[aria-sort="descending"]')).toContainText('title');
  const firstPage = await column(page, 'title');
  expect(firstPage).toHaveLength(10);
  expect(firstPage[0]).toBe(`${prefix} 12`);
  expect(firstPage[9]).toBe(`${prefix} 03`);

  // The second page holds the rest, in the same order.
  await page.click('.pagination a.page-link:text-is("2")');
  await expect(page.locator('.admin-table-summary')).toHaveText('Rows 11–12 of 12');
  expect(await column(page, 'title')).toEqual([`${prefix} 02`, `${prefix} 01`]);
  await expect(page).toHaveURL(/sort=title/);
  await expect(page).toHaveURL(/dir=desc/);
  await expect(page).toHaveURL(/page=2/);
  // Hydrated, every step above (the admin link, the search form, sorting, paging) was in place.
  expect(await stillSamePage(page)).toBe(true);
  expect(errors).toEqual([]);
});

test('an administrator grants the role in the browser; others are turned away', async ({ browser, page }) => {
  const errors = watchErrors(page);
  // A second browser: a new user who is not an administrator (yet).
  const other = await browser.newPage();
  const name = uniqueName('deputy');
  await register(other, name);
  const refused = await other.goto('/admin');
  expect(refused?.status()).toBe(403);
  await expect(other.locator('h1')).toHaveText('Administrators only');

  await signInAsAdmin(page);
  await page.goto('/admin');
  await hydrated(page);
  await page.fill('.grant-form input[name="username"]', name);
  await page.click('.grant-form button:has-text("Grant admin")');
  await expect(page.locator('.admin-admins li', { hasText: name })).toBeVisible();

  const allowed = await other.goto('/admin');
  expect(allowed?.status()).toBe(200);
  await expect(other.locator('h1')).toHaveText('Administration');
  await other.close();
  expect(errors).toEqual([]);
});
