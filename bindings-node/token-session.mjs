// `session-core/token-session`: its default export stands in for `require('token-session')`
// (token-session 1.0's TokenSession class), over this package's Sessions: the embedded
// memory store by default, or the `store` you give (`new Sessions({ redis: url })`...).
import { makeTokenSessionClass } from 'session-core-driver';
import { Sessions } from './index.mjs';

const TokenSession = makeTokenSessionClass(Sessions);
export default TokenSession;
