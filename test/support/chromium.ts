/**
 * A real headless Chromium for the view's tests and its screenshot: Debian's `chromium`, driven by
 * playwright-core (which downloads no browser), with a fresh profile in a temp folder and Chrome's
 * background traffic off, so a test sees only the requests the page itself makes.
 *
 *   const browser = await launchChromium();
 *   const page = await browser.context.newPage();  … await browser.close();
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function launchChromium(options: { width?: number; height?: number; deviceScaleFactor?: number } = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'ferry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: options.width ?? 1600, height: options.height ?? 1000 },
    deviceScaleFactor: options.deviceScaleFactor ?? 1,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
