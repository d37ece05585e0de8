// The Fastify and Hono entry points in a CommonJS module, with the frameworks' own types.
// Type-checked in the workspace, never run (the pack test leaves this file out).
import Fastify = require('fastify');
import { Hono } from 'hono';
import { Sessions } from 'session-core';
import fastifyMw = require('session-core/fastify');
import honoMw = require('session-core/hono');
import wasmHono = require('session-core-wasm/hono');
import driverFastify = require('session-core-driver/fastify');
import driverHono = require('session-core-driver/hono');

export async function frameworksCjs(): Promise<void> {
  const f = Fastify();
  const options: fastifyMw.FastifySessionOptions = { app: 'shop' };
  await f.register(fastifyMw.sessionPlugin, options);
  await f.register(fastifyMw.default, { app: 'other' });
  f.get('/', { preHandler: fastifyMw.authenticateRequest }, async (request) => ({ user: request.session.authenticatableID }));
  const h = new Hono();
  const honoOptions: honoMw.HonoSessionOptions = { app: 'shop' };
  h.use(honoMw.session(honoOptions));
  h.use(wasmHono.session({ sessions: new Sessions() }));
  h.get('/', honoMw.authenticateRequest, wasmHono.authenticateRequest, (c) => c.json({ user: c.get('session').authenticatableID }));
  const madeF: driverFastify.FastifySessions = driverFastify.makeFastify({ Sessions });
  const madeH: driverHono.HonoSessions = driverHono.makeHono({ Sessions });
  void [madeF, madeH];
}
