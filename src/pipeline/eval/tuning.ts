/**
 * The fair tuning protocol over summary groups:
 * - frontier: per (data set, slice, temperature, family), the settings no other setting of the
 *   family beats on both tokens and accuracy (the line a plot draws);
 * - choice: per family, on the tuning slice, the setting with the fewest tokens whose accuracy is
 *   within `tolerance` of vanilla's there (else the most accurate), reported on the other slice;
 * - margin: LYNX's chosen family against the best control and the best peer (each picked on the
 *   tuning slice by the same rule), in tokens and as a share of the oracle's saving.
 * Nothing is picked on the slice a number is reported on, unless the eval had no tuning slice; then
 * the choices are in-sample and say so.
 */
import type { GroupSummary } from './groupSummary.ts';

/** Accuracy a setting may lose against vanilla and still count as keeping it (1 point). */
export const DEFAULT_TOLERANCE = 0.01;

/** What a method is in the comparison. */
export type MethodRole = 'lynx' | 'control' | 'peer' | 'reference';

const ROLES: Record<string, MethodRole> = {
  lynx: 'lynx',
  position: 'control',
  'fixed-budget': 'control',
  deer: 'peer',
  dynasor: 'peer',
  entropy: 'peer',
  'no-thinking': 'peer',
  vanilla: 'reference',
  oracle: 'reference',
};

/** The role of a method name (LYNX, a model-blind control, a peer, or a reference: vanilla and the oracle). */
export function methodRole(method: string): MethodRole {
  return ROLES[method] ?? 'peer';
}

/** True for plain vanilla (no options), the reference of every saving. */
export function isVanillaGroup(g: Pick<GroupSummary, 'method' | 'options'>): boolean {
  return g.method === 'vanilla' && Object.keys(g.options).length === 0;
}

/** True when `a` is at least as good as `b` on tokens and accuracy and better on one. */
function dominates(a: GroupSummary, b: GroupSummary): boolean {
  const fewer = a.tokens.decoded <= b.tokens.decoded;
  const better = a.accuracy >= b.accuracy;
  return fewer && better && (a.tokens.decoded < b.tokens.decoded || a.accuracy > b.accuracy);
}

function cellKey(g: GroupSummary, withSlice = true): string {
  return JSON.stringify([g.dataset, withSlice ? g.slice : null, g.temperature]);
}

/** Labels of the non-dominated settings of each family within each (data set, slice, temperature). */
export function paretoLabels(groups: readonly GroupSummary[]): Set<string> {
  const out = new Set<string>();
  for (const g of groups) {
    const rivals = groups.filter((h) => h.family === g.family && cellKey(h) === cellKey(g));
    if (!rivals.some((h) => dominates(h, g))) out.add(JSON.stringify([cellKey(g), g.label]));
  }
  return out;
}

/** Marks `pareto` on every group (see `paretoLabels`). */
export function markPareto(groups: GroupSummary[]): void {
  const front = paretoLabels(groups);
  for (const g of groups) g.pareto = front.has(JSON.stringify([cellKey(g), g.label]));
}

/** A setting's numbers on one slice. */
export interface SettingResult {
  label: string;
  slice: string;
  n: number;
  accuracy: number;
  ci95: [number, number];
  /** Mean tokens decoded per run, and vanilla's on the same slice. */
  tokens: number;
  vanillaTokens: number;
  vanillaAccuracy: number;
  /** Paired with vanilla: 1 − Σ tokens / Σ vanilla tokens, and accuracy − vanilla accuracy. */
  saving: number | null;
  accuracyDelta: number;
}

/** One family's choice. */
export interface FamilyChoice {
  dataset: string;
  temperature: number;
  family: string;
  role: MethodRole;
  /** The slice the setting was picked on and the one it is reported on (equal: in-sample). */
  chosenOn: string;
  evaluatedOn: string;
  inSample: boolean;
  /** True when the pick kept vanilla's accuracy within the tolerance on `chosenOn`. */
  withinTolerance: boolean;
  label: string;
  /** Settings of the family compared. */
  settings: number;
  onChosen: SettingResult;
  /** The chosen setting on `evaluatedOn` (null when it has no runs there). */
  evaluated: SettingResult | null;
}

