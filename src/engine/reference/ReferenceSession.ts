/**
 * A session of the reference engine: one `InferState` (KV cache) of the reference transformer in
 * `src/model`, decoded one token at a time. After each evaluation it keeps the next-token
 * distribution and the hidden state of every layer of the last token (a few hundred floats on the
 * models this engine is for), so `hidden` never re-evaluates and a mark restores both exactly.
 *
 * Layer indices of `hidden` (see `ReferenceEngine` for why): i in 0..layers−1 is the residual
 * stream after block i, before any norm (HF `hidden_states[i + 1]`, llama.cpp's `l_out-i`); −1 is
 * the output of the final RMSNorm (what feeds the output projection: llama.cpp's and SGLang's
 * hidden state).
 */
import { forwardToken, type InferState, type TokenOutput, truncate } from '../../model/infer.ts';
import { checkHiddenLayers, ownMark } from '../checks.ts';
import { type NextState, SteppedSession, type SteppedSessionHost } from '../SteppedSession.ts';
import { distributionFromLogits } from '../sampler.ts';
import type { Mark } from '../types.ts';

/** What a session needs from its engine. */
export interface ReferenceSessionHost extends SteppedSessionHost {
  /** Called once when the session closes: the state goes back to the engine's pool. */
  release(state: InferState): void;
}

/** The state after the last token, with every layer's hidden state. */
interface ReferenceState extends NextState {
  /** Blocks 0..layers−1, then the final norm: `(layers + 1) · dim` floats. */
  readonly hidden: Float32Array;
}

/** One growing sequence of the reference transformer; see `Session`. */
export class ReferenceSession extends SteppedSession<ReferenceState> {
  constructor(
    protected override readonly host: ReferenceSessionHost,
    private readonly state: InferState,
  ) {
    super(host);
    truncate(state, 0);
  }

  async hidden(layers: number[]): Promise<Float32Array[]> {
    const { hidden } = this.current();
    const cfg = this.state.model.config;
    checkHiddenLayers(this.host.info, layers);
    return layers.map((layer) => {
      const at = (layer === -1 ? cfg.layers : layer) * cfg.dim;
      return hidden.slice(at, at + cfg.dim);
    });
  }

  async rollback(mark: Mark): Promise<void> {
    this.ensureOpen();
    const own = ownMark<ReferenceState>(mark, this, this.length);
    // Cached keys and values past the mark are overwritten by whatever comes next.
    truncate(this.state, own.length);
    this.ids.length = own.length;
    this.next = own.state;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.next = null;
    this.host.release(this.state);
  }

  /** Runs the transformer one token at a time (no batched prefill: the models are tiny); keeps every layer. */
  protected async evaluate(tokens: readonly number[]): Promise<void> {
    const start = this.ids.length;
    let out: TokenOutput | undefined;
    try {
      for (const t of tokens) {
        out = forwardToken(this.state, t);
        this.ids.push(t);
      }
    } catch (err) {
      // All or nothing: the session stays at the state after `start`.
      this.ids.length = start;
      truncate(this.state, start);
      throw err;
    }
    if (!out) return;
    const { dim, layers } = this.state.model.config;
    const hidden = new Float32Array((layers + 1) * dim);
    out.hiddenPerLayer.forEach((h, l) => {
      hidden.set(h, l * dim);
    });
    hidden.set(out.finalHidden, layers * dim);
    this.next = { dist: distributionFromLogits(out.logits), hidden };
  }
}
