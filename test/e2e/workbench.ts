/**
 * What a person does in the VS Code workbench, through its DOM: Quick Open, Go to Line, hover a word, read the
 * editor's lines (inlay hints are text inside them), the Problems panel, the command palette, webviews.
 * Every wait has a timeout.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ARTIFACTS, Log, REPO } from './code-server';
import { BoundingBox, Frame, Page } from './playwright';

const EDITOR = '.editor-instance .monaco-editor';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// Functions passed to page.evaluate / frame.evaluate run in the browser; the project compiles without the DOM
// library, so they reach the page through (globalThis as any).document, untyped.

/** Non-breaking spaces (Monaco renders whitespace with them) as spaces. */
export const plain = (s: string) => s.replace(/\u00a0/g, ' ');

export async function waitForWorkbench(page: Page, timeoutMs = 90_000): Promise<void> {
  await page.waitForSelector('.monaco-workbench', { timeout: timeoutMs });
  // The explorer lists the folder once the remote connection and file service are up.
  await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: timeoutMs });
}

export async function screenshot(page: Page, name: string, log: Log): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  try {
    await page.screenshot({ path: file, timeout: 20_000 });
    log(`screenshot ${path.relative(REPO, file)}`);
  } catch (e) {
    log(`screenshot ${name} failed: ${e}`);
  }
  return file;
}

/** Ctrl+P, type the query, pick the row whose label and folder are `rel` (e.g. mm/mmap.c), wait for its tab. */
export async function quickOpen(page: Page, rel: string, log: Log): Promise<void> {
  const base = path.posix.basename(rel);
  const dir = path.posix.dirname(rel);
  await page.mouse.click(700, 450).catch(() => undefined);
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 15_000 });
  await page.keyboard.type(rel, { delay: 20 });
  // File search over a kernel tree takes a moment; wait for the row that is exactly this file.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows = page.locator('.quick-input-list .monaco-list-row');
    const n = await rows.count();
    const labels: string[] = [];
    for (let i = 0; i < n; i++) {
      const row = rows.nth(i);
      const label = plain((await row.locator('.label-name').first().innerText({ timeout: 2_000 }).catch(() => '')).trim());
      const desc = plain((await row.locator('.label-description').first().innerText({ timeout: 2_000 }).catch(() => '')).trim());
      labels.push(`${label} [${desc}]`);
      // The description is the folder, maybe prefixed by the root name in a multi-root workspace.
      if (label === base && (desc === dir || desc.endsWith(` • ${dir}`) || desc.endsWith(`/${dir}`) || desc.endsWith(`• ${dir}`))) {
        await row.click({ timeout: 10_000 });
        await page.waitForSelector(`.tabs-container .tab.active[aria-label*="${base}"], .tabs-container .tab.active >> text=${base}`, { timeout: 30_000 });
        await page.waitForSelector(`${EDITOR} .view-lines .view-line`, { timeout: 30_000 });
        log(`opened ${rel} with Quick Open`);
        return;
      }
    }
    if (Date.now() > deadline) throw new Error(`Quick Open did not offer ${rel}; rows: ${JSON.stringify(labels)}`);
    await sleep(500);
  }
}

/** Ctrl+G to a 1-based line; the editor reveals it. */
export async function goToLine(page: Page, line1: number): Promise<void> {
  await page.keyboard.press('Control+G');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 15_000 });
  await page.keyboard.type(String(line1), { delay: 20 });
  await page.keyboard.press('Enter');
  await page.waitForSelector('.quick-input-widget', { state: 'hidden', timeout: 15_000 }).catch(() => undefined);
  await sleep(300);
}

/** Texts of the editor's rendered lines, whitespace as spaces, top to bottom. */
export async function viewLines(page: Page): Promise<string[]> {
  return page.evaluate((sel: string) => {
    const lines: any[] = [...(globalThis as any).document.querySelectorAll(`${sel} .view-lines .view-line`)];
    lines.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
    return lines.map((l) => String(l.textContent ?? '').replace(/\u00a0/g, ' '));
  }, EDITOR);
}

/**
 * Inlay hints as the editor renders them: spans of injected text inside the line. VS Code gives them a
 * generated class (`dyn-rule-…`) and no source character of their own; we report, per rendered line,
 * the line's text and the texts of its injected spans.
 */
export async function renderedHints(page: Page): Promise<Array<{ line: string; hints: string[] }>> {
  return page.evaluate((sel: string) => {
    const lines: any[] = [...(globalThis as any).document.querySelectorAll(`${sel} .view-lines .view-line`)];
    lines.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
    return lines.map((l) => ({
      line: String(l.textContent ?? '').replace(/\u00a0/g, ' '),
      hints: ([...l.querySelectorAll('span[class*="dyn-rule"], span[class*="inlay"], span[class*="ced-"]')] as any[])
        .map((s) => String(s.textContent ?? '').replace(/\u00a0/g, ' ').trim())
        .filter((t) => t.length > 0),
    }));
  }, EDITOR);
}

