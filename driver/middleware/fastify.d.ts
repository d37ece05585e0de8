// Types of session-core-driver/fastify: the Fastify plugin over a binding. Registering it
// types `request.session` (the module augmentation below).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { MiddlewareBinding, MiddlewareOptions, RequestSession } from './session.js';

export type { ActiveSession, MiddlewareBinding, RequestSession, SessionCookieOptions } from './session.js';

/** The plugin's options. */
export type FastifySessionOptions = MiddlewareOptions<FastifyRequest>;

export interface FastifySessions {
  sessionPlugin: FastifyPluginAsync<FastifySessionOptions>;
  authenticateRequest(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

export declare function makeFastify(binding: MiddlewareBinding): FastifySessions;

declare module 'fastify' {
  interface FastifyRequest {
    session: RequestSession;
  }
}