/** LYNX against one rival family, both chosen on the tuning slice and reported on the other. */
export interface MarginVs {
  family: string;
  label: string;
  saving: number | null;
  accuracyDelta: number;
  /** Rival's mean tokens − LYNX's, per run. */
  tokens: number;
  /** LYNX's saving − the rival's, in points of vanilla's tokens. */
  savingPoints: number | null;
  /** That difference as a share of the oracle's saving (null without an oracle saving). */
  shareOfOracle: number | null;
}

/** LYNX's margin in one (data set, temperature). */
export interface LynxMargin {
  dataset: string;
  temperature: number;
  chosenOn: string;
  evaluatedOn: string;
  inSample: boolean;
  lynx: { family: string; label: string; saving: number | null; accuracyDelta: number; tokens: number };
  oracleSaving: number | null;
  overControl: MarginVs | null;
  overPeer: MarginVs | null;
}

/** Accuracy − vanilla's: paired over the runs both have where there are such pairs, else unpaired. */
function accuracyDelta(g: GroupSummary, vanilla: GroupSummary): number {
  return g.savingsVsVanilla?.accuracyDelta ?? g.accuracy - vanilla.accuracy;
}

function result(g: GroupSummary, vanilla: GroupSummary): SettingResult {
  return {
    label: g.label,
    slice: g.slice,
    n: g.n,
    accuracy: g.accuracy,
    ci95: g.ci95,
    tokens: g.tokens.decoded,
    vanillaTokens: vanilla.tokens.decoded,
    vanillaAccuracy: vanilla.accuracy,
    saving: g.savingsVsVanilla?.tokens ?? null,
    accuracyDelta: accuracyDelta(g, vanilla),
  };
}

/**
 * Whether an accuracy change against vanilla is within `tolerance`, with a hair of slack so that
 * "within 1 point" holds at exactly 1 point despite float sums.
 */
export function keepsAccuracy(accuracyDelta: number, tolerance: number): boolean {
  return accuracyDelta >= -tolerance - 1e-9;
}

/**
 * The selection rule over one family's settings on one slice: the fewest tokens among those within
 * `tolerance` of vanilla's accuracy (paired), else the most accurate; ties go to the other metric.
 */
export function pickSetting(
  settings: readonly GroupSummary[],
  vanilla: GroupSummary,
  tolerance: number,
): { group: GroupSummary; withinTolerance: boolean } {
  const keeps = settings.filter((g) => keepsAccuracy(accuracyDelta(g, vanilla), tolerance));
  if (keeps.length > 0) {
    const best = [...keeps].sort((a, b) => a.tokens.decoded - b.tokens.decoded || b.accuracy - a.accuracy)[0];
    return { group: best, withinTolerance: true };
  }
  const best = [...settings].sort(
    (a, b) => b.accuracy - a.accuracy || a.tokens.decoded - b.tokens.decoded,
  )[0];
  return { group: best, withinTolerance: false };
}

/** How choices are made: the tuning slice (null: in-sample on each reported slice) and the tolerance. */
export interface TuningSetup {
  on: string | null;
  reportedOn: string[];
  tolerance: number;
}

