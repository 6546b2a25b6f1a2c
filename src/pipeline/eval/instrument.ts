/**
 * Checks that an eval ran on a good instrument (issue 14): on the reported problems, the oracle
 * saves enough to be worth predicting; a model-blind position rule gets only part of that saving
 * at vanilla's accuracy (else position, not the model's state, explains early exit); the peers can
 * work (DEER and Dynasor each have a setting that exits early on enough runs; NoThinking answers in
 * the boxed format); and LYNX's margins over the best control and the best peer, as tuned.
 */
import { ensure } from '../../errors.ts';
import { percent } from '../format.ts';
import { DEV_SLICE } from './evalPlan.ts';
import type { GroupSummary } from './groupSummary.ts';
import type { EvalSummary } from './summary.ts';
import { isVanillaGroup, keepsAccuracy, type LynxMargin, type MethodRole, methodRole } from './tuning.ts';

/** Thresholds of the instrument check. */
export interface InstrumentCriteria {
  /** The oracle saves at least this share of vanilla's tokens (on `oracleDataset`). */
  minOracleSaving: number;
  oracleDataset: string;
  /** The best position rule within `accuracyTolerance` of vanilla saves at most this share of the oracle's saving. */
  maxPositionShare: number;
  accuracyTolerance: number;
  /** DEER and Dynasor: some setting exits early on at least this share of runs. */
  minPeerEarlyExits: number;
  /** NoThinking: at least this share of runs answer in a `\boxed{}`. */
  minBoxed: number;
}

/** The thresholds of issue 14's instrument check (testbed-arith is where the oracle must save). */
export const DEFAULT_INSTRUMENT: InstrumentCriteria = {
  minOracleSaving: 0.4,
  oracleDataset: 'testbed-arith',
  maxPositionShare: 0.7,
  accuracyTolerance: 0.01,
  minPeerEarlyExits: 0.3,
  minBoxed: 0.9,
};

/** The instrument's numbers on one (data set, temperature). */
export interface InstrumentRow {
  dataset: string;
  temperature: number;
  vanillaAccuracy: number;
  oracleSaving: number | null;
  /** The position setting that saves most within the tolerance, its saving and share of the oracle's. */
  position: { label: string; saving: number; shareOfOracle: number | null } | null;
  /** The most early exits any setting of the method has (null: the method was not run). */
  deerEarlyExits: number | null;
  dynasorEarlyExits: number | null;
  noThinkingBoxed: number | null;
  /**
   * Read off the reported slice's frontiers (not a tuned choice): each side's setting that saves most
   * within the tolerance of vanilla's accuracy, LYNX's against the best control's and the best peer's.
   */
  atVanillaAccuracy: {
    lynx: FrontierPick | null;
    control: FrontierPick | null;
    peer: FrontierPick | null;
  };
  /** LYNX's margin as tuned: chosen on dev, reported here (`summary.margins`). */
  margin: LynxMargin | null;
  checks: {
    oracle: boolean | null;
    position: boolean;
    deer: boolean | null;
    dynasor: boolean | null;
    noThinking: boolean | null;
  };
}

/** A setting picked off a frontier: its saving, tokens per run and accuracy change against vanilla. */
export interface FrontierPick {
  label: string;
  saving: number;
  tokens: number;
  accuracyDelta: number;
}

const maxOf = (xs: number[]) => (xs.length ? Math.max(...xs) : null);

/** The setting among `groups` that saves most while within `tolerance` of vanilla's accuracy. */
function bestWithin(groups: readonly GroupSummary[], tolerance: number): FrontierPick | null {
  const keep = groups.filter(
    (g) => g.savingsVsVanilla && keepsAccuracy(g.savingsVsVanilla.accuracyDelta, tolerance),
  );
  const best = keep.sort((a, b) => b.savingsVsVanilla!.tokens - a.savingsVsVanilla!.tokens)[0];
  return best
    ? {
        label: best.label,
        saving: best.savingsVsVanilla!.tokens,
        tokens: best.tokens.decoded,
        accuracyDelta: best.savingsVsVanilla!.accuracyDelta,
      }
    : null;
}

