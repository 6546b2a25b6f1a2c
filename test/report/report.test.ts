// The HTML report: built from synthetic rows whose frontier, choices, premature exits and
// disagreements are known by construction (reportRows.ts), checked as text (always) and rendered in
// headless Chromium (when /usr/bin/chromium exists): frontier marks, legend, reference lines, the
// calibration plot, cue markers, viewer filters, no script injection, a screenshot that is not blank.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitionsMarkdown, METRIC_DEFINITIONS, SUMMARY_COLUMNS } from '../../src/pipeline/eval/columns.ts';
import { formatSummaryTable, summarizeEval } from '../../src/pipeline/eval/summary.ts';
import { escapeHtml, jsonForScript } from '../../src/pipeline/report/escape.ts';
import {
  accuracyDomain,
  offAxisPoints,
  type ParetoPoint,
  paretoSpec,
  renderSvg,
} from '../../src/pipeline/report/paretoPlot.ts';
import { renderReport } from '../../src/pipeline/report/renderReport.ts';
import { viewerTraces } from '../../src/pipeline/report/traceData.ts';
import { HOSTILE, ROW_CUES, SYNTHETIC_METHODS, syntheticEval } from './reportRows.ts';

const CHROMIUM = '/usr/bin/chromium';
const rows = syntheticEval();
const summary = summarizeEval(rows, {
  model: 'toy <model>',
  engine: 'test',
  datasets: ['toy'],
  methods: SYNTHETIC_METHODS,
  temperatures: [0.6, 1],
  seeds: [1],
  maxTokens: 100,
});
/** The non-dominated settings, by construction of the rows (lynx δ 0.2 is dominated by δ 0.1). */
const FRONTIER = ['lynx:delta=0.1', 'lynx:delta=0.3', 'deer'];
const question = (_dataset: string, id: string) => `What is question ${id}?`;
let html: string;
let file: string;

