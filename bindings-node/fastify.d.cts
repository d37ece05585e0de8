// Types of `require('session-core/fastify')`. Needs TypeScript 5.3+ (resolution-mode).
import type * as F from 'session-core-driver/fastify' with { 'resolution-mode': 'import' };

declare const fastify: {
  sessionPlugin: F.FastifySessions['sessionPlugin'];
  authenticateRequest: F.FastifySessions['authenticateRequest'];
  /** The same as `sessionPlugin`. */
  default: F.FastifySessions['sessionPlugin'];
};
declare namespace fastify {
  type ActiveSession = F.ActiveSession;
  type FastifySessionOptions = F.FastifySessionOptions;
  type RequestSession = F.RequestSession;
  type SessionCookieOptions = F.SessionCookieOptions;
}
export = fastify;
