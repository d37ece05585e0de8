// Types of `require('session-core/token-session')`. Needs TypeScript 5.3+ (resolution-mode).
import type * as D from 'session-core-driver' with { 'resolution-mode': 'import' };

declare const TokenSession: D.TokenSessionConstructor & { default: D.TokenSessionConstructor };
declare namespace TokenSession {
  type TokenSessionData = D.TokenSessionData;
  type TokenSessionOptions = D.TokenSessionOptions;
  type TokenSessionResult = D.TokenSessionResult;
  type TokenSessionCallback<T> = D.TokenSessionCallback<T>;
}
export = TokenSession;
