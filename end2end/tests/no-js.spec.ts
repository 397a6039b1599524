import { expect, test } from '@playwright/test';
import { PASSWORD, uniqueName } from './helpers';

// This project runs with JavaScript disabled: every form must work as a plain POST + redirect.
test('without JavaScript: sign up, fail and succeed to sign in, save settings', async ({ page }) => {
  const name = uniqueName('nojs');
  await page.goto('/register');
  await page.fill('input[name="username"]', name);
  await page.fill('input[name="email"]', `${name}@example.test`);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button:has-text("Sign up")');
  await expect(page).toHaveURL('/');
  await expect(page.locator('.navbar')).toContainText(name);

  await page.goto('/settings');
  await page.fill('textarea[name="bio"]', 'Written without a script.');
  await page.click('button:has-text("Update Settings")');
  await expect(page).toHaveURL('/settings?saved=1');
  await expect(page.locator('.success-message')).toBeVisible();
  await expect(page.locator('textarea[name="bio"]')).toHaveValue('Written without a script.');

  await page.click('button:has-text("Or click here to logout")');
  await expect(page.locator('.navbar')).toContainText('Sign in');

  await page.goto('/login');
  await page.fill('input[name="email"]', `${name}@example.test`);
  await page.fill('input[name="password"]', 'not the right one');
  await page.click('button:has-text("Sign in")');
  await expect(page.locator('.error-messages')).toContainText('email or password is invalid');
  // The error came in a cookie for this page, not in the address, and is shown once.
  await expect(page).toHaveURL('/login');
  await page.reload();
  await expect(page.locator('.error-messages')).toHaveCount(0);
  // An error written into an address is not ours and is not shown.
  await page.goto('/login?__path=%2Frpc%2Flogin&__err=eyJCYWRSZXF1ZXN0IjoiY2FsbCB1cyJ9');
  await expect(page.locator('.error-messages')).toHaveCount(0);

  await page.fill('input[name="email"]', `${name}@example.test`);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button:has-text("Sign in")');
  await expect(page).toHaveURL('/');
  await expect(page.locator('.navbar')).toContainText(name);
});

test('without JavaScript: write an article with typed tags, then comment on it', async ({ page }) => {
  const name = uniqueName('nojswriter');
  await page.goto('/register');
  await page.fill('input[name="username"]', name);
  await page.fill('input[name="email"]', `${name}@example.test`);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button:has-text("Sign up")');
  await expect(page.locator('.navbar')).toContainText(name);

  await page.goto('/editor');
  const title = `No script ${name}`;
  await page.fill('input[name="title"]', title);
  await page.fill('input[name="description"]', 'Plain forms');
  await page.fill('textarea[name="body"]', 'Works *anyway*.');
  await page.fill('input[placeholder="Enter tags"]', 'plain, forms');
  await page.click('button:has-text("Publish Article")');
  await expect(page.locator('.article-page h1')).toHaveText(title);
  await expect(page.locator('.article-content em')).toHaveText('anyway');
  await expect(page.locator('.article-content .tag-pill')).toHaveText(['forms', 'plain']);

  await page.fill('textarea[placeholder="Write a comment..."]', 'Posted without a script.');
  await page.click('button:has-text("Post Comment")');
  await expect(page.locator('.card:not(.comment-form) .card-block')).toHaveText(['Posted without a script.']);

  // A second reader favorites the article and follows its author, still without a script.
  const articleUrl = page.url();
  await page.goto('/settings');
  await page.click('button:has-text("Or click here to logout")');
  const reader = uniqueName('nojsreader');
  await page.goto('/register');
  await page.fill('input[name="username"]', reader);
  await page.fill('input[name="email"]', `${reader}@example.test`);
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button:has-text("Sign up")');
  await expect(page.locator('.navbar')).toContainText(reader);
  await page.goto(articleUrl);
  await page.locator('.article-actions button:has-text("Favorite Article (0)")').click();
  await expect(page.locator('.article-actions button:has-text("Unfavorite Article (1)")')).toBeVisible();
  await page.locator(`.article-actions button:has-text("Follow ${name}")`).click();
  await expect(page.locator(`.article-actions button:has-text("Unfollow ${name}")`)).toBeVisible();
});
