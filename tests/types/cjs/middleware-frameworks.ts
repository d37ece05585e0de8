// The Express, Fastify and Hono entry points in a CommonJS module, with the frameworks' own
// types: the options' functions get each framework's request type, and the opt-in declaration
// of `req.session` for Express sits with express-session's types (no clash). Type-checked in
// the workspace, never run (the pack test leaves this file out).
import express = require('express');
import expressSession = require('express-session');
import Fastify = require('fastify');
import { Hono } from 'hono';
import { Sessions } from 'session-core';
import fastifyMw = require('session-core/fastify');
import honoMw = require('session-core/hono');
import wasmHono = require('session-core-wasm/hono');
import driverFastify = require('session-core-driver/fastify');
import driverHono = require('session-core-driver/hono');
import expressMw = require('session-core/express');
import expressRequest = require('session-core/express-request');
import driverExpressRequest = require('session-core-driver/express-request');

export async function frameworksCjs(): Promise<void> {
  void [expressRequest, driverExpressRequest];
  const app = express();
  app.use(expressMw.session({ ip: (req) => req.ip, onError: (error, req) => console.error(req.originalUrl, error) }));
  app.get('/', expressMw.authenticateRequest, (req, res) => {
    const s: expressMw.RequestSession = req.session;
    res.json({ user: s.authenticatableID });
  });
  app.use(expressSession({ secret: 'keyboard cat', resave: false, saveUninitialized: false }));
  app.get('/legacy', (req, res) => res.json({ id: req.sessionID, destroy: typeof req.session.destroy }));
  const f = Fastify();
  await f.register(fastifyMw.sessionPlugin, { ip: (request) => request.ip, onError: (error, request) => request.log.error(error) });
  const options: fastifyMw.FastifySessionOptions = { app: 'shop' };
  await f.register(fastifyMw.sessionPlugin, options);
  await f.register(fastifyMw.default, { app: 'other' });
  f.get('/', { preHandler: fastifyMw.authenticateRequest }, async (request) => ({ user: request.session.authenticatableID }));
  const h = new Hono();
  const honoOptions: honoMw.HonoSessionOptions = { app: 'shop' };
  h.use(honoMw.session(honoOptions));
  h.use(honoMw.session({ ip: (c) => c.req.header('x-real-ip'), onError: (error, c) => console.error(c.req.path, error) }));
  h.use(wasmHono.session({ sessions: new Sessions() }));
  h.get('/', honoMw.authenticateRequest, wasmHono.authenticateRequest, (c) => c.json({ user: c.get('session').authenticatableID }));
  const madeF: driverFastify.FastifySessions = driverFastify.makeFastify({ Sessions });
  const madeH: driverHono.HonoSessions = driverHono.makeHono({ Sessions });
  void [madeF, madeH];
}
