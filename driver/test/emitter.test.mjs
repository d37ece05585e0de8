// The driver's Emitter against node:events' EventEmitter: the same script of on/once/off/emit
// calls gives the same listener calls, return values and exceptions on both (so that code
// written for Sessions in Node runs unchanged on the web and Worker entries), and the Sessions
// of makeSessionsClass extends whichever the caller hands in.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { Emitter, makeSessionsClass } from 'session-core-driver';

/** Runs `script(emitter, log)` on a fresh emitter of each kind; returns both logs. */
function both(script) {
  const run = (E) => {
    const log = [];
    const e = new E();
    try {
      script(e, log);
    } catch (err) {
      log.push(['threw', err instanceof Error ? err.message : err]);
    }
    return log;
  };
  return { ours: run(Emitter), node: run(EventEmitter) };
}

function same(script) {
  const { ours, node } = both(script);
  assert.deepEqual(ours, node);
  return ours;
}

describe('Emitter behaves as node:events for what Sessions users call', () => {
  test('on, addListener, emit: listeners in order, with the arguments; emit says whether anyone listened', () => {
    const log = same((e, log) => {
      log.push(e.emit('created', 1));
      e.on('created', (a, b) => log.push(['first', a, b]));
      e.addListener('created', (a) => log.push(['second', a]));
      log.push(e.emit('created', 'x', 'y'));
      log.push(e.listenerCount('created'), e.listenerCount('nope'));
      log.push(e.eventNames());
    });
    assert.deepEqual(log, [false, ['first', 'x', 'y'], ['second', 'x'], true, 2, 0, ['created']]);
  });

  test('once fires once; off removes the most recent match, also by the function given to once', () => {
    const log = same((e, log) => {
      const f = (v) => log.push(['f', v]);
      const g = (v) => log.push(['g', v]);
      e.once('a', f);
      e.on('a', g);
      e.on('a', g);
      e.emit('a', 1);
      e.emit('a', 2);
      e.off('a', g);
      e.emit('a', 3);
      e.once('b', f);
      log.push(e.listeners('b').length === 1 && e.listeners('b')[0] === f);
      e.removeListener('b', f);
      log.push(e.emit('b', 4), e.listenerCount('b'));
      e.on('c', f).on('d', g);
      e.removeAllListeners('c');
      log.push(e.eventNames());
      e.removeAllListeners();
      log.push(e.eventNames(), e.emit('d', 5));
      // The most recent match goes: here the once, so f stays for good.
      e.on('e', f);
      e.once('e', f);
      e.off('e', f);
      e.emit('e', 6);
      e.emit('e', 7);
    });
    assert.deepEqual(log.slice(-2), [['f', 6], ['f', 7]]);
    assert.deepEqual(log.slice(0, 6), [['f', 1], ['g', 1], ['g', 1], ['g', 2], ['g', 2], ['g', 3]]);
  });

  test('listeners added or removed during an emit take effect on the next one', () => {
    const log = same((e, log) => {
      const late = () => log.push('late');
      const second = () => log.push('second');
      e.on('x', () => {
        log.push('first');
        e.on('x', late);
        e.off('x', second);
      });
      e.on('x', second);
      e.emit('x');
      e.emit('x');
    });
    assert.deepEqual(log, ['first', 'second', 'first', 'late']);
  });

  test("a throwing listener stops the emit and the exception reaches emit's caller", () => {
    const log = same((e, log) => {
      e.on('x', () => {
        throw new Error('listener bug');
      });
      e.on('x', () => log.push('not reached'));
      e.emit('x');
    });
    assert.deepEqual(log, [['threw', 'listener bug']]);
  });

  test("emit('error') without a listener throws the error; with one, the listener gets it", () => {
    same((e) => e.emit('error', new Error('boom')));
    const withListener = same((e, log) => {
      e.on('error', (err) => log.push(err.message));
      log.push(e.emit('error', new Error('boom')));
    });
    assert.deepEqual(withListener, ['boom', true]);
    // Not an Error: both throw an Error that shows the value.
    const { ours } = both((e) => e.emit('error', 'text'));
    assert.match(ours[0][1], /^Unhandled error\. \('text'\)$/);
  });

  test('a listener that is not a function is a TypeError', () => {
    for (const E of [Emitter, EventEmitter]) {
      for (const m of ['on', 'once', 'off']) assert.throws(() => new E()[m]('x', 'nope'), TypeError, `${E.name}#${m}`);
    }
  });

  test('the Emitter module imports nothing (no node: module)', async () => {
    const { readFileSync } = await import('node:fs');
    const src = readFileSync(new URL('../src/emitter.mjs', import.meta.url), 'utf8');
    assert.doesNotMatch(src, /^\s*import\b/m);
  });
});

describe('makeSessionsClass: the class Sessions extends', () => {
  // A backend whose classes are never called (no Sessions is constructed here).
  const backend = Object.fromEntries(['NativeSessions', 'NativeOp', 'NativeSweepPlan', 'NativeSweepTick'].map((n) => [n, class {}]));

  test("the driver's Emitter by default; node:events' EventEmitter when handed in", () => {
    const Plain = makeSessionsClass(backend);
    assert.equal(Object.getPrototypeOf(Plain), Emitter);
    const Node = makeSessionsClass(backend, { EventEmitter });
    assert.equal(Object.getPrototypeOf(Node), EventEmitter);
  });

  test('anything else is refused with a TypeError that says what is needed', () => {
    for (const bad of [42, class {}, { emit() {} }]) {
      assert.throws(() => makeSessionsClass(backend, { EventEmitter: bad }), {
        name: 'TypeError',
        message: 'options.EventEmitter must be an event emitter class (with emit and listenerCount)',
      });
    }
  });
});
