import { ComputeEngine } from '@cortex-js/compute-engine';
import { SeededRandom } from '../random/SeededRandom.ts';
import { numbersClose } from './numbers.ts';

type Expr = NonNullable<ReturnType<ComputeEngine['parse']>>;

let engine: ComputeEngine | null = null;

/** The shared ComputeEngine, built on first use (construction takes ~150 ms). */
function computeEngine(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

/** Longest LaTeX handed to the engine; longer answers are compared as strings only. */
const MAX_LATEX = 300;

/**
 * Inputs the engine may spend seconds or unbounded time on (a 5-digit factorial took 13 s, big
 * sums loop over their range): those answers are compared without it.
 */
function tooCostly(latex: string): boolean {
  return (
    latex.length > MAX_LATEX ||
    /\\(?:sum|prod|int|iint|oint|lim|binom|choose)(?![a-zA-Z])/.test(latex) ||
    /\d{3,}\s*!|\}\s*!|\)\s*!/.test(latex) ||
    /\^\s*\{?\s*\d{4,}/.test(latex) ||
    (latex.match(/\^/g)?.length ?? 0) > 6
  );
}

/**
 * A test value in ±[0.3, 2.7], both signs so that `x` and `|x|` differ, away from 0 and ±1 where
 * many different expressions coincide; rounded so that the engine sees short decimals.
 */
function randomPoint(rng: SeededRandom): number {
  const magnitude = 0.3 + 2.4 * rng.next();
  return (rng.next() < 0.5 ? -1 : 1) * (Math.round(magnitude * 1e6) / 1e6);
}

/** A value of an expression at one point: real and imaginary part. */
interface Complexish {
  re: number;
  im: number;
}

function pointValue(expr: Expr): Complexish | null {
  const n = expr.N();
  const re = Number(n.re);
  const im = Number(n.im ?? 0);
  if (!Number.isFinite(re) || !Number.isFinite(im)) return null;
  return { re, im };
}

function valuesClose(a: Complexish, b: Complexish): boolean {
  return numbersClose(a.re, b.re, 1e-8) && numbersClose(a.im, b.im, 1e-8);
}

/**
 * Compares two normalized LaTeX answers with the Compute Engine: true/false when it decides, else
 * a numeric check (the free variables set to the same random points on both sides). Undefined when
 * neither side can be parsed or evaluated. Every comparison runs in its own scope so that symbols
 * declared by one answer (`f(x)` makes `f` a function) cannot change how the next one parses.
 */
export function symbolicEquivalent(a: string, b: string): boolean | undefined {
  return compareParsed(a, b, (ea, eb) => {
    const decided = ea.isEqual(eb);
    return decided !== undefined ? decided : numericallyEqual(ea, eb);
  });
}

/**
 * Parses both answers in a fresh scope and compares them with `compare`; undefined when either is
 * too costly, unparsable or invalid, or the comparison throws.
 */
function compareParsed(
  a: string,
  b: string,
  compare: (ea: Expr, eb: Expr) => boolean | undefined,
): boolean | undefined {
  if (tooCostly(a) || tooCostly(b)) return undefined;
  const ce = computeEngine();
  ce.pushScope();
  try {
    const ea = ce.parse(a);
    const eb = ce.parse(b);
    if (!ea || !eb || !ea.isValid || !eb.isValid) return undefined;
    return compare(ea, eb);
  } catch {
    return undefined;
  } finally {
    ce.popScope();
  }
}

/** Evaluates both sides at the same random points; undefined if too few points give finite values. */
function numericallyEqual(ea: Expr, eb: Expr): boolean | undefined {
  const names = [...new Set([...ea.unknowns, ...eb.unknowns])].sort();
  if (names.length > 6) return undefined;
  const rng = new SeededRandom(0x5eed);
  let agreeing = 0;
  for (let trial = 0; trial < 12 && agreeing < 5; trial++) {
    const point: Record<string, number> = {};
    for (const name of names) point[name] = randomPoint(rng);
    const va = pointValue(ea.subs(point));
    const vb = pointValue(eb.subs(point));
    if (va === null || vb === null) continue;
    if (!valuesClose(va, vb)) return false;
    agreeing++;
  }
  return agreeing >= 3 ? true : undefined;
}

/**
 * Whether two expressions are non-zero constant multiples of each other (the two sides of
 * `5x-7y=0` and `10x-14y=0` moved to one side), checked at random points. Undefined if undecidable.
 */
export function proportional(a: string, b: string): boolean | undefined {
  return compareParsed(a, b, (ea, eb) => {
    const names = [...new Set([...ea.unknowns, ...eb.unknowns])].sort();
    if (names.length === 0 || names.length > 6) return undefined;
    const rng = new SeededRandom(0xface);
    let ratio: number | null = null;
    let agreeing = 0;
    for (let trial = 0; trial < 12 && agreeing < 5; trial++) {
      const point: Record<string, number> = {};
      for (const name of names) point[name] = randomPoint(rng);
      const va = pointValue(ea.subs(point));
      const vb = pointValue(eb.subs(point));
      if (va === null || vb === null || va.im !== 0 || vb.im !== 0 || Math.abs(vb.re) < 1e-9) continue;
      const r = va.re / vb.re;
      if (ratio === null) ratio = r;
      else if (!numbersClose(r, ratio, 1e-8)) return false;
      agreeing++;
    }
    return agreeing >= 3 && ratio !== 0 ? true : undefined;
  });
}
