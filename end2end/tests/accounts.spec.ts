import { expect, test } from '@playwright/test';
import { PASSWORD, hydrated, markPage, register, stillSamePage, uniqueName, watchErrors } from './helpers';

test('register, sign out, sign in, change the bio, and it stays after a reload', async ({ page }) => {
  const errors = watchErrors(page);
  const name = uniqueName('reader');
  await register(page, name);
  await expect(page).toHaveURL('/');
  await expect(page.locator('.user-pic')).toHaveAttribute('src', /default-avatar\.svg/);

  // Sign out from the settings page.
  await page.click('a.nav-link:has-text("Settings")');
  await expect(page).toHaveURL('/settings');
  await page.click('button:has-text("Or click here to logout")');
  await expect(page.locator('.navbar')).toContainText('Sign in');
  await expect(page.locator('.navbar')).not.toContainText(name);

  // Sign in again.
  await page.click('a.nav-link:has-text("Sign in")');
  // In place: the page is the sign-in page once the swap is hydrated.
  await hydrated(page);
  await expect(page.locator('h1')).toHaveText('Sign in');
  await page.fill('input[name="email"]', `${name}@example.test`);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button:has-text("Sign in")');
  await expect(page.locator('.navbar')).toContainText(name);

  // Change the bio.
  await page.click('a.nav-link:has-text("Settings")');
  const bio = `I write about Rust, ${name}.`;
  await page.fill('textarea[name="bio"]', bio);
  await page.click('button:has-text("Update Settings")');
  await expect(page).toHaveURL('/settings?saved=1');
  await expect(page.locator('.success-message')).toBeVisible();
  await page.goto('/settings');
  await hydrated(page);
  await expect(page.locator('textarea[name="bio"]')).toHaveValue(bio);

  expect(errors).toEqual([]);
});

test('a wrong password shows an error and keeps the visitor signed out', async ({ page }) => {
  const errors = watchErrors(page);
  const name = uniqueName('forgetful');
  await register(page, name);
  await page.goto('/settings');
  await hydrated(page);
  await page.click('button:has-text("Or click here to logout")');
  await expect(page.locator('.navbar')).toContainText('Sign in');

  await page.goto('/login');
  await hydrated(page);
  await page.fill('input[name="email"]', `${name}@example.test`);
  await page.fill('input[name="password"]', 'not the right one');
  await page.click('button:has-text("Sign in")');
  await expect(page.locator('.error-messages')).toContainText('email or password is invalid');
  await expect(page).toHaveURL('/login');
  await expect(page.locator('.navbar')).not.toContainText(name);
  expect(errors).toEqual([]);
});

test('the sign-up form explains what is wrong before and after asking the server', async ({ page }) => {
  const errors = watchErrors(page);
  const taken = uniqueName('taken');
  await register(page, taken);
  await page.goto('/settings');
  await hydrated(page);
  await page.click('button:has-text("Or click here to logout")');
  await expect(page.locator('.navbar')).toContainText('Sign in');

  await page.goto('/register');
  await hydrated(page);
  // Checked in the browser: nothing is sent.
  await page.click('button:has-text("Sign up")');
  await expect(page.locator('.error-messages')).toContainText("username can't be blank");
  await expect(page.locator('.error-messages')).toContainText("email can't be blank");
  await page.fill('input[name="username"]', uniqueName('new'));
  await page.fill('input[name="email"]', 'not-an-email');
  await page.fill('input[name="password"]', 'short');
  await page.click('button:has-text("Sign up")');
  await expect(page.locator('.error-messages')).toContainText('email is invalid');
  await expect(page.locator('.error-messages')).toContainText('password is too short (minimum is 8 characters)');

  // Checked by the server: a common password, then a taken username. The form's island sends
  // it without a page load, so what was typed stays.
  await markPage(page);
  const username = await page.inputValue('input[name="username"]');
  await page.fill('input[name="email"]', `${uniqueName('new')}@example.test`);
  await page.fill('input[name="password"]', 'password123');
  await page.click('button:has-text("Sign up")');
  await expect(page.locator('.error-messages')).toContainText('password is too common');
  expect(await stillSamePage(page)).toBe(true);
  await expect(page.locator('input[name="username"]')).toHaveValue(username);
  await page.fill('input[name="username"]', taken);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button:has-text("Sign up")');
  await expect(page.locator('.error-messages')).toContainText('username has already been taken');
  expect(errors).toEqual([]);
});

test('an unknown address shows the 404 page with status 404', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.locator('h1')).toHaveText('Page not found');
  await page.click('a:has-text("Back to the home page")');
  await expect(page.locator('.banner')).toBeVisible();
});

test('the home page is complete before any script runs', async ({ request }) => {
  const response = await request.get('/');
  expect(response.status()).toBe(200);
  const html = await response.text();
  expect(html).toContain('class="banner"');
  expect(html).toContain('Global Feed');
  expect(html).toContain('No articles are here... yet.');
});

test('"Sign out everywhere" ends the other browsers and the API tokens too', async ({ page, browser, request }) => {
  const errors = watchErrors(page);
  const name = uniqueName('careful');
  await register(page, name);
  await expect(page.locator('.navbar')).toContainText(name);

  // The same account in a second browser, and a token from the REST API.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto('/login');
  await hydrated(otherPage);
  await otherPage.fill('input[name="email"]', `${name}@example.test`);
  await otherPage.fill('input[name="password"]', PASSWORD);
  await otherPage.click('button:has-text("Sign in")');
  await expect(otherPage.locator('.navbar')).toContainText(name);
  const login = await request.post('/api/users/login', {
    data: { user: { email: `${name}@example.test`, password: PASSWORD } },
  });
  expect(login.status()).toBe(200);
  const token = (await login.json()).user.token;
  const whoami = () => request.get('/api/user', { headers: { Authorization: `Token ${token}` } });
  expect((await whoami()).status()).toBe(200);

  await page.goto('/settings');
  await hydrated(page);
  await page.click('button:has-text("Sign out everywhere")');
  await expect(page).toHaveURL('/login');
  await expect(page.locator('.navbar')).toContainText('Sign in');

  await otherPage.reload();
  await expect(otherPage.locator('.navbar')).toContainText('Sign in');
  await expect(otherPage.locator('.navbar')).not.toContainText(name);
  expect((await whoami()).status()).toBe(401);
  await other.close();
  expect(errors).toEqual([]);
});