/** The screen box of `word` on the first rendered line that contains `lineText` (a DOM range over text nodes). */
export async function wordBox(page: Page, lineText: string, word: string): Promise<BoundingBox | null> {
  return page.evaluate(
    ([sel, lineText, word]: [string, string, string]) => {
      const doc = (globalThis as any).document;
      for (const line of doc.querySelectorAll(`${sel} .view-lines .view-line`)) {
        if (!String(line.textContent ?? '').replace(/\u00a0/g, ' ').includes(lineText)) continue;
        const walker = doc.createTreeWalker(line, 4 /* NodeFilter.SHOW_TEXT */);
        let n: any;
        while ((n = walker.nextNode())) {
          const txt = String(n.textContent ?? '').replace(/\u00a0/g, ' ');
          const i = txt.indexOf(word);
          if (i < 0) continue;
          const r = doc.createRange();
          r.setStart(n, i);
          r.setEnd(n, i + word.length);
          const b = r.getBoundingClientRect();
          return { x: b.x, y: b.y, width: b.width, height: b.height };
        }
      }
      return null;
    },
    [EDITOR, lineText, word] as [string, string, string],
  );
}

/**
 * Hovers the box until the hover's text matches, moving the mouse away between tries (VS Code does not ask
 * again for the same word while the mouse stays on it). The first tries often come before the server is ready.
 */
export async function hoverUntil(page: Page, box: BoundingBox, want: RegExp, timeoutMs: number, log: Log): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let attempt = 1; ; attempt++) {
    await page.mouse.move(5, 5);
    await sleep(400);
    await page.mouse.move(box.x + Math.min(box.width / 2, 20), box.y + box.height / 2, { steps: 4 });
    const hover = page.locator('.monaco-hover:not(.hidden)').first();
    try {
      await hover.waitFor({ state: 'visible', timeout: 4_000 });
      // Give a slow provider a moment to replace "Loading..."
      const until = Date.now() + 4_000;
      do {
        last = plain(await hover.innerText({ timeout: 2_000 }));
        if (want.test(last)) return last;
        await sleep(300);
      } while (Date.now() < until);
    } catch {
      /* no hover this time */
    }
    if (Date.now() > deadline) throw new Error(`no hover matching ${want} within ${timeoutMs / 1000} s after ${attempt} tries; last hover: ${JSON.stringify(last.slice(0, 400))}`);
    if (attempt % 5 === 0) log(`hover attempt ${attempt}: ${JSON.stringify(last.slice(0, 120))}`);
    await sleep(1_000);
  }
}

/**
 * Waits until the extension's status bar item (the one that says mmap_lock) stops spinning: the server has
 * indexed the tree. Fails at once if it shows an error or a stopped server. Returns the item's last text.
 */
export async function waitForIndexed(page: Page, timeoutMs: number, log: Log): Promise<string> {
  const item = page.locator('.statusbar-item', { hasText: 'mmap_lock' }).first();
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let i = 0; ; i++) {
    const present = await item.count().then((n) => n > 0).catch(() => false);
    if (present) {
      last = plain(await item.innerText({ timeout: 2_000 }).catch(() => '')).trim();
      const spinning = (await item.locator('.codicon-modifier-spin, [class*="~spin"]').count().catch(() => 0)) > 0;
      const broken = (await item.locator('.codicon-error, .codicon-circle-slash').count().catch(() => 0)) > 0;
      if (broken) throw new Error(`the status bar says the server failed: ${JSON.stringify(last)} (${await item.locator('a').first().getAttribute('aria-label').catch(() => '')})`);
      if (!spinning && last) return last;
    }
    if (Date.now() > deadline) throw new Error(`the server was still indexing after ${timeoutMs / 1000} s; status bar: ${JSON.stringify(last)}`);
    if (i % 10 === 9) log(`still indexing: ${JSON.stringify(last)}`);
    await sleep(1_000);
  }
}

/** F1, type the command's title, pick it. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 15_000 });
  await page.keyboard.type(title, { delay: 15 });
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  await page.keyboard.press('Enter');
}

/** Rows of the Problems panel (Ctrl+Shift+M) that contain every string in `has`, waiting up to timeoutMs. */
export async function problemRows(page: Page, has: string[], timeoutMs: number): Promise<string[]> {
  await page.keyboard.press('Control+Shift+M');
  await page.waitForSelector('.markers-panel', { state: 'visible', timeout: 15_000 });
  const deadline = Date.now() + timeoutMs;
  let seen: string[] = [];
  for (;;) {
    seen = (await page.locator('.markers-panel .monaco-list-row').allInnerTexts()).map((t) => plain(t).replace(/\s+/g, ' ').trim());
    const hits = seen.filter((t) => has.every((h) => t.includes(h)));
    if (hits.length) return hits;
    if (Date.now() > deadline) throw new Error(`no Problems row with ${JSON.stringify(has)} within ${timeoutMs / 1000} s; rows: ${JSON.stringify(seen.slice(0, 20))}`);
    await sleep(1_000);
  }
}

/** The frame (webviews are nested iframes) whose document has elements matching `selector`, with their texts. */
export async function findInFrames(page: Page, selector: string): Promise<{ frame: Frame; texts: string[]; body: string } | null> {
  for (const frame of page.frames()) {
    const found = await frame
      .evaluate(
        (sel: string) => ({
          texts: ([...(globalThis as any).document.querySelectorAll(sel)] as any[]).map((e) => String(e.innerText ?? e.textContent ?? '')),
          body: String((globalThis as any).document.body?.innerText ?? ''),
        }),
        selector,
      )
      .catch(() => null);
    if (found && found.texts.length) return { frame, ...found };
  }
  return null;
}
