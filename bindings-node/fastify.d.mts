// Types of session-core/fastify (ES modules). Importing it types `request.session`.
import type { FastifySessions } from 'session-core-driver/fastify';

export type { ActiveSession, FastifySessionOptions, RequestSession, SessionCookieOptions } from 'session-core-driver/fastify';
/** The plugin: `fastify.register(sessionPlugin, { app: 'shop' })`. */
export declare const sessionPlugin: FastifySessions['sessionPlugin'];
/** A preHandler hook: answers 401 unless the request has a live session. */
export declare const authenticateRequest: FastifySessions['authenticateRequest'];
export default sessionPlugin;
