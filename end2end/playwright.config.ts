import { defineConfig } from '@playwright/test';

// Debian's Chromium (never a downloaded browser), headless, one worker on a 2-core machine.
const chromium = {
  executablePath: process.env.CHROMIUM ?? '/usr/lib/chromium/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3000',
    trace: 'retain-on-failure',
    launchOptions: chromium,
  },
  projects: [
    { name: 'hydrated', testIgnore: /no-js/ },
    { name: 'no-js', testMatch: /no-js/, use: { javaScriptEnabled: false } },
  ],
});
