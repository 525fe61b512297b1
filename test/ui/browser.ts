/**
 * Browser-test helpers: one real headless Chromium (Debian's `chromium-headless-shell` or `chromium`,
 * installed by scripts/setup.sh; playwright-core drives it, nothing is downloaded), shared by every
 * test of a file, and a `modsynth serve` with its rack on an ephemeral port.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serve, type Server } from '../support/osc';

const CANDIDATES = [process.env.MODSYNTH_CHROMIUM, '/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].filter(Boolean) as string[];

let browser: Promise<Browser> | undefined;

/** The shared Chromium (started on first use). Throws, naming what to install, when there is none. */
export function theBrowser(): Promise<Browser> {
  const exe = CANDIDATES.find((p) => existsSync(p));
  if (!exe) throw new Error(`no Chromium found (${CANDIDATES.join(', ')}): run scripts/setup.sh (Debian package chromium-headless-shell) or set MODSYNTH_CHROMIUM`);
  browser ??= chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  return browser;
}

export async function closeBrowser(): Promise<void> {
  if (browser) await (await browser).close();
  browser = undefined;
}

export interface RackServe extends Server {
  url: string;
}

/** `modsynth serve ARGS` with OSC and the rack on ephemeral ports; resolves once the rack's URL is printed. */
export async function serveRack(args: string[], patchDir: string): Promise<RackServe> {
  const srv = await serve(['--http', '127.0.0.1:0', ...args], patchDir);
  const end = Date.now() + 20_000;
  for (;;) {
    const m = /rack on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(srv.stdout());
    if (m) return { ...srv, url: m[1] };
    if (Date.now() > end || srv.proc.exitCode !== null) throw new Error(`no rack URL printed: ${srv.stdout()}${srv.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A new tab on the rack, with page errors collected (a test asserts there are none). */
export async function openRack(url: string, viewport = { width: 1500, height: 950 }): Promise<{ page: Page; errors: string[] }> {
  const b = await theBrowser();
  const page = await b.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#conn')?.textContent === 'connected');
  return { page, errors };
}

/** Centre of an element on the page (for real mouse drags). */
export async function centre(page: Page, selector: string): Promise<{ x: number; y: number }> {
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`${selector} is not visible`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags with the mouse from one element to another, in steps (pointer events as a user makes them). */
export async function drag(page: Page, from: string, to: string): Promise<void> {
  const a = await centre(page, from), b = await centre(page, to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 40, { steps: 8 });
  await page.mouse.move(b.x, b.y, { steps: 8 });
  await page.mouse.up();
}
