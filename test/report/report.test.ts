// The HTML report: built from synthetic rows, checked as text (always) and rendered in headless
// Chromium (when /usr/bin/chromium exists): plot marks, cue markers, no script injection, and a
// screenshot that is not blank.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeEval } from '../../src/pipeline/eval/summary.ts';
import { escapeHtml, jsonForScript } from '../../src/pipeline/report/escape.ts';
import { renderReport } from '../../src/pipeline/report/renderReport.ts';
import { viewerTraces } from '../../src/pipeline/report/traceData.ts';
import { HOSTILE, ROW_CUES, syntheticEval } from './reportRows.ts';

const CHROMIUM = '/usr/bin/chromium';
const rows = syntheticEval();
const summary = summarizeEval(rows, {
  model: 'toy <model>',
  engine: 'test',
  datasets: ['toy'],
  methods: ['vanilla', 'lynx:delta=0.1', 'lynx:delta=0.3', 'deer'],
  temperatures: [0.6, 1],
  seeds: [1],
  maxTokens: 100,
});
let html: string;
let file: string;

beforeAll(async () => {
  html = await renderReport(summary, rows);
  const dir = await mkdtemp(join(tmpdir(), 'lynx-report-'));
  file = join(dir, 'report.html');
  await writeFile(file, html);
}, 60_000);

describe('report text', () => {
  it('escapes HTML and script-closing text', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const json = jsonForScript({ t: '</script><b>&\u2028' });
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual({ t: '</script><b>&\u2028' });
  });

  it('is self-contained: no external URLs to load, one script with data, model text never raw', () => {
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    // The hostile text is present only in escaped forms.
    expect(html).toContain('window.__xss');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>window');
    expect(html).toContain('toy &lt;model&gt;');
    expect(html.match(/<script>/g)).toHaveLength(1);
  });

  it('has one plot per temperature with one point per method setting', () => {
    const figures = html.match(/<figure class="pareto"[\s\S]*?<\/figure>/g) ?? [];
    expect(figures).toHaveLength(2);
    for (const f of figures) {
      const symbols = f.match(/<g class="mark-symbol role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/)?.[1] ?? '';
      expect(symbols.match(/<path/g)).toHaveLength(4);
    }
  });

  it('viewer data: the longest text, cue spans on the cue words, stops at the kept text', () => {
    const traces = viewerTraces(rows, 100);
    expect(traces).toHaveLength(6);
    const t = traces[0];
    expect(t.text.endsWith(HOSTILE)).toBe(true);
    expect(t.cues.map((c) => c.position)).toEqual(ROW_CUES);
    expect(t.cues.map((c) => t.text.slice(c.start, c.end))).toEqual(['wait', 'hmm', 'Alternatively']);
    expect(t.cues.map((c) => c.label)).toEqual([true, true, true]);
    expect(t.cues.map((c) => c.p)).toEqual([0.3, 0.9, undefined]);
    const lynx = t.stops.find((s) => s.label === 'lynx:delta=0.3')!;
    expect(t.text.slice(0, lynx.char)).toBe(' so the answer is 4');
    expect(viewerTraces(rows, 2)).toHaveLength(2);
  });
});

/**
 * Browser code (a string: the project's types have no DOM) that decodes a PNG and measures it:
 * the fraction of pixels that are not near-white and the number of distinct colours (4 bits each).
 */
function pixelStatsScript(pngBase64: string): string {
  return `(async () => {
    const img = new Image();
    img.src = 'data:image/png;base64,${pngBase64}';
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, img.width, img.height).data;
    let ink = 0;
    const colors = new Set();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) ink++;
      colors.add(((d[i] >> 4) << 8) | ((d[i + 1] >> 4) << 4) | (d[i + 2] >> 4));
    }
    return { w: img.width, h: img.height, ink: ink / (d.length / 4), colors: colors.size };
  })()`;
}

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `report.test: skipping the browser checks: ${CHROMIUM} not found (apt-get install -y chromium)`,
  );
}

describe.skipIf(!haveChromium)('report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('renders plots, cue markers and stops; no injected script runs; the screenshot is not blank', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('#trace-view .thinking');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);

    const plots = await page.$$eval('figure.pareto', (figs) =>
      figs.map((f) => ({
        svg: f.querySelectorAll('svg').length,
        points: f.querySelectorAll('g.mark-symbol.role-mark path').length,
        expected: Number(f.getAttribute('data-points')),
        width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
      })),
    );
    expect(plots).toHaveLength(2);
    for (const p of plots) {
      expect(p.svg).toBe(1);
      expect(p.points).toBe(4);
      expect(p.points).toBe(p.expected);
      expect(p.width).toBeGreaterThan(200);
    }

    const cues = await page.$$eval('#trace-view mark.cue', (ms) =>
      ms.map((m) => [m.textContent, m.className]),
    );
    expect(cues).toEqual([
      ['wait', 'cue lab-1'],
      ['hmm', 'cue lab-1'],
      ['Alternatively', 'cue lab-1'],
    ]);
    const stops = await page.$$eval('#trace-view span.stop', (ss) => ss.map((s) => s.textContent));
    expect(stops.join(' ')).toContain('lynx:delta=0.3');
    expect(stops.join(' ')).toContain('vanilla');
    // Model text shows as text and runs nothing.
    const thinking = await page.textContent('#trace-view .thinking');
    expect(thinking).toContain(HOSTILE);
    expect(await page.evaluate('window.__xss')).toBeUndefined();

    // Another problem: problem q1 has a wrong forced exit at its first cue.
    await page.selectOption('#trace-select', '1');
    const classes = await page.$$eval('#trace-view mark.cue', (ms) => ms.map((m) => m.className));
    expect(classes).toEqual(['cue lab-0', 'cue lab-1', 'cue lab-1']);

    await page.selectOption('#trace-select', '0');
    const png = await page.screenshot({ fullPage: false });
    const probe = await browser.newPage();
    const stats = (await probe.evaluate(pixelStatsScript(png.toString('base64')))) as {
      w: number;
      h: number;
      ink: number;
      colors: number;
    };
    expect(stats.w).toBe(1200);
    expect(stats.ink).toBeGreaterThan(0.02);
    expect(stats.colors).toBeGreaterThan(10);
    await probe.close();
    await page.close();
  }, 60_000);
});
