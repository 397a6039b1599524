import { expect, test, type Page } from '@playwright/test';
import { hydrated, markPage, register, stillSamePage, uniqueName, watchErrors } from './helpers';

/** Writes an article in the editor; returns to its page. */
async function publish(page: Page, title: string, body: string, tags: string[]): Promise<void> {
  await page.goto('/editor');
  await hydrated(page);
  await page.fill('input[name="title"]', title);
  await page.fill('input[name="description"]', `About ${title}`);
  await page.fill('textarea[name="body"]', body);
  for (const tag of tags) {
    await page.fill('input[placeholder="Enter tags"]', tag);
    await page.press('input[placeholder="Enter tags"]', 'Enter');
  }
  await page.click('button:has-text("Publish Article")');
  await expect(page.locator('.article-page .banner h1')).toHaveText(title);
}

async function signOut(page: Page): Promise<void> {
  await page.goto('/settings');
  await hydrated(page);
  await page.click('button:has-text("Or click here to logout")');
  await expect(page.locator('.navbar')).toContainText('Sign in');
}

test('an article with tags and Markdown shows on the feed, its tag page and the profile', async ({ page }) => {
  const errors = watchErrors(page);
  const name = uniqueName('writer');
  const tag = uniqueName('tag').toLowerCase();
  await register(page, name);
  await page.goto('/editor');
  await hydrated(page);
  await page.fill('textarea[name="body"]', '# Heading\n\nSome **bold** text.');
  // The preview follows the body.
  await expect(page.locator('.preview strong')).toHaveText('bold');
  const title = `Markdown ${name}`;
  await publish(page, title, '# Heading\n\nSome **bold** text.', [tag, 'Second Tag']);
  await expect(page.locator('.article-content strong')).toHaveText('bold');
  await expect(page.locator('.article-content .tag-pill')).toHaveText(['second tag', tag]);

  await page.goto('/');
  await expect(page.locator('.article-preview h1').first()).toHaveText(title);
  await page.goto(`/tag/${tag}`);
  await expect(page.locator('.article-preview h1')).toHaveText([title]);
  await page.goto(`/profile/${name}`);
  await expect(page.locator('.article-preview h1')).toHaveText([title]);
  await expect(page.locator('a:has-text("Edit Profile Settings")')).toBeVisible();
  expect(errors).toEqual([]);
});

test('favorite and unfavorite update the count and the Favorited tab', async ({ page }) => {
  const errors = watchErrors(page);
  const author = uniqueName('author');
  await register(page, author);
  const title = `Likeable ${author}`;
  await publish(page, title, 'Worth a like.', []);
  const url = page.url();
  await signOut(page);
  const reader = uniqueName('reader');
  await register(page, reader);
  await page.goto(url);
  await hydrated(page);
  // The button is an island: the favorite is sent without a page load.
  await markPage(page);
  const button = page.locator('.article-actions button:has-text("Favorite Article")');
  await button.click();
  await expect(page.locator('.article-actions button:has-text("Unfavorite Article (1)")')).toBeVisible();
  await expect(page.locator('.article-actions .btn-primary:has-text("Unfavorite")')).toBeVisible();
  expect(await stillSamePage(page)).toBe(true);
  await page.goto(`/profile/${reader}/favorites`);
  await expect(page.locator('.article-preview h1')).toHaveText([title]);
  await page.goto(url);
  await hydrated(page);
  await page.locator('.article-actions button:has-text("Unfavorite Article")').click();
  await expect(page.locator('.article-actions button:has-text("Favorite Article (0)")')).toBeVisible();
  await page.goto(`/profile/${reader}/favorites`);
  await expect(page.locator('.empty-feed-message')).toBeVisible();
  expect(errors).toEqual([]);
});

