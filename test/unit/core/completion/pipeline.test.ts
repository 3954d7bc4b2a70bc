import * as assert from 'assert';
import type { InfillResult } from '../../../../src/core/backend/backend';
import { CompletionPipeline, generateWith, type GenerateRequest, type Generated } from '../../../../src/core/completion/pipeline';
import { AdaptiveDebounce, MAX_DEBOUNCE_MS, MIN_DEBOUNCE_MS } from '../../../../src/core/completion/schedule';
import type { CompletionContext, Suggestion } from '../../../../src/core/completion/types';

/**
 * The pipeline's ordering logic (cache, typed-through, in-flight reuse, aborts) against a scripted
 * generator whose timing the test controls; the real engine's healing is tested in healing.test.ts.
 */
class ScriptedBackend {
  readonly requests: GenerateRequest[] = [];
  private pending: { req: GenerateRequest; resolve: (g: Generated) => void; reject: (e: Error) => void }[] = [];

  readonly generate = (req: GenerateRequest): Promise<Generated> =>
    new Promise<Generated>((resolve, reject) => {
      this.requests.push(req);
      const entry = { req, resolve, reject };
      this.pending.push(entry);
      req.signal.addEventListener(
        'abort',
        () => {
          this.pending = this.pending.filter((p) => p !== entry);
          reject(new Error('aborted'));
        },
        { once: true },
      );
    });

  /** Streams `text` for the oldest pending request and finishes it. */
  finish(text: string, healedBytes = 0): void {
    const p = this.pending.shift()!;
    p.req.onText(text);
    p.resolve({ text, healedBytes });
  }

  stream(text: string): void {
    this.pending[0]!.req.onText(text);
  }
}

const ctx = (prefix: string, suffix = '\n'): CompletionContext => ({ prefix, suffix, prefixComplete: true });
const OPTIONS = { healing: 'classic' as const, tokenLevel: true, maxTokens: 32 };
const never = new AbortController().signal;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
function suggestion(o: { suggestion: Suggestion } | { skipped: string }): Suggestion {
  assert.ok('suggestion' in o, `skipped: ${'skipped' in o ? o.skipped : ''}`);
  return o.suggestion;
}

