/**
 * `lynx-exit serve --model FILE.gguf [--bundle B.lynx.json]`: an OpenAI-compatible HTTP server
 * whose chat completions exit thinking early with LYNX (when a bundle is given). Runs until
 * SIGINT / SIGTERM, then shuts down gracefully.
 */
import type { Command } from 'commander';
import type { Bundle } from '../../bundle/Bundle.ts';
import { UserError } from '../../errors.ts';
import { loadBundleFor } from '../../pipeline/fingerprint.ts';
import { DEFAULT_SAMPLE } from '../../reason/sampling.ts';
import { ChatService } from '../../server/ChatService.ts';
import { createServer } from '../../server/server.ts';
import { engineWhere, openEngine } from '../openEngine.ts';
import {
  addEngineOptions,
  type EngineCommandOptions,
  lynxLevelFromFlags,
  lynxLevelOptions,
  modelOption,
  numberOption,
  topPOption,
} from '../options.ts';

/** Parsed options of `serve`. */
export interface ServeOptions extends EngineCommandOptions {
  model: string;
  bundle?: string;
  delta?: number;
  alpha?: number;
  epsilon?: number;
  host: string;
  port: number;
  apiKey?: string;
  maxQueue: number;
  parallel: number;
  timeout: number;
  modelName?: string;
  temperature: number;
  topP: number;
  shutdownTimeout: number;
}

/** A started server: its URL and how to stop it (graceful, then the engine is freed). */
export interface RunningServe {
  url: string;
  stop(): Promise<void>;
}

/** Loads the model (and bundle), starts listening and reports to `log`. */
export async function startServe(o: ServeOptions, log: (line: string) => void): Promise<RunningServe> {
  const level = lynxLevelFromFlags(o);
  if (!o.bundle && (o.delta !== undefined || o.alpha !== undefined))
    throw new UserError('--delta / --alpha need a LYNX bundle (--bundle B.lynx.json)');
  const engine = await openEngine(o);
  try {
    try {
      engine.formatChat([{ role: 'user', content: '' }]);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      throw new UserError(
        `${o.model} has no chat template lynx-exit recognises; pass --chat-format (chatml-think, deepseek-r1, qwen3-thinking)`,
      );
    }
    let bundle: Bundle | undefined;
    if (o.bundle) bundle = await loadBundleFor(o.bundle, engine);
    const service = new ChatService({
      engine,
      modelName: o.modelName,
      bundle,
      defaultLevel: bundle ? level : undefined,
      maxQueue: o.maxQueue,
      temperature: o.temperature,
      topP: o.topP,
    });
    const server = createServer({
      service,
      apiKey: o.apiKey ?? process.env.LYNX_API_KEY,
      log,
      requestTimeoutMs: o.timeout * 1000,
    });
    const url = await server.listen({ host: o.host, port: o.port });
    log(
      `[serve] model ${service.modelName} (${engine.info.architecture}, context ${engine.info.contextSize}, ${engineWhere(engine)})`,
    );
    log(
      bundle
        ? `[serve] LYNX early exit ON by default at ${'delta' in level ? `delta ${level.delta}` : `alpha ${level.alpha}`} (bundle ${o.bundle}); requests may send "lynx": false or {"delta": x}`
        : '[serve] no --bundle: early exit is OFF (plain reasoning)',
    );
    if (o.apiKey ?? process.env.LYNX_API_KEY) log('[serve] API key required (Authorization: Bearer ...)');
    log(`[serve] listening on ${url}/v1 (${o.parallel} requests at once, ${o.maxQueue} more may wait)`);
    return {
      url,
      async stop() {
        await server.close({ timeoutMs: o.shutdownTimeout * 1000 });
        await engine.dispose();
      },
    };
  } catch (e) {
    await engine.dispose();
    throw e;
  }
}

/** Registers `serve`. */
export function register(program: Command): void {
  const [delta, alpha, epsilon] = lynxLevelOptions('default ');
  addEngineOptions(
    program
      .command('serve')
      .description('OpenAI-compatible HTTP server (POST /v1/chat/completions) with LYNX early exit')
      .addOption(modelOption())
      .option('-b, --bundle <file>', 'LYNX bundle (*.lynx.json) for this model; without it exit is off')
      .addOption(delta)
      .addOption(alpha)
      .addOption(epsilon)
      .option('--host <host>', 'address to bind', '127.0.0.1')
      .option(
        '-p, --port <n>',
        'port (0: any free port)',
        numberOption('port', { integer: true, min: 0, max: 65535 }),
        8080,
      )
      .option('--api-key <key>', 'require Authorization: Bearer KEY (default: $LYNX_API_KEY if set)')
      .option(
        '--max-queue <n>',
        'requests allowed to wait for a slot; more get 429 with Retry-After',
        numberOption('max-queue', { integer: true, min: 0 }),
        16,
      )
      .option(
        '--timeout <s>',
        'seconds a request may run before it is cancelled (504)',
        numberOption('timeout', { min: 0, open: true }),
        600,
      )
      .option(
        '--model-name <name>',
        'model id clients pass as "model" (default: the file name; with --engine sglang: the served model path)',
      )
      .option(
        '-t, --temperature <t>',
        'default sampling temperature',
        numberOption('temperature', { min: 0, max: 2 }),
        DEFAULT_SAMPLE.temperature,
      )
      .addOption(topPOption('default nucleus mass'))
      .option(
        '--shutdown-timeout <s>',
        'seconds a running request may take to finish on SIGINT/SIGTERM',
        numberOption('shutdown-timeout', { min: 0 }),
        10,
      ),
    { default: 4, what: 'requests' },
  ).action(async (opts: ServeOptions) => {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const running = await startServe(opts, log);
    process.stdout.write(`${running.url}/v1\n`);
    await new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        log(
          `[serve] ${signal}: finishing the running request (up to ${opts.shutdownTimeout} s), then exiting`,
        );
        running.stop().then(resolve, (e) => {
          log(`[serve] shutdown error: ${(e as Error).message}`);
          resolve();
        });
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
  });
}