test('comment on an article, then delete the comment', async ({ page }) => {
  const errors = watchErrors(page);
  await register(page, uniqueName('talker'));
  await publish(page, `Talk ${uniqueName('t')}`, 'Say something.', []);
  await hydrated(page);
  await page.fill('textarea[placeholder="Write a comment..."]', 'First! <b>not bold</b>');
  await page.click('button:has-text("Post Comment")');
  const posted = page.locator('.card:not(.comment-form) .card-block');
  await expect(posted).toHaveText(['First! <b>not bold</b>']);
  await expect(page.locator('textarea[placeholder="Write a comment..."]')).toHaveValue('');
  await page.click('.mod-options .ion-trash-a');
  await expect(posted).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('following an author puts their article in Your Feed', async ({ page }) => {
  const errors = watchErrors(page);
  const author = uniqueName('followed');
  await register(page, author);
  const title = `Followed ${author}`;
  await publish(page, title, 'For my followers.', []);
  await signOut(page);
  await register(page, uniqueName('follower'));
  await page.goto(`/profile/${author}`);
  await hydrated(page);
  await page.click(`button:has-text("Follow ${author}")`);
  await expect(page.locator(`button:has-text("Unfollow ${author}")`)).toBeVisible();
  await page.goto('/?feed=following');
  await expect(page.locator('.feed-toggle .nav-link.active')).toHaveText('Your Feed');
  await expect(page.locator('.article-preview h1')).toHaveText([title]);
  expect(errors).toEqual([]);
});

test('the feed pages past page 1', async ({ page }) => {
  const name = uniqueName('prolific');
  await register(page, name);
  for (let i = 0; i < 11; i++) {
    await publish(page, `Page test ${name} ${i}`, 'Body.', []);
  }
  await page.goto(`/profile/${name}`);
  await expect(page.locator('.article-preview')).toHaveCount(10);
  await page.click('.pagination .page-item a:has-text("2")');
  await expect(page).toHaveURL(new RegExp(`/profile/${name}\\?page=2`));
  await expect(page.locator('.pagination .page-item.active')).toHaveText('2');
  await expect(page.locator('.article-preview h1')).toHaveText([`Page test ${name} 0`]);
});

test('a hostile title and body render as text and run nothing', async ({ page }) => {
  const errors = watchErrors(page);
  await register(page, uniqueName('mallory'));
  const title = '</title></textarea><script>window.__x=1</script>';
  await publish(page, title, '<img src=x onerror="window.__y=1"> <script>window.__z=1</script>', []);
  await page.reload();
  await hydrated(page);
  await expect(page.locator('.article-page .banner h1')).toHaveText(title);
  expect(await page.title()).toContain('<script>');
  const ran = await page.evaluate(() => [
    (window as unknown as Record<string, unknown>).__x,
    (window as unknown as Record<string, unknown>).__y,
    (window as unknown as Record<string, unknown>).__z,
  ]);
  expect(ran).toEqual([undefined, undefined, undefined]);
  await page.click('a:has-text("Edit Article")');
  await expect(page.locator('input[name="title"]')).toHaveValue(title);
  expect(await page.evaluate(() => (window as unknown as Record<string, unknown>).__x)).toBeUndefined();
  expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
});

test('article, home, article through back and forward, with no errors', async ({ page }) => {
  const errors = watchErrors(page);
  await register(page, uniqueName('walker'));
  const title = `Walk ${uniqueName('w')}`;
  await publish(page, title, 'Back and forth.', []);
  await hydrated(page);
  await page.click('a.nav-link:has-text("Home")');
  await expect(page.locator('.banner')).toBeVisible();
  await page.click(`.article-preview h1:has-text("${title}")`);
  await expect(page.locator('.article-page .banner h1')).toHaveText(title);
  await page.goBack();
  await expect(page.locator('.home-page')).toBeVisible();
  await page.goForward();
  await expect(page.locator('.article-page .banner h1')).toHaveText(title);
  await page.goBack();
  await page.goBack();
  await expect(page.locator('.article-page .banner h1')).toHaveText(title);
  expect(errors).toEqual([]);
});