/** Runs the check over eval summaries (e.g. one per temperature). */
export function checkInstrument(
  summaries: readonly EvalSummary[],
  c: InstrumentCriteria = DEFAULT_INSTRUMENT,
): InstrumentRow[] {
  const groups = summaries.flatMap((s) => s.groups).filter((g) => g.slice !== DEV_SLICE);
  const margins = summaries.flatMap((s) => s.margins ?? []);
  const cells = new Map<string, GroupSummary[]>();
  for (const g of groups) {
    const key = JSON.stringify([g.dataset, g.temperature]);
    cells.set(key, [...(cells.get(key) ?? []), g]);
  }
  const rows: InstrumentRow[] = [];
  for (const cell of cells.values()) {
    const { dataset, temperature } = cell[0];
    const vanilla = cell.find(isVanillaGroup);
    ensure(
      vanilla,
      `no vanilla run on ${dataset} at T ${temperature}: the instrument is measured against it`,
    );
    const of = (method: string) => cell.filter((g) => g.method === method && g.savingsVsVanilla);
    const ofRole = (role: MethodRole) => cell.filter((g) => methodRole(g.method) === role);
    const oracleSaving = of('oracle')[0]?.savingsVsVanilla?.tokens ?? null;
    const best = bestWithin(of('position'), c.accuracyTolerance);
    const position = best
      ? {
          label: best.label,
          saving: best.saving,
          shareOfOracle: oracleSaving ? best.saving / oracleSaving : null,
        }
      : null;
    const early = (method: string) =>
      maxOf(cell.filter((g) => g.method === method).map((g) => g.exits.early));
    const deer = early('deer');
    const dynasor = early('dynasor');
    const boxed = maxOf(cell.filter((g) => g.method === 'no-thinking').map((g) => g.boxed));
    rows.push({
      dataset,
      temperature,
      vanillaAccuracy: vanilla.accuracy,
      oracleSaving,
      position,
      deerEarlyExits: deer,
      dynasorEarlyExits: dynasor,
      noThinkingBoxed: boxed,
      atVanillaAccuracy: {
        lynx: bestWithin(of('lynx'), c.accuracyTolerance),
        control: bestWithin(ofRole('control'), c.accuracyTolerance),
        peer: bestWithin(ofRole('peer'), c.accuracyTolerance),
      },
      margin: margins.find((m) => m.dataset === dataset && m.temperature === temperature) ?? null,
      checks: {
        oracle: dataset === c.oracleDataset ? (oracleSaving ?? 0) >= c.minOracleSaving : null,
        position: !position || (position.shareOfOracle ?? 0) <= c.maxPositionShare,
        deer: deer === null ? null : deer >= c.minPeerEarlyExits,
        dynasor: dynasor === null ? null : dynasor >= c.minPeerEarlyExits,
        noThinking: boxed === null ? null : boxed >= c.minBoxed,
      },
    });
  }
  return rows.sort((a, b) => a.dataset.localeCompare(b.dataset) || a.temperature - b.temperature);
}

/** True when every check that applies passed. */
export function instrumentPassed(rows: readonly InstrumentRow[]): boolean {
  return rows.every((r) => Object.values(r.checks).every((ok) => ok !== false));
}

/** A markdown table of the instrument check. */
export function formatInstrument(
  rows: readonly InstrumentRow[],
  c: InstrumentCriteria = DEFAULT_INSTRUMENT,
): string {
  const mark = (ok: boolean | null) => (ok === null ? '' : ok ? ' ✓' : ' ✗');
  const pct = (x: number | null | undefined) => percent(x, 'n/a');
  const rival = (m: LynxMargin['overControl']) =>
    m
      ? `${m.label}: ${m.tokens >= 0 ? '+' : ''}${m.tokens.toFixed(0)} tok, ${pct(m.shareOfOracle)} of oracle`
      : 'n/a';
  const lines = [
    `Instrument (reported slice; oracle ≥ ${percent(c.minOracleSaving, '')} on ${c.oracleDataset}, best position ≤ ${percent(c.maxPositionShare, '')} of the oracle within ${c.accuracyTolerance * 100} pt, DEER/Dynasor early exits ≥ ${percent(c.minPeerEarlyExits, '')}, NoThinking boxed ≥ ${percent(c.minBoxed, '')}):`,
    '',
    '| dataset | T | vanilla acc | oracle saves | best position (share of oracle) | DEER early | Dynasor early | NoThinking boxed | LYNX (tuned) | LYNX over best control | LYNX over best peer |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const frontier = [
    '',
    `At vanilla accuracy, read off the reported slice's frontiers (each side's setting saving most within ${c.accuracyTolerance * 100} pt of vanilla; not a tuned choice):`,
    '',
    '| dataset | T | LYNX | best control | best peer | LYNX over control | LYNX over peer |',
    '|---|---|---|---|---|---|---|',
  ];
  const pick = (p: FrontierPick | null) =>
    p
      ? `${p.label}: ${pct(p.saving)} (${p.accuracyDelta >= 0 ? '+' : ''}${(p.accuracyDelta * 100).toFixed(1)} pt)`
      : 'none';
  const over = (a: FrontierPick | null, b: FrontierPick | null, oracle: number | null) =>
    a && b
      ? `${((a.saving - b.saving) * 100).toFixed(1)} pt, ${(b.tokens - a.tokens).toFixed(0)} tok/run, ${oracle ? pct((a.saving - b.saving) / oracle) : 'n/a'} of oracle`
      : 'n/a';
  for (const r of rows) {
    const m = r.margin;
    lines.push(
      `| ${r.dataset} | ${r.temperature} | ${pct(r.vanillaAccuracy)} | ${pct(r.oracleSaving)}${mark(r.checks.oracle)} | ` +
        `${r.position ? `${r.position.label}: ${pct(r.position.saving)} (${pct(r.position.shareOfOracle)})` : 'none within tolerance'}${mark(r.checks.position)} | ` +
        `${pct(r.deerEarlyExits)}${mark(r.checks.deer)} | ${pct(r.dynasorEarlyExits)}${mark(r.checks.dynasor)} | ${pct(r.noThinkingBoxed)}${mark(r.checks.noThinking)} | ` +
        `${m ? `${m.lynx.label}: saves ${pct(m.lynx.saving)}, acc ${m.lynx.accuracyDelta >= 0 ? '+' : ''}${(m.lynx.accuracyDelta * 100).toFixed(1)} pt` : 'n/a'} | ` +
        `${rival(m?.overControl ?? null)} | ${rival(m?.overPeer ?? null)} |`,
    );
    const f = r.atVanillaAccuracy;
    frontier.push(
      `| ${r.dataset} | ${r.temperature} | ${pick(f.lynx)} | ${pick(f.control)} | ${pick(f.peer)} | ` +
        `${over(f.lynx, f.control, r.oracleSaving)} | ${over(f.lynx, f.peer, r.oracleSaving)} |`,
    );
  }
  return [...lines, ...frontier].join('\n');
}
