// Types of `require('session-core/express-request')`: the opt-in declaration of
// `req.session` for Express, for CommonJS. Needs TypeScript 5.3+ (resolution-mode).
import 'session-core-driver/express-request';

export {};
