// session-core/users-session-manager: the drop-in for users-session-manager's SessionManager.
// Its README's examples as tests: every method, its events and errors, the singleton. Expiry
// by an injected clock; the sweep timer is driven by node:test's mock timers, never by
// sleeping. One process, so one singleton for the whole file: each test starts with
// deleteAllSessions().
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { beforeEach, mock, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SessionError } from 'session-core';
import { SessionManager } from 'session-core/users-session-manager';

let now = 1_700_000_000_000;
const advance = (seconds) => (now += seconds * 1000);
// Before the singleton exists, so that its sweep timer is a mock one.
mock.timers.enable({ apis: ['setInterval'] });
const SM = new SessionManager({ clock: () => now });

/** Every event of the manager, in order, as [name, ...args]. */
const seen = [];
for (const name of ['sessionCreated', 'sessionDeleted', 'activeUserDeleted', 'notifyClientToLogout']) {
  SM.on(name, (...args) => seen.push([name, ...args]));
}

beforeEach(() => {
  SM.deleteAllSessions();
  SM.setSessionTimeOut(3600);
  seen.length = 0;
});

test('an EventEmitter of node:events, as users-session-manager\'s is', () => {
  assert.ok(new SessionManager() instanceof EventEmitter);
});

test('a singleton: every new SessionManager() is the same instance; options only the first time', () => {
  assert.equal(new SessionManager(), SM);
  assert.throws(() => new SessionManager({ clock: Date.now }), { name: 'TypeError' });
  const cjs = createRequire(import.meta.url)('session-core/users-session-manager');
  assert.equal(cjs.SessionManager, cjs);
  assert.equal(cjs.default, cjs);
  assert.equal(new cjs(), new cjs());
});

test("the README's example: timeout, two users logged in, getLoggedUsers, activeUserDeleted", () => {
  assert.equal(SM.setSessionTimeOut(6), false, 'below the core minimum of 10 s: refused, unchanged');
  assert.equal(SM.getSessionTimeOut(), 3600);
  assert.equal(SM.setSessionTimeOut(3000), true);
  assert.equal(SM.getSessionTimeOut(), 3000);
  assert.equal(SM.setSessionTimeOut(1.5), false);
  const luca = SM.loadNewSession('Luca');
  const fabio = SM.addSession('Fabio');
  assert.match(luca, /^[A-Za-z0-9]{64}$/);
  assert.deepEqual(SM.getLoggedUsers().sort(), ['Fabio', 'Luca']);
  assert.deepEqual(seen, [['sessionCreated', luca], ['sessionCreated', fabio]]);
  assert.equal(SM.deleteSession(luca), true);
  assert.deepEqual(seen.slice(2), [['activeUserDeleted', luca], ['sessionDeleted', luca]]);
  assert.deepEqual(SM.getLoggedUsers(), ['Fabio']);
});

test('session data and details', () => {
  const key = SM.loadNewSession('Gino');
  assert.deepEqual(SM.getSessionData(key), {});
  assert.equal(SM.setSessionData(key, { actions: ['logged in'] }), true);
  assert.deepEqual(SM.getSessionData(key), { actions: ['logged in'] });
  assert.deepEqual(SM.getSessionDetails(key), { username: 'Gino', createdAt: now, data: { actions: ['logged in'] } });
  assert.equal(SM.getUsernameFromSessionKey(key), 'Gino');
  assert.equal(SM.checkSessionStatus(key), true);
});

test('unknown keys: the methods that throw throw a SessionError naming key; the others answer false', () => {
  const unknown = 'x'.repeat(64);
  for (const call of [
    () => SM.setSessionData(unknown, {}),
    () => SM.getSessionData(unknown),
    () => SM.restartSessionTimer(unknown),
    () => SM.deleteSession(unknown),
    () => SM.checkSessionStatus(unknown),
  ]) {
    assert.throws(call, (e) => e instanceof SessionError && e.field === 'key' && e.message === 'Session key not found or expired');
  }
  assert.equal(SM.getSessionDetails(unknown), false);
  assert.equal(SM.getUsernameFromSessionKey(unknown), false);
  assert.equal(SM.getUsernameFromSessionKey(undefined), false, 'a missing header is no session');
  assert.equal(SM.getUsernameFromSessionKey('123456789_123456789'), false);
  assert.throws(() => SM.checkSessionStatus('short'), { name: 'invalidFormat', field: 'token' }, 'a malformed key is bad input');
  assert.throws(() => SM.loadNewSession(''), { name: 'missingParameter', field: 'id' });
  assert.deepEqual(SM.getLoggedUsers(), [], 'nothing was created');
});

test('expiry: the core sweeps (one timer), and the client is told to log out', () => {
  const io = { name: 'socket.io server' };
  assert.equal(SM.initSocketReference(io), true);
  assert.equal(SM.getSocketReference(), io);
  SM.setSessionTimeOut(60);
  const key = SM.loadNewSession('Luca');
  seen.length = 0;
  advance(59);
  mock.timers.tick(1000);
  assert.deepEqual(seen, [], 'not yet');
  advance(2);
  mock.timers.tick(1000);
  assert.deepEqual(seen, [['notifyClientToLogout', io, key], ['activeUserDeleted', key], ['sessionDeleted', key]]);
  assert.deepEqual(SM.getLoggedUsers(), []);
  assert.throws(() => SM.checkSessionStatus(key), { field: 'key' });
});

test('restartSessionTimer keeps a session alive, with the current timeout', () => {
  SM.setSessionTimeOut(60);
  const key = SM.loadNewSession('Luca');
  advance(50);
  assert.equal(SM.restartSessionTimer(key), true);
  advance(50);
  mock.timers.tick(1000);
  assert.equal(SM.getUsernameFromSessionKey(key), 'Luca', 'restarted 50 s ago: alive');
  SM.setSessionTimeOut(30);
  SM.restartSessionTimer(key);
  advance(31);
  mock.timers.tick(1000);
  assert.equal(SM.getUsernameFromSessionKey(key), false, 'the new 30 s timeout applied');
});

test('deleteAllSessions, sendLogoutMessage and initSocketReferences', () => {
  const a = SM.loadNewSession('a');
  const b = SM.loadNewSession('b');
  seen.length = 0;
  assert.equal(SM.deleteAllSessions(), true);
  assert.deepEqual(seen.filter(([name]) => name === 'sessionDeleted').map(([, key]) => key).sort(), [a, b].sort());
  assert.deepEqual(SM.getLoggedUsers(), []);
  const io = { other: true };
  assert.equal(SM.initSocketReferences(io), true);
  seen.length = 0;
  assert.equal(SM.sendLogoutMessage('some key'), true);
  assert.deepEqual(seen, [['notifyClientToLogout', io, 'some key']]);
});

test('the sweep timer does not keep the process alive', () => {
  const script = `
    import { SessionManager } from 'session-core/users-session-manager';
    const SM = new SessionManager();
    SM.loadNewSession('Luca');
    console.log(SM.getLoggedUsers().join());
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.signal, null, 'it exited by itself');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'Luca');
});