/** Every family's choice, per data set, temperature and reported slice. */
export function chooseSettings(groups: readonly GroupSummary[], setup: TuningSetup): FamilyChoice[] {
  const out: FamilyChoice[] = [];
  const find = (dataset: string, slice: string, t: number) =>
    groups.filter((g) => g.dataset === dataset && g.slice === slice && g.temperature === t);
  const cells = new Map<string, GroupSummary>();
  for (const g of groups) if (setup.reportedOn.includes(g.slice)) cells.set(cellKey(g), g);
  for (const cell of cells.values()) {
    const chosenOn = setup.on ?? cell.slice;
    const pool = find(cell.dataset, chosenOn, cell.temperature);
    const evalPool = find(cell.dataset, cell.slice, cell.temperature);
    const vanilla = pool.find(isVanillaGroup);
    const evalVanilla = evalPool.find(isVanillaGroup);
    if (!vanilla) continue;
    const families = [...new Set(pool.map((g) => g.family))];
    for (const family of families) {
      const settings = pool.filter((g) => g.family === family);
      const role = methodRole(settings[0].method);
      if (role === 'reference') continue;
      const { group, withinTolerance } = pickSetting(settings, vanilla, setup.tolerance);
      const there = evalPool.find((g) => g.label === group.label);
      out.push({
        dataset: cell.dataset,
        temperature: cell.temperature,
        family,
        role,
        chosenOn,
        evaluatedOn: cell.slice,
        inSample: chosenOn === cell.slice,
        withinTolerance,
        label: group.label,
        settings: settings.length,
        onChosen: result(group, vanilla),
        evaluated: there && evalVanilla ? result(there, evalVanilla) : null,
      });
    }
  }
  return out;
}

/** A role's representative: among its families' choices, the one the rule prefers on the tuning slice. */
function representative(choices: readonly FamilyChoice[]): FamilyChoice | undefined {
  const keep = choices.filter((c) => c.withinTolerance);
  const pool = keep.length > 0 ? keep : choices;
  return [...pool].sort((a, b) =>
    keep.length > 0
      ? a.onChosen.tokens - b.onChosen.tokens
      : b.onChosen.accuracy - a.onChosen.accuracy || a.onChosen.tokens - b.onChosen.tokens,
  )[0];
}

/** LYNX's margins over the best control and the best peer, per data set, temperature and reported slice. */
export function lynxMargins(groups: readonly GroupSummary[], choices: readonly FamilyChoice[]): LynxMargin[] {
  const out: LynxMargin[] = [];
  const cells = new Map<string, FamilyChoice[]>();
  for (const c of choices) {
    const k = JSON.stringify([c.dataset, c.evaluatedOn, c.temperature]);
    cells.set(k, [...(cells.get(k) ?? []), c]);
  }
  for (const cell of cells.values()) {
    const pick = (role: MethodRole) => representative(cell.filter((c) => c.role === role && c.evaluated));
    const lynx = pick('lynx');
    if (!lynx?.evaluated) continue;
    const { dataset, temperature, evaluatedOn } = lynx;
    const oracle = groups.find(
      (g) =>
        g.method === 'oracle' &&
        g.dataset === dataset &&
        g.slice === evaluatedOn &&
        g.temperature === temperature,
    );
    const oracleSaving = oracle?.savingsVsVanilla?.tokens ?? null;
    const l = lynx.evaluated;
    const versus = (rival: FamilyChoice | undefined): MarginVs | null => {
      const r = rival?.evaluated;
      if (!rival || !r) return null;
      const points = l.saving !== null && r.saving !== null ? l.saving - r.saving : null;
      return {
        family: rival.family,
        label: rival.label,
        saving: r.saving,
        accuracyDelta: r.accuracyDelta,
        tokens: r.tokens - l.tokens,
        savingPoints: points,
        shareOfOracle:
          points !== null && oracleSaving !== null && oracleSaving > 0 ? points / oracleSaving : null,
      };
    };
    out.push({
      dataset,
      temperature,
      chosenOn: lynx.chosenOn,
      evaluatedOn,
      inSample: lynx.inSample,
      lynx: {
        family: lynx.family,
        label: lynx.label,
        saving: l.saving,
        accuracyDelta: l.accuracyDelta,
        tokens: l.tokens,
      },
      oracleSaving,
      overControl: versus(pick('control')),
      overPeer: versus(pick('peer')),
    });
  }
  return out;
}
