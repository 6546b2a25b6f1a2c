import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { EventsWriter, eventsPaths, type NewEvent, readEvents } from '../../src/pipeline/events.ts';
import { SeededRandom } from '../../src/random/SeededRandom.ts';
import { syntheticMeta, syntheticRollout, writeSyntheticStore } from './syntheticEvents.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'lynx-events-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function snapshot(prefix: string) {
  const p = eventsPaths(prefix);
  return { jsonl: readFileSync(p.jsonl), f32: readFileSync(p.f32) };
}

function event(rng: SeededRandom, problemId: string, cueIndex: number, dim: number): NewEvent {
  const features = Float32Array.from({ length: dim }, () => rng.normal());
  return {
    task: 't',
    problemId,
    rollout: 0,
    cueIndex,
    position: cueIndex * 3,
    cue: 'hmm',
    cueText: 'Hmm',
    synthetic: false,
    label: cueIndex % 2 === 0 ? 1 : 0,
    forcedAnswer: 'x}',
    forcedTokens: 2,
    forcedStoppedBy: 'max-tokens',
    usedTokens: cueIndex * 3 + 9,
    gold: 'x',
    rolloutTokens: 50,
    rolloutThinkingTokens: 40,
    features,
  };
}

describe('events store', () => {
  it('round-trips events, features (bit-exact), labels and rollouts, rollouts without events included', () => {
    const prefix = path.join(dir, 'rt');
    const rng = new SeededRandom(3);
    const dim = 5;
    const written: NewEvent[][] = [
      [event(rng, 'a', 0, dim), event(rng, 'a', 1, dim), event(rng, 'a', 2, dim)],
      [],
      [event(rng, 'c', 0, dim)],
    ];
    const w = EventsWriter.open(prefix, syntheticMeta(dim));
    written.forEach((evs, i) => {
      w.appendRollout(evs, { ...syntheticRollout(['a', 'b', 'c'][i], 0), task: 't' });
    });
    w.close();

    const d = readEvents(`${prefix}.jsonl`); // any of the store's files names it
    const flat = written.flat();
    expect(d.dim).toBe(dim);
    expect(d.events.map((e) => e.row)).toEqual([0, 1, 2, 3]);
    expect(d.rollouts.map((r) => [r.problemId, r.events])).toEqual([
      ['a', 3],
      ['b', 0],
      ['c', 1],
    ]);
    expect(Array.from(d.y)).toEqual(flat.map((e) => e.label));
    flat.forEach((e, i) => {
      const { features, ...fields } = e;
      expect(d.events[i]).toMatchObject(fields);
      expect(d.X.subarray(i * dim, (i + 1) * dim)).toEqual(features);
    });
    expect(d.incompleteBytes).toBe(0);
    expect(statSync(`${prefix}.f32`).size).toBe(4 * dim * 4);
    // Little-endian float32 on disk, row-major.
    expect(readFileSync(`${prefix}.f32`).readFloatLE(4 * (dim + 2))).toBe(flat[1].features[2]);

    const again = EventsWriter.open(prefix, syntheticMeta(dim));
    expect(again.has('t', 'a', 0)).toBe(true);
    expect(again.has('t', 'a', 1)).toBe(false);
    expect(again.rows).toBe(4);
    expect(() => again.appendRollout([], { ...syntheticRollout('b', 0), task: 't' })).toThrow(/already/);
    again.close();
  });

  it('recovers from a crash at any byte of the last rollout: truncates to the last done line, then continues', () => {
    const prefix = path.join(dir, 'crash');
    writeSyntheticStore({ prefix, first: 0, problems: 2, seed: 5 });
    const before = snapshot(prefix);
    writeSyntheticStore({ prefix, first: 2, problems: 1, seed: 6 }); // the rollout that will "crash"
    const full = snapshot(prefix);
    const paths = eventsPaths(prefix);
    const rowBytes = 8 * 4;
    const lastRows = (full.f32.length - before.f32.length) / rowBytes;
    expect(lastRows).toBeGreaterThan(0);
    // Crash points: the f32 rows partly written (jsonl untouched), then the jsonl chunk cut at every byte.
    const cuts: Array<{ f32: number; jsonl: number }> = [];
    for (let b = before.f32.length; b < full.f32.length; b += 7)
      cuts.push({ f32: b, jsonl: before.jsonl.length });
    // Every byte near a line end (where partial writes are most telling), and a stride elsewhere.
    for (let b = before.jsonl.length; b < full.jsonl.length; b++) {
      const nearNewline = [-2, -1, 0, 1, 2].some((d) => full.jsonl[b + d] === 0x0a);
      if (nearNewline || b % 17 === 0) cuts.push({ f32: full.f32.length, jsonl: b });
    }
    for (const cut of cuts) {
      writeFileSync(paths.jsonl, full.jsonl.subarray(0, cut.jsonl));
      writeFileSync(paths.f32, full.f32.subarray(0, cut.f32));
      const d = readEvents(prefix);
      expect(d.rollouts.length).toBe(2);
      expect(d.incompleteBytes).toBe(cut.jsonl - before.jsonl.length + cut.f32 - before.f32.length);
      const w = EventsWriter.open(prefix, syntheticMeta(8));
      expect(w.rollouts).toBe(2);
      w.close();
      const now = snapshot(prefix);
      expect(now.jsonl.equals(before.jsonl)).toBe(true);
      expect(now.f32.equals(before.f32)).toBe(true);
    }
    // Continuing after the last crash gives exactly the uninterrupted store.
    writeSyntheticStore({ prefix, first: 2, problems: 1, seed: 6 });
    const resumed = snapshot(prefix);
    expect(resumed.jsonl.equals(full.jsonl)).toBe(true);
    expect(resumed.f32.equals(full.f32)).toBe(true);
  });

  it('reports a feature file shorter than the done lines say, and damage in the middle, as UserErrors', () => {
    const prefix = path.join(dir, 'trunc');
    writeSyntheticStore({ prefix, first: 0, problems: 3, seed: 8 });
    const paths = eventsPaths(prefix);
    const full = snapshot(prefix);
    truncateSync(paths.f32, full.f32.length - 4);
    expect(() => readEvents(prefix)).toThrow(UserError);
    expect(() => readEvents(prefix)).toThrow(/truncated/);
    expect(() => EventsWriter.open(prefix, syntheticMeta(8))).toThrow(/truncated/);

    writeFileSync(paths.f32, full.f32);
    const lines = full.jsonl.toString('utf8').split('\n');
    lines[1] = lines[1].slice(0, 10); // a broken line with complete rollouts after it
    writeFileSync(paths.jsonl, lines.join('\n'));
    expect(() => readEvents(prefix)).toThrow(/damaged/);

    expect(() => readEvents(path.join(dir, 'nothing'))).toThrow(/does not exist/);
  });

  it('refuses to continue a store written with other settings, except ignored keys', () => {
    const prefix = path.join(dir, 'meta');
    const w = EventsWriter.open(prefix, syntheticMeta(4, { settings: { temperature: 0.6, limit: 10 } }));
    w.close();
    expect(() =>
      EventsWriter.open(prefix, syntheticMeta(4, { settings: { temperature: 0.7, limit: 10 } })),
    ).toThrow(/temperature 0.6 vs 0.7/);
    expect(() =>
      EventsWriter.open(prefix, syntheticMeta(6, { settings: { temperature: 0.6, limit: 10 } })),
    ).toThrow(/dim 4 vs 6/);
    const ok = EventsWriter.open(prefix, syntheticMeta(4, { settings: { temperature: 0.6, limit: 20 } }), {
      ignoreSettings: ['limit'],
    });
    ok.close();
    appendFileSync(`${prefix}.meta.json`, 'x');
    expect(() => readEvents(prefix)).toThrow(/not valid JSON/);
  });

  it('continues a store on the same model served by another engine, and refuses another model', () => {
    const prefix = path.join(dir, 'engines');
    const local = syntheticMeta(4);
    const fp = { ...local.model.fingerprint, weightsHash: 'sha256:aaaa' };
    EventsWriter.open(prefix, { ...local, model: { id: 'model.gguf', fingerprint: fp } }).close();
    // A remote engine names the model by its hub path and has no weights hash.
    const { weightsHash: _, ...remoteFp } = fp;
    EventsWriter.open(prefix, { ...local, model: { id: 'org/model', fingerprint: remoteFp } }).close();
    const otherWeights = { ...fp, weightsHash: 'sha256:bbbb' };
    expect(() =>
      EventsWriter.open(prefix, { ...local, model: { id: 'model.gguf', fingerprint: otherWeights } }),
    ).toThrow(/model model.gguf \(.*weights aaaa.*\) vs model.gguf \(.*weights bbbb/);
    const otherVocab = { ...remoteFp, vocabHash: 'sha256:cccc' };
    expect(() =>
      EventsWriter.open(prefix, { ...local, model: { id: 'org/model', fingerprint: otherVocab } }),
    ).toThrow(/vs org\/model/);
  });
});
