// The test app (routes.mjs) mounted on each framework (Express, Fastify, Hono on Node), each
// on a real server on a loopback port; the tests drive them with fetch.
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import * as forExpress from 'session-core/express';
import * as forFastify from 'session-core/fastify';
import * as forHono from 'session-core/hono';
import { routes } from './routes.mjs';

const split = (key) => key.split(' ');

/** Express 5 with `session(options)`; GET /private behind authenticateRequest. */
async function expressApp(options) {
  const app = express();
  app.set('trust proxy', false);
  app.use(forExpress.session(options));
  for (const [key, handler] of Object.entries(routes)) {
    const [method, path] = split(key);
    app[method.toLowerCase()](path, async (req, res, next) => {
      try {
        res.json(await handler(req.session, req.query));
      } catch (e) {
        next(e);
      }
    });
  }
  app.get('/private', forExpress.authenticateRequest, (req, res) => res.json({ user: req.session.authenticatableID }));
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => closeServer(server) };
}

/** Fastify 5 with the plugin; GET /private behind authenticateRequest. */
async function fastifyApp(options) {
  const app = Fastify();
  await app.register(forFastify.sessionPlugin, options);
  for (const [key, handler] of Object.entries(routes)) {
    const [method, url] = split(key);
    app.route({ method, url, handler: (request) => handler(request.session, request.query) });
  }
  app.get('/private', { preHandler: forFastify.authenticateRequest }, async (request) => ({ user: request.session.authenticatableID }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close() };
}

/** Hono on @hono/node-server; GET /private behind authenticateRequest. */
async function honoApp(options) {
  const app = new Hono();
  app.use(forHono.session(options));
  for (const [key, handler] of Object.entries(routes)) {
    const [method, path] = split(key);
    app.on(method, path, async (c) => c.json(await handler(c.get('session'), c.req.query())));
  }
  app.get('/private', forHono.authenticateRequest, (c) => c.json({ user: c.get('session').authenticatableID }));
  const server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => closeServer(server) };
}

/** Closes a node:http server and its keep-alive connections. */
export function closeServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

export const frameworks = { express: expressApp, fastify: fastifyApp, hono: honoApp };
