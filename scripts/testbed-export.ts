// Exports the testbed training checkpoint as a GGUF: `node bin/run-ts.mjs scripts/testbed-export.ts [CKPT] [OUT]`.
import { exportTestbedCheckpoint, TESTBED_DEFAULTS } from '../src/testbed/trainTestbed.ts';

const [ckpt = TESTBED_DEFAULTS.checkpoint, out = '.cache/testbed/checkpoint.gguf'] = process.argv.slice(2);
const step = await exportTestbedCheckpoint(ckpt, out, TESTBED_DEFAULTS);
console.log(`exported step ${step} of ${ckpt} to ${out}`);
