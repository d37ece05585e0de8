// `session-core/fastify`: a Fastify plugin that gives every request `request.session`, over
// this package's engine. `fastify.register(sessionPlugin, { app: 'shop' })`. See the README.
import { makeFastify } from 'session-core-driver/fastify';
import { Sessions } from './index.mjs';

const fastify = makeFastify({ Sessions, redis: true });
/** The plugin (not encapsulated: it applies to every route of the instance). */
export const sessionPlugin = fastify.sessionPlugin;
/** A preHandler hook: answers 401 unless the request has a live session. */
export const authenticateRequest = fastify.authenticateRequest;
export default sessionPlugin;