beforeAll(async () => {
  html = await renderReport(summary, rows, { question });
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

  it('has one plot per (slice, temperature); its frontier is exactly the non-dominated settings', () => {
    const figures = html.match(/<figure class="pareto"[\s\S]*?<\/figure>/g) ?? [];
    expect(figures).toHaveLength(2);
    for (const f of figures) {
      expect(f).toContain('data-points="4"'); // every setting but vanilla, which is a reference line
      const front = JSON.parse(/data-frontier="([^"]*)"/.exec(f)![1].replaceAll('&quot;', '"'));
      expect([...front].sort()).toEqual([...FRONTIER].sort());
    }
    const pareto = summary.groups.filter((g) => g.pareto && g.method !== 'vanilla').map((g) => g.label);
    expect(new Set(pareto)).toEqual(new Set(FRONTIER));
  });

  it('the y axis is fitted to the intervals drawn, not 0–1', async () => {
    const points: ParetoPoint[] = [0.72, 0.8, 0.9].map((a, i) => ({
      family: 'f',
      role: 'peer',
      label: `s${i}`,
      tokens: 100 - 10 * i,
      accuracy: a,
      lo: a - 0.03,
      hi: a + 0.03,
      pareto: true,
      chosen: false,
      saving: null,
    }));
    const vanilla = { accuracy: 0.85, tokens: 120 };
    const [lo, hi] = accuracyDomain(points, vanilla);
    expect(lo).toBeCloseTo(0.69 - 0.02, 9);
    expect(hi).toBeCloseTo(0.93 + 0.02, 9);
    // The rendered axis says the same (Vega writes the scale's extent into the axis label).
    const svg = await renderSvg(paretoSpec(points, vanilla, 't'));
    const axis = /aria-label="Y-axis[^"]*values from ([\d.]+) to ([\d.]+)"/.exec(svg);
    expect(axis).not.toBeNull();
    expect(Number(axis![1])).toBeGreaterThanOrEqual(0.66);
    expect(Number(axis![2])).toBeLessThanOrEqual(0.96);
    // No text marks on the plot itself: settings are named by the legend and tooltips.
    expect(svg).not.toMatch(/class="mark-text role-mark/);
  });

  it('leaves a setting far below vanilla (NoThinking at 3%) off the axis and names it', () => {
    const at = (accuracy: number, label: string): ParetoPoint => ({
      family: label,
      role: 'peer',
      label,
      tokens: 100,
      accuracy,
      lo: accuracy - 0.03,
      hi: accuracy + 0.03,
      pareto: true,
      chosen: false,
      saving: null,
    });
    const vanilla = { accuracy: 0.86, tokens: 320 };
    const points = [at(0.8, 'lynx'), at(0.6, 'position'), at(0.03, 'no-thinking')];
    expect(offAxisPoints(points, vanilla).map((p) => p.label)).toEqual(['no-thinking']);
    const [lo] = accuracyDomain(points, vanilla);
    expect(lo).toBeGreaterThan(0.5);
    expect(lo).toBeLessThan(0.57);
    // Without vanilla nothing is left out.
    expect(accuracyDomain(points, null)[0]).toBe(0);
  });

  it('viewer data: question, longest text, cue spans, stops; premature exits and disagreements flagged', () => {
    const traces = viewerTraces(rows, 100, question);
    expect(traces).toHaveLength(6);
    const t = traces[0];
    expect(t.question).toBe('What is question q0?');
    expect(t.text.endsWith(HOSTILE)).toBe(true);
    expect(t.cues.map((c) => c.position)).toEqual(ROW_CUES);
    expect(t.cues.map((c) => t.text.slice(c.start, c.end))).toEqual(['wait', 'hmm', 'Alternatively']);
    expect(t.cues.map((c) => c.label)).toEqual([true, true, true]);
    expect(t.cues.map((c) => c.p)).toEqual([0.3, 0.9, 0.9]);
    const lynx = t.stops.find((s) => s.label === 'lynx:delta=0.3')!;
    expect(t.text.slice(0, lynx.char)).toBe(' so the answer is 4');
    expect(viewerTraces(rows, 2)).toHaveLength(2);
    const flagged = (f: 'premature' | 'disagrees') =>
      traces.flatMap((x) =>
        x.stops.filter((s) => s[f]).map((s) => `${x.problemId}@${x.temperature}:${s.label}`),
      );
    expect(flagged('premature')).toEqual(['q1@0.6:lynx:delta=0.3', 'q1@1:lynx:delta=0.3']);
    expect(flagged('disagrees')).toEqual([
      'q1@0.6:lynx:delta=0.3',
      'q1@1:lynx:delta=0.3',
      ...['lynx:delta=0.1', 'lynx:delta=0.2', 'lynx:delta=0.3', 'deer'].map((l) => `q2@1:${l}`),
    ]);
  });

  it('in-sample choices say so; each family picks the fewest tokens within a point of vanilla', () => {
    expect(html).toContain('No tuning slice');
    const chosen = summary.choices.map((c) => `${c.temperature}:${c.family}=${c.label}`);
    // T 0.6: δ 0.3 loses q1 (2/3 < 3/3); T 1: vanilla is 2/3 too, so δ 0.3 (fewest tokens) keeps it.
    expect(chosen).toEqual([
      '0.6:lynx δ=lynx:delta=0.1',
      '0.6:deer=deer',
      '1:lynx δ=lynx:delta=0.3',
      '1:deer=deer',
    ]);
    expect(
      summary.choices.every((c) => c.inSample && c.chosenOn === 'test' && c.evaluatedOn === 'test'),
    ).toBe(true);
    expect(html).toContain('(in-sample)');
  });

  it('one set of names: the CLI table, the report table, the definitions and the README agree', () => {
    const header = formatSummaryTable(summary).split('\n')[0];
    for (const c of SUMMARY_COLUMNS) {
      expect(header).toContain(c.name);
      expect(html).toContain(`<th>${escapeHtml(c.name)}</th>`);
    }
    expect(summary.definitions).toEqual(METRIC_DEFINITIONS);
    for (const name of Object.keys(METRIC_DEFINITIONS))
      expect(html).toContain(`<li><b>${escapeHtml(name)}</b>`);
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toContain(definitionsMarkdown());
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
        frontier: [...f.querySelectorAll('g.frontier_marks path')].map(
          (p) => p.getAttribute('aria-label') ?? '',
        ),
        dominated: f.querySelectorAll('g.dominated_marks path').length,
        lines: f.querySelectorAll('g.frontierLine_marks path').length,
        vanillaRules: f.querySelectorAll('g.vanillaAccuracy_marks line, g.vanillaTokens_marks line').length,
        texts: f.querySelectorAll('g.mark-text.role-mark text').length,
        legend: [...f.querySelectorAll('g.role-legend-label text')].map((t) => t.textContent),
        width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
      })),
    );
    expect(plots).toHaveLength(2);
    for (const p of plots) {
      expect(p.svg).toBe(1);
      // Frontier points: exactly the non-dominated settings (named in each point's description).
      expect(p.frontier).toHaveLength(FRONTIER.length);
      for (const label of FRONTIER)
        expect(p.frontier.filter((a) => a.includes(`setting: ${label};`))).toHaveLength(1);
      expect(p.dominated).toBe(1);
      expect(p.lines).toBe(2); // one line per family: lynx δ and deer
      expect(p.vanillaRules).toBe(2);
      expect(p.texts).toBe(0);
      expect([...p.legend].sort()).toEqual(['deer', 'lynx δ']);
      expect(p.width).toBeGreaterThan(200);
    }
    const calibration = await page.$$eval('figure.calibration g.calibration_marks path', (ps) => ps.length);
    expect(calibration).toBe(6); // three LYNX levels × two temperatures

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
    expect(await page.textContent('#trace-view .question')).toBe('What is question q1?');

    // Filters: premature exits (q1 at both temperatures), answers unlike vanilla's (also q2 at T 1).
    const options = () => page.$$eval('#trace-select option', (os) => os.map((o) => o.textContent ?? ''));
    await page.selectOption('#trace-filter', 'premature');
    expect((await options()).map((o) => o.split(' · ')[2])).toEqual(['q1', 'q1']);
    expect(await page.$$eval('#trace-view tr.premature', (t) => t.length)).toBe(1);
    await page.selectOption('#trace-filter', 'disagree');
    expect((await options()).map((o) => o.split(' · ').slice(2, 4).join(' '))).toEqual([
      'q1 T=0.6',
      'q1 T=1',
      'q2 T=1',
    ]);
    expect(await page.textContent('#trace-count')).toBe('3 of 6 problem instances');
    await page.selectOption('#trace-filter', 'all');
    expect(await options()).toHaveLength(6);

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
