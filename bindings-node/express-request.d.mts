// Types of session-core/express-request: the opt-in declaration that types `req.session` in
// every Express handler as session-core's RequestSession (see session-core-driver's
// express-request.d.ts). Import it once: `import type {} from 'session-core/express-request'`.
import 'session-core-driver/express-request';

export {};
