// Types of session-core-driver/fastify for CommonJS. Needs TypeScript 5.3+ (resolution-mode).
import type * as F from './fastify.js' with { 'resolution-mode': 'import' };

declare const fastify: { makeFastify: typeof F.makeFastify };
declare namespace fastify {
  type ActiveSession = F.ActiveSession;
  type FastifySessionOptions = F.FastifySessionOptions;
  type FastifySessions = F.FastifySessions;
  type MiddlewareBinding = F.MiddlewareBinding;
  type RequestSession = F.RequestSession;
  type SessionCookieOptions = F.SessionCookieOptions;
}
export = fastify;