describe('core/completion/pipeline: cache, typed-through, in-flight reuse, cancellation', () => {
  it('a cursor inside a word: the model sees the suffix without the word’s rest, the suggestion stops before it', async () => {
    const b = new ScriptedBackend();
    const p = new CompletionPipeline(b.generate);
    const first = p.complete(ctx('value = get', 'Value(key)\n'), OPTIONS, never);
    await tick();
    assert.strictEqual(b.requests[0]!.context.suffix, '(key)\n');
    assert.strictEqual(b.requests[0]!.context.prefix, 'value = get');
    b.finish('UserValue(key)');
    assert.strictEqual(suggestion(await first).text, 'User');
    // exact healing is labelled as such
    const second = p.complete(ctx('y = '), { ...OPTIONS, healing: 'exact' }, never);
    await tick();
    b.finish('compute()', 2);
    assert.strictEqual(suggestion(await second).healing, 'exact');
  });

  it('prefetch: the suggestion after accepting the shown one is generated meanwhile and served from the cache', async () => {
    const b = new ScriptedBackend();
    const p = new CompletionPipeline(b.generate);
    const first = p.complete(ctx('x = '), OPTIONS, never);
    await tick();
    b.finish('foo(1)');
    const s = suggestion(await first);
    assert.strictEqual(p.prefetch(ctx('x = '), s.text, OPTIONS), true);
    await tick();
    assert.strictEqual(b.requests[1]!.context.prefix, 'x = foo(1)', 'the prefetch asks for the accepted state');
    // accepted while the prefetch still runs: the request waits for it
    const accepted = p.complete(ctx('x = foo(1)'), OPTIONS, never);
    await tick();
    b.finish(';');
    const next = suggestion(await accepted);
    assert.deepStrictEqual([next.text, next.source], [';', 'in-flight']);
    assert.strictEqual(b.requests.length, 2, 'no new generation');
    // done before the acceptance: served from the cache
    assert.strictEqual(p.prefetch(ctx('x = foo(1)'), ';', OPTIONS), true);
    await tick();
    b.finish(' // done');
    await tick();
    const later = suggestion(await p.complete(ctx('x = foo(1);'), OPTIONS, never));
    assert.deepStrictEqual([later.text, later.source], [' // done', 'cache']);
  });

  it('speculation: prompt lookup gets the last suggestion and the other files’ windows as sources', async () => {
    const b = new ScriptedBackend();
    const p = new CompletionPipeline(b.generate);
    const opts = { ...OPTIONS, speculate: true, lookupSources: ['def other(): pass'] };
    const first = p.complete(ctx('a = '), opts, never);
    await tick();
    assert.deepStrictEqual(b.requests[0]!.speculate, { lookupSources: ['def other(): pass'] });
    b.finish('compute()');
    await first;
    const second = p.complete(ctx('b = '), opts, never);
    await tick();
    assert.deepStrictEqual(b.requests[1]!.speculate, { lookupSources: ['compute()', 'def other(): pass'] });
    b.finish('x');
    await second;
    // without speculation nothing is sent
    const third = p.complete(ctx('c = '), OPTIONS, never);
    await tick();
    assert.strictEqual(b.requests[2]!.speculate, undefined);
    b.finish('y');
    await third;
  });

  it('prefetch: never pre-empts a running generation, and typing something else cancels it', async () => {
    const b = new ScriptedBackend();
    const p = new CompletionPipeline(b.generate);
    const running = p.complete(ctx('a'), OPTIONS, never);
    await tick();
    assert.strictEqual(p.prefetch(ctx('b'), 'c', OPTIONS), false, 'a generation runs: no prefetch');
    b.finish('bc');
    await running;
    assert.strictEqual(p.prefetch(ctx('a'), 'bc', OPTIONS), true);
    await tick();
    const prefetchSignal = b.requests[1]!.signal;
    const other = p.complete(ctx('az'), OPTIONS, never);
    await tick();
    assert.strictEqual(prefetchSignal.aborted, true, 'the keystroke aborted the prefetch');
    b.finish('zz');
    assert.strictEqual(suggestion(await other).text, 'zz');
  });

  it('a header (other files) goes before the prefix in the prompt, never into the suggestion’s judgement', async () => {
    const b = new ScriptedBackend();
    const seen: string[] = [];
    const p = new CompletionPipeline((r) => {
      seen.push(r.context.header ?? '');
      return b.generate(r);
    });
    const first = p.complete({ ...ctx('x = '), header: '// Compare this snippet from a.ts:\n// y\n' }, OPTIONS, never);
    await tick();
    b.finish('1');
    assert.strictEqual(suggestion(await first).text, '1');
    assert.deepStrictEqual(seen, ['// Compare this snippet from a.ts:\n// y\n']);
    // the backend adapter puts it before the prefix
    let prompted = '';
    const g = generateWith((req) => {
      prompted = req.prefix;
      const r: InfillResult = { text: 'z', stopReason: 'eos', totalMs: 1 };
      return Promise.resolve(r);
    });
    await g({ context: { ...ctx('x = '), header: '// h\n' }, healing: 'off', maxTokens: 4, signal: never, onText: () => undefined });
    assert.strictEqual(prompted, '// h\nx = ');
  });

  it('generates, post-processes and serves the same context from the cache', async () => {
    const b = new ScriptedBackend();
    const p = new CompletionPipeline(b.generate);
    const first = p.complete(ctx('x = '), OPTIONS, never);
    await tick();
    b.finish('compute(a)   <|endoftext|>junk', 3);
    const s = suggestion(await first);
    assert.deepStrictEqual([s.text, s.source, s.healing, s.healedBytes], ['compute(a)', 'generated', 'token', 3]);
    const again = suggestion(await p.complete(ctx('x = '), OPTIONS, never));
    assert.deepStrictEqual([again.text, again.source], ['compute(a)', 'cache']);
    assert.strictEqual(b.requests.length, 1);
  });

  it('typed-through: typing the start of a shown suggestion serves the rest without a request', async () => {
    const b = new ScriptedBackend();
    const p = new CompletionPipeline(b.generate);
    const first = p.complete(ctx('x = '), OPTIONS, never);
    await tick();
    b.finish('compute(a)');
    await first;
    const s = suggestion(await p.complete(ctx('x = comp'), OPTIONS, never));
    assert.deepStrictEqual([s.text, s.source], ['ute(a)', 'typed-through']);
    // typing something else is a new request
    const other = p.complete(ctx('x = z'), OPTIONS, never);
    await tick();
    assert.strictEqual(b.requests.length, 2);
    b.finish('ed');
    assert.strictEqual(suggestion(await other).text, 'ed');
  });

  it('in-flight reuse: a keystroke that matches the stream waits for the running generation', async () => {
    const b = new ScriptedBackend();
    const p = new CompletionPipeline(b.generate);
    const ac = new AbortController();
    const first = p.complete(ctx('print('), OPTIONS, ac.signal);
    const firstFails = assert.rejects(first);
    await tick();
    b.stream('"hel');
    // VS Code cancels the first request when the user types; the generation goes on
    ac.abort();
    await firstFails;
    const second = p.complete(ctx('print("h'), OPTIONS, never);
    await tick();
    assert.strictEqual(b.requests.length, 1, 'no new generation');
    b.finish('"hello")');
    const s = suggestion(await second);
    assert.deepStrictEqual([s.text, s.source], ['ello")', 'in-flight']);
  });

  it('a keystroke that contradicts the stream aborts the generation; its waiter never gets a stale result', async () => {
    const b = new ScriptedBackend();
    const p = new CompletionPipeline(b.generate);
    const first = p.complete(ctx('let a = '), OPTIONS, never);
    const firstFails = assert.rejects(first, /aborted/);
    await tick();
    b.stream('1');
    const second = p.complete(ctx('let a = 2'), OPTIONS, never);
    await tick();
    assert.strictEqual(b.requests.length, 2);
    assert.strictEqual(b.requests[0]!.signal.aborted, true);
    await firstFails;
    b.finish('0;');
    assert.strictEqual(suggestion(await second).text, '0;');
  });

  it('a reused generation that later contradicts the typing is aborted at once and replaced', async () => {
    const b = new ScriptedBackend();
    const p = new CompletionPipeline(b.generate);
    void p.complete(ctx('print('), OPTIONS, new AbortController().signal).catch(() => undefined);
    await tick();
    b.stream('"he');
    const second = p.complete(ctx('print("hex'), OPTIONS, never);
    await tick();
    assert.strictEqual(b.requests.length, 1, 'reused while the stream agrees');
    b.stream('l');
    await tick();
    assert.strictEqual(b.requests[0]!.signal.aborted, true, 'aborted as soon as it disagrees');
    assert.strictEqual(b.requests.length, 2, 'a fresh generation for the typed text');
    b.finish('ample")');
    const s = suggestion(await second);
    assert.deepStrictEqual([s.text, s.source], ['ample")', 'generated']);
  });

  it('a generation that has streamed nothing yet is not waited for', async () => {
    const b = new ScriptedBackend();
    const p = new CompletionPipeline(b.generate);
    void p.complete(ctx('x = '), OPTIONS, never).catch(() => undefined);
    await tick();
    const second = p.complete(ctx('x = 1'), OPTIONS, never);
    await tick();
    assert.strictEqual(b.requests.length, 2);
    assert.strictEqual(b.requests[0]!.signal.aborted, true);
    b.finish('2');
    assert.strictEqual(suggestion(await second).text, '2');
  });

  it('text-level healing (a backend without token control): drops the partial word, keeps only suggestions that re-type it', async () => {
    const b = new ScriptedBackend();
    const p = new CompletionPipeline(b.generate);
    const opts = { ...OPTIONS, tokenLevel: false };
    const first = p.complete(ctx('    pri'), opts, never);
    await tick();
    assert.strictEqual(b.requests[0]!.context.prefix, '    ', 'the partial word is not sent');
    assert.strictEqual(b.requests[0]!.healing, 'off');
    b.finish('print(x)');
    const s = suggestion(await first);
    assert.deepStrictEqual([s.text, s.healing], ['nt(x)', 'text']);
    const second = p.complete(ctx('    ret'), opts, never);
    await tick();
    b.finish('print(y)');
    assert.deepStrictEqual(await second, { skipped: 'dropped by dropEmpty' });
  });

  it('the adaptive debounce follows the typing rhythm within its bounds', () => {
    const d = new AdaptiveDebounce();
    assert.strictEqual(d.delay(), MIN_DEBOUNCE_MS);
    for (let t = 0; t <= 800; t += 100) d.keystroke(t);
    assert.strictEqual(d.delay(), 50);
    for (let t = 5000; t <= 5000 + 8 * 900; t += 900) d.keystroke(t);
    assert.strictEqual(d.delay(), MAX_DEBOUNCE_MS);
    for (let t = 20000; t <= 20000 + 8 * 10; t += 10) d.keystroke(t);
    assert.strictEqual(d.delay(), MIN_DEBOUNCE_MS);
  });
});
