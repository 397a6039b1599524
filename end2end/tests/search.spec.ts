import { expect, test } from '@playwright/test';
import { hydrated, register, uniqueName, watchErrors } from './helpers';

test('the navbar search finds an article by a word that is only in its body', async ({ page }) => {
  const errors = watchErrors(page);
  const name = uniqueName('searcher');
  // A word nobody else has written, only in the body.
  const word = `zq${Date.now().toString(36)}`;
  await register(page, name);
  await page.goto('/editor');
  await hydrated(page);
  const title = `Field notes ${name}`;
  await page.fill('input[name="title"]', title);
  await page.fill('input[name="description"]', 'Nothing to see in the description');
  await page.fill('textarea[name="body"]', `Deep in the text hides the word ${word} among others.`);
  await page.click('button:has-text("Publish Article")');
  await expect(page.locator('.article-page .banner h1')).toHaveText(title);

  // Typing a prefix of the word is enough.
  await page.fill('.nav-search input[name="q"]', word.slice(0, -2));
  await page.press('.nav-search input[name="q"]', 'Enter');
  await expect(page).toHaveURL(new RegExp(`/search\\?q=${word.slice(0, -2)}`));
  const hit = page.locator('.search-articles .article-preview');
  await expect(hit).toHaveCount(1);
  await expect(hit.locator('h1')).toHaveText(title);
  await expect(hit.locator('.search-snippet mark')).toHaveText(word);
  await expect(page.locator('.search-count')).toHaveText('1 article found');

  // The author turns up by name, above the articles.
  await page.fill('.search-form input[name="q"]', name);
  await page.click('.search-form button');
  await expect(page.locator('.search-authors')).toContainText(name);

  // Query syntax is just text: no error, and no match for a word nobody wrote.
  await page.fill('.search-form input[name="q"]', `NEAR( "${word}x AND title: *`);
  await page.click('.search-form button');
  await expect(page.locator('.search-empty')).toBeVisible();
  expect(errors).toEqual([]);
});
