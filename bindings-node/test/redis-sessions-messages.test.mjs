// Every error of session-core/redis-sessions for input that redis-sessions 4.0.0 refuses, or that
// node-redis refuses for it: the message is one of the strings in the installed packages'
// source (read here, never copied by hand), and the error object is the one redis-sessions
// itself rejects with for the same input (class, name, message, own properties, first line of
// the stack), run side by side on real redis-servers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checks, describeOutcome, Pair } from './redis-sessions-pair.mjs';

const require = createRequire(import.meta.url);
const rsMain = require.resolve('redis-sessions');
const source = readFileSync(rsMain, 'utf8');
// node-redis, as redis-sessions resolves it.
const fromRs = createRequire(rsMain);
const redisClient = dirname(fromRs.resolve('@redis/client/package.json'));
const clientSources = ['dist/lib/errors.js', 'dist/lib/client/RESP2/encoder.js'].map((f) =>
  readFileSync(join(redisClient, f), 'utf8'),
);

/** A message template of the source (`${...}` stands for any text) as a RegExp. */
function templateRegExp(text) {
  const parts = text.split(/\$\{[^}]*\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`);
}

/** The errors redis-sessions' `_handleError` makes: `{ name, template, pattern }`. */
function packageMessages() {
  const found = [];
  for (const m of source.matchAll(/_handleError\("(\w+)", \{ msg: (?:"([^"]*)"|`([^`]*)`) \}\)/g)) {
    found.push({ name: m[1], template: m[2] ?? m[3] });
  }
  // `{ item }` errors: `_handleError` words them itself, by name.
  const missing = /if \(err === "missingParameter"\) \{\s*_err\.message = `([^`]*)`/.exec(source);
  const other = /else \{\s*_err\.message = `([^`]*)`/.exec(source);
  assert.ok(missing && other, "redis-sessions' _handleError is where this test expects it");
  found.push({ name: 'missingParameter', template: missing[1] }, { name: 'invalidFormat', template: other[1] });
  return found.map((f) => ({ ...f, pattern: templateRegExp(f.template) }));
}

/** node-redis' errors that redis-sessions passes on for input it let through. */
function clientMessages() {
  const closed = /class ClientClosedError extends Error \{\s*constructor\(\) \{\s*super\('([^']+)'\)/.exec(clientSources[0]);
  const type = /throw new TypeError\('([^']+)'\)/.exec(clientSources[1]);
  assert.ok(closed && type, "node-redis' errors are where this test expects them");
  return [
    { name: 'Error', template: closed[1], pattern: templateRegExp(closed[1]) },
    { name: 'TypeError', template: type[1], pattern: templateRegExp(type[1]) },
  ];
}

const MESSAGES = [...packageMessages(), ...clientMessages()];
const APP = 'myapp';
const TOKEN = 'a'.repeat(64);

/** Bad input for every check of every method, in the order redis-sessions checks. */
const CASES = [
  ['get', undefined],
  ['get', null],
  ['get', {}],
  ['get', { app: 'ab' }],
  ['get', { app: 'a b c' }],
  ['get', { app: 'x'.repeat(21) }],
  ['get', { app: APP }],
  ['get', { app: APP, token: '' }],
  ['get', { app: APP, token: 'short' }],
  ['get', { app: APP, token: `${'a'.repeat(63)}-` }],
  ['create', undefined],
  ['create', {}],
  ['create', { app: APP }],
  ['create', { app: APP, id: 'a\nb' }],
  ['create', { app: APP, id: 'u' }],
  ['create', { app: APP, id: 'u', ip: 'x'.repeat(40) }],
  ['create', { app: APP, id: 'u', ip: '::1', ttl: 5 }],
  ['create', { app: APP, id: 'u', ip: '::1', ttl: 'soon' }],
  ['create', { app: APP, id: 'u', ip: '::1', ttl: -100 }],
  ['create', { app: APP, id: 'u', ip: '::1', d: {} }],
  ['create', { app: APP, id: 'u', ip: '::1', d: [] }],
  ['create', { app: APP, id: 'u', ip: '::1', d: 'text' }],
  ['create', { app: APP, id: 'u', ip: '::1', d: { a: 1, b: { c: 1 } } }],
  ['create', { app: APP, id: 'u', ip: '::1', d: { list: [1] } }],
  ['create', { app: APP, id: 'u', ip: '::1', d: { gone: undefined } }],
  ['create', { app: APP, id: 7, ip: '::1' }],
  ['set', {}],
  ['set', { app: APP }],
  ['set', { app: APP, token: TOKEN }],
  ['set', { app: APP, token: TOKEN, d: 0 }],
  ['set', { app: APP, token: TOKEN, d: '' }],
  ['set', { app: APP, token: TOKEN, d: {} }],
  ['set', { app: APP, token: TOKEN, d: [1] }],
  ['set', { app: APP, token: TOKEN, d: true }],
  ['set', { app: APP, token: TOKEN, d: { f: () => 1 } }],
  ['kill', {}],
  ['kill', { app: APP }],
  ['kill', { app: APP, handle: 'h'.repeat(22) }],
  ['activity', {}],
  ['activity', { app: APP }],
  ['activity', { app: APP, dt: 600 }],
  ['activity', { app: APP, deltaTime: 9 }],
  ['activity', { app: APP, deltaTime: 'ten' }],
  ['soapp', { app: APP }],
  ['soapp', { app: APP, deltaTime: 1 }],
  ['soid', { app: APP }],
  ['soid', { app: APP, id: '' }],
  ['killsoid', { app: '' }],
  ['killsoid', { app: APP }],
  ['killall', {}],
  ['killall', { app: 'a:b' }],
];

const pairs = [];
after(async () => {
  for (const p of pairs) await p.close();
  await Pair.closeServers();
});

describe("redis-sessions' messages, byte for byte", () => {
  test('the templates were read from the installed packages', () => {
    assert.ok(MESSAGES.some((m) => m.template === 'd must containt at least one key.'));
    assert.ok(MESSAGES.some((m) => m.template === 'No ${data.item} supplied'));
    assert.ok(MESSAGES.length >= 8, JSON.stringify(MESSAGES.map((m) => m.template)));
  });

  test('every error for refused input: the same error object as redis-sessions\', worded as in its source', async () => {
    const p = await Pair.open({ wipe: 0 });
    pairs.push(p);
    const used = new Set();
    for (const [method, input] of CASES) {
      const { ref, dut } = await p.both(method, input);
      const label = `${method}(${JSON.stringify(input)})`;
      assert.ok(ref.error !== undefined, `redis-sessions refuses ${label}`);
      assert.deepStrictEqual(describeOutcome(dut), describeOutcome(ref), label);
      checks.compared++;
      const e = dut.error;
      if (e instanceof TypeError && e.message.startsWith('Cannot read properties of')) continue; // no options at all
      const match = MESSAGES.find((m) => m.pattern.test(e.message) && (m.name === e.name || m.name === e.constructor.name));
      assert.ok(match, `${label}: "${e.message}" (${e.name}) is one of redis-sessions' messages`);
      used.add(match.template);
    }
    // Every message of redis-sessions' own was met (and the node-redis one its inputs reach).
    assert.deepStrictEqual(
      MESSAGES.filter((m) => !used.has(m.template)).map((m) => m.template),
      ['The client is closed'],
    );
  });

  test('after quit(): node-redis\' "The client is closed", after the input checks, as redis-sessions', async () => {
    const p = await Pair.open({ wipe: 0 });
    pairs.push(p);
    await p.same('quit');
    for (const [method, input] of [
      ['get', { app: APP, token: TOKEN }],
      ['create', { app: APP, id: 'u', ip: '::1' }],
      ['set', { app: APP, token: TOKEN, d: { a: 1 } }],
      ['kill', { app: APP, token: TOKEN }],
      ['activity', { app: APP, deltaTime: 60 }],
      ['soapp', { app: APP, deltaTime: 60 }],
      ['soid', { app: APP, id: 'u' }],
      ['killsoid', { app: APP, id: 'u' }],
      ['killall', { app: APP }],
      ['ping', undefined],
      ['quit', undefined],
      ['get', { app: APP }],
    ]) {
      const { dut } = await p.both(method, input);
      await p.same(method, input);
      if (method !== 'get' || input.token !== undefined) {
        assert.equal(dut.error.message, clientMessages()[0].template);
      }
    }
  });
});
