/**
 * playwright-core, loaded from the e2e cache folder (scripts/e2e/setup.sh installs it beside code-server, so the
 * project's own dependencies stay as they are), with the few types the tests use declared here.
 */
import { createRequire } from 'module';
import * as path from 'path';

export interface BoundingBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Locator {
  first(): Locator;
  nth(index: number): Locator;
  filter(options: { hasText?: string | RegExp }): Locator;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  waitFor(options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<void>;
  innerText(options?: { timeout?: number }): Promise<string>;
  textContent(options?: { timeout?: number }): Promise<string | null>;
  allInnerTexts(): Promise<string[]>;
  allTextContents(): Promise<string[]>;
  count(): Promise<number>;
  click(options?: { timeout?: number }): Promise<void>;
  fill(value: string, options?: { timeout?: number }): Promise<void>;
  isVisible(): Promise<boolean>;
  getAttribute(name: string, options?: { timeout?: number }): Promise<string | null>;
  boundingBox(options?: { timeout?: number }): Promise<BoundingBox | null>;
  screenshot(options?: { path?: string; timeout?: number }): Promise<Buffer>;
}

export interface FrameLocator {
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  frameLocator(selector: string): FrameLocator;
}

export interface Frame {
  url(): string;
  name(): string;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  evaluate<R, A>(fn: (arg: A) => R, arg: A): Promise<R>;
}

export interface ConsoleMessage {
  type(): string;
  text(): string;
}

export interface Page {
  goto(url: string, options?: { timeout?: number; waitUntil?: 'load' | 'domcontentloaded' | 'networkidle' | 'commit' }): Promise<unknown>;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  frameLocator(selector: string): FrameLocator;
  frames(): Frame[];
  waitForSelector(selector: string, options?: { timeout?: number; state?: 'attached' | 'detached' | 'visible' | 'hidden' }): Promise<unknown>;
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, options?: { timeout?: number; polling?: number }): Promise<unknown>;
  waitForTimeout(ms: number): Promise<void>;
  evaluate<R, A>(fn: (arg: A) => R, arg: A): Promise<R>;
  screenshot(options?: { path?: string; fullPage?: boolean; timeout?: number }): Promise<Buffer>;
  exposeFunction(name: string, fn: (...args: any[]) => unknown): Promise<void>;
  on(event: 'console', fn: (m: ConsoleMessage) => void): void;
  on(event: 'pageerror', fn: (e: Error) => void): void;
  keyboard: {
    press(key: string, options?: { delay?: number }): Promise<void>;
    type(text: string, options?: { delay?: number }): Promise<void>;
    insertText(text: string): Promise<void>;
  };
  mouse: {
    move(x: number, y: number, options?: { steps?: number }): Promise<void>;
    click(x: number, y: number, options?: { clickCount?: number }): Promise<void>;
  };
  close(): Promise<void>;
}

export interface BrowserContext {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export interface Browser {
  newContext(options?: { viewport?: { width: number; height: number } }): Promise<BrowserContext>;
  close(): Promise<void>;
}

interface PlaywrightModule {
  chromium: {
    launch(options: { executablePath: string; headless: boolean; args: string[]; timeout?: number }): Promise<Browser>;
  };
}

/** The Chromium flags that work on this kind of machine (no GPU, no network besides localhost, root). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function loadPlaywright(playwrightCoreDir: string): PlaywrightModule {
  const req = createRequire(path.join(playwrightCoreDir, '..', 'index.js'));
  return req(playwrightCoreDir) as PlaywrightModule;
}

export async function launchChromium(playwrightCoreDir: string, executablePath: string): Promise<Browser> {
  const { chromium } = loadPlaywright(playwrightCoreDir);
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}
