import type { TaskName } from './types.ts';

/**
 * Where a pinned checksum comes from. `upstream`: checked against the canonical file itself (for
 * MATH-500, the Git LFS pointer in openai/prm800k records this sha256 and size). `local-copy`: taken
 * from lynx-exit's reference copy of the file, believed but not proven byte-identical to upstream,
 * so a mismatch may mean upstream changed (then `--no-verify` skips the check; rows are still validated).
 */
export type ChecksumProvenance = 'upstream' | 'local-copy';

/** One file of a data set and where to get it. */
export interface SourceFile {
  /** File name inside `<dataDir>/<set>/`. */
  file: string;
  /** The split this file holds (see the task registry). */
  split: string;
  /** Canonical single-file download URL; absent when the file must be imported with `--from`. */
  url?: string;
  sha256: string;
  bytes: number;
  provenance: ChecksumProvenance;
}

/** A data set (named like its task) with its files, origin and license. */
export interface DataSource {
  set: TaskName;
  origin: string;
  license: string;
  files: SourceFile[];
  /** Why some files have no URL, or anything else a user must know. */
  note?: string;
}

const QWEN_MATH = 'https://raw.githubusercontent.com/QwenLM/Qwen2.5-Math/main/evaluation/data';

/** The canonical sources, with pinned checksums (from the reference copies in shared/data/SHA256SUMS). */
export const DATA_SOURCES: Readonly<Record<TaskName, DataSource>> = {
  gsm8k: {
    set: 'gsm8k',
    origin: 'openai/grade-school-math',
    license: 'MIT',
    files: [
      {
        file: 'test.jsonl',
        split: 'test',
        url: 'https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data/test.jsonl',
        sha256: '3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14',
        bytes: 749738,
        provenance: 'local-copy',
      },
      {
        file: 'train.jsonl',
        split: 'train',
        url: 'https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data/train.jsonl',
        sha256: '17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465',
        bytes: 4166206,
        provenance: 'local-copy',
      },
    ],
  },
  math500: {
    set: 'math500',
    origin: 'openai/prm800k (prm800k/math_splits/test.jsonl)',
    license: 'MIT',
    files: [
      {
        file: 'test.jsonl',
        split: 'test',
        // The file is stored in Git LFS: raw.githubusercontent.com would serve the pointer, not the data.
        url: 'https://media.githubusercontent.com/media/openai/prm800k/main/prm800k/math_splits/test.jsonl',
        sha256: '35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132',
        bytes: 446564,
        provenance: 'upstream',
      },
    ],
  },
  math_train: {
    set: 'math_train',
    origin: 'hendrycks MATH (train split, 7500 problems)',
    license: 'MIT',
    files: [
      {
        file: 'train.jsonl',
        split: 'train',
        sha256: 'cc823b762b7eecb7a003223603114d2efcb86e6c604bc50ebf77675ef9d96de8',
        bytes: 7005123,
        provenance: 'local-copy',
      },
    ],
    note:
      'MATH train is distributed by its authors as a tarball of per-problem JSON files, which lynx-exit does not ' +
      'unpack. Convert it to JSONL (one row per problem with problem, level, type, solution; unique_id and answer ' +
      'optional) and import it with `lynx-exit data pull math_train --from FILE` (add --no-verify unless it is ' +
      "byte-identical to lynx-exit's reference export).",
  },
  aime24: {
    set: 'aime24',
    origin: 'QwenLM/Qwen2.5-Math (evaluation/data/aime24)',
    license: 'problems (c) MAA',
    files: [
      {
        file: 'test.jsonl',
        split: 'test',
        url: `${QWEN_MATH}/aime24/test.jsonl`,
        sha256: 'af2b8bd2aa911b6333ad0df32f3ca05c7ae8ed10f1731f4372c8ae26990bf7ac',
        bytes: 156944,
        provenance: 'local-copy',
      },
    ],
  },
  aime25: {
    set: 'aime25',
    origin: 'inclusionAI/AReaL (evaluation/data/aime25)',
    license: 'problems (c) MAA',
    files: [
      {
        file: 'test.jsonl',
        split: 'test',
        url: 'https://raw.githubusercontent.com/inclusionAI/AReaL/main/evaluation/data/aime25/test.jsonl',
        sha256: 'b4e273c02d3e7fe1b74b59eae768fc8230bfb0f79539890cb56f4361caac0331',
        bytes: 15813,
        provenance: 'local-copy',
      },
    ],
  },
  amc23: {
    set: 'amc23',
    origin: 'QwenLM/Qwen2.5-Math (evaluation/data/amc23)',
    license: 'problems (c) MAA',
    files: [
      {
        file: 'test.jsonl',
        split: 'test',
        url: `${QWEN_MATH}/amc23/test.jsonl`,
        sha256: '43707e1ca784602d8479de24ee8ce36609dbebc46dd152b0b12a46611aa898a4',
        bytes: 27631,
        provenance: 'local-copy',
      },
    ],
  },
  commonsenseqa: {
    set: 'commonsenseqa',
    origin: 'CommonsenseQA official release (tau-nlp), dev split',
    license: 'MIT',
    files: [
      {
        file: 'dev_rand_split.jsonl',
        split: 'dev',
        // The official bucket's name is spelled "commensenseqa".
        url: 'https://s3.amazonaws.com/commensenseqa/dev_rand_split.jsonl',
        sha256: '3210497fdaae614ac085d9eb873dd7f4d49b6f965a93adadc803e1229fd8a02a',
        bytes: 471653,
        provenance: 'local-copy',
      },
      {
        file: 'validation_hf_format.jsonl',
        split: 'dev',
        sha256: '4c036e81eec3cb86477bc1b97c21c56aa17d92ab9f8537c855dc0cf724b05fe0',
        bytes: 369089,
        provenance: 'local-copy',
      },
    ],
    note:
      'validation_hf_format.jsonl (the Hugging Face tau/commonsense_qa layout) has no single-file source; ' +
      'import your own export with --from FILE --file validation_hf_format.jsonl. The official file is enough.',
  },
};
