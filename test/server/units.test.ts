/** Pure parts of the server: the bounded queue, stop strings and request validation. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/server/apiError.ts';
import { parseChatRequest } from '../../src/server/chatRequest.ts';
import { GenerationQueue, QueueAbortedError, QueueFullError } from '../../src/server/GenerationQueue.ts';
import { StopMatcher } from '../../src/server/ReplyAssembler.ts';

describe('GenerationQueue', () => {
  it('runs one holder at a time, in arrival order, and refuses beyond maxWaiting', async () => {
    const q = new GenerationQueue(2);
    const order: number[] = [];
    const r0 = await q.acquire();
    const p1 = q.acquire().then((r) => {
      order.push(1);
      return r;
    });
    const p2 = q.acquire().then((r) => {
      order.push(2);
      return r;
    });
    await expect(q.acquire()).rejects.toBeInstanceOf(QueueFullError);
    expect(q.waitingCount).toBe(2);
    r0();
    r0(); // a second release is a no-op
    const r1 = await p1;
    expect(order).toEqual([1]);
    expect(q.runningCount).toBe(1);
    r1();
    (await p2)();
    expect(order).toEqual([1, 2]);
    expect(q.runningCount).toBe(0);
  });

  it('a waiter whose signal fires leaves the line; close fails the rest', async () => {
    const q = new GenerationQueue(4);
    const r0 = await q.acquire();
    const ac = new AbortController();
    const gone = q.acquire(ac.signal);
    const stays = q.acquire();
    ac.abort();
    await expect(gone).rejects.toBeInstanceOf(QueueAbortedError);
    expect(q.waitingCount).toBe(1);
    q.close();
    await expect(stays).rejects.toBeInstanceOf(QueueAbortedError);
    await expect(q.acquire()).rejects.toBeInstanceOf(QueueAbortedError);
    r0();
    expect(q.runningCount).toBe(0);
  });
});

describe('StopMatcher', () => {
  it('cuts at the earliest stop string even when it arrives split over pushes', () => {
    const m = new StopMatcher(['END', 'xy']);
    let out = '';
    for (const piece of ['ab', 'cE', 'N', 'Dzz']) out += m.push(piece);
    expect(out).toBe('abc');
    expect(m.stopped).toBe(true);
    expect(m.push('more')).toBe('');
    expect(m.flush()).toBe('');
  });

  it('emits everything when no stop string appears (held-back tail on flush)', () => {
    const m = new StopMatcher(['END']);
    let out = '';
    for (const piece of ['hello E', 'N', 'd']) out += m.push(piece);
    out += m.flush();
    expect(out).toBe('hello ENd');
    expect(m.stopped).toBe(false);
  });
});

describe('parseChatRequest', () => {
  const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
  it('normalizes content parts, the developer role, stop and max_completion_tokens', () => {
    const r = parseChatRequest(
      {
        ...base,
        messages: [
          { role: 'developer', content: 'be brief' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
          },
        ],
        stop: 'X',
        max_tokens: 5,
        max_completion_tokens: 7,
        lynx: { alpha: 0.2, epsilon: 0.05 },
        user: 'ignored',
      },
      100,
    );
    expect(r.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'ab' },
    ]);
    expect(r.stop).toEqual(['X']);
    expect(r.maxTokens).toBe(7);
    expect(r.exit).toEqual({ kind: 'alpha', alpha: 0.2, epsilon: 0.05 });
  });

  it('names the offending parameter', () => {
    const err = (() => {
      try {
        parseChatRequest({ ...base, messages: [{ role: 'user', content: 'x' }, { role: 'user' }] }, 100);
      } catch (e) {
        return e;
      }
    })() as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.param).toBe('messages[1].content');
  });
});
