// Layer rules of docs/DESIGN.md, checked by `npm run lint:layers` (part of `npm test`): imports point
// down the layers, no cycles, and the pipeline never names a concrete engine.
const core = '^src/(cues|probe|conformal|answers|tasks|bundle|random|errors\\.ts)';
const above = (...layers) => `^src/(${layers.join('|')})/`;
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'pipeline-is-engine-agnostic',
      comment: 'pipelines take an Engine; only the CLI and the server load a concrete one',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/engine/(llamacpp|reference)/' },
    },
    {
      name: 'core-knows-no-engine-or-loop',
      comment: 'the engine contract (src/engine/types.ts: Engine, Session, ChatMessage) is shared vocabulary',
      severity: 'error',
      from: { path: core },
      to: { path: above('engine', 'reason', 'pipeline', 'cli', 'server', 'testing'), pathNot: '^src/engine/types\\.ts$' },
    },
    {
      name: 'reason-above-engines-below-pipelines',
      severity: 'error',
      from: { path: '^src/reason/' },
      to: { path: [above('pipeline', 'cli', 'server', 'testing'), '^src/engine/(llamacpp|reference)/'] },
    },
    {
      name: 'engines-know-no-lynx',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: above('reason', 'pipeline', 'cli', 'server', 'bundle', 'probe', 'conformal', 'testing') },
    },
    {
      name: 'model-formats-know-no-lynx',
      severity: 'error',
      from: { path: '^src/(gguf|model)/' },
      to: { path: above('reason', 'pipeline', 'cli', 'server', 'bundle', 'probe', 'conformal', 'engine', 'testing') },
    },
    {
      name: 'pipeline-below-cli-and-server',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: above('cli', 'server', 'testing') },
    },
    {
      name: 'server-below-cli',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: above('cli', 'testing') },
    },
    { name: 'src-never-imports-tests', severity: 'error', from: { path: '^src/' }, to: { path: '^(test|bench|scripts)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
