/**
 * Renders a page written by `ferry viz` to a PNG in headless Chromium (docs/viz.png is made this way):
 * the graph fitted to the window and one node's details open.
 *
 *   ferry run config/pipelines/retail.yaml --wait
 *   ferry viz config/pipelines/retail.yaml --out /tmp/retail.html
 *   node --import tsx scripts/screenshot-viz.ts /tmp/retail.html docs/viz.png dataset:sales_final@preprocess
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../test/support/chromium.js';

/** The size docs/viz.png is taken at: the whole retail graph fits, its labels readable. */
export const SHOT = { width: 2000, height: 960, deviceScaleFactor: 1.5 };

export async function screenshotViz(htmlFile: string, pngFile: string, node?: string): Promise<void> {
  const browser = await launchChromium(SHOT);
  try {
    const page = await browser.context.newPage();
    await page.goto(pathToFileURL(resolve(htmlFile)).href);
    if (node) await page.click(`[data-node="${node}"]`);
    await page.screenshot({ path: pngFile, fullPage: true });
  } finally {
    await browser.close();
  }
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const [html, png, node] = process.argv.slice(2);
  if (!html || !png) {
    process.stderr.write('usage: node --import tsx scripts/screenshot-viz.ts <page.html> <out.png> [node id]\n');
    process.exit(2);
  }
  await screenshotViz(html, png, node);
  process.stdout.write(`wrote ${png}\n`);
}
