// Types of session-core/token-session (ES modules): the stand-in for token-session.
import type { TokenSessionConstructor } from 'session-core-driver';

export type { TokenSessionData, TokenSessionOptions, TokenSessionResult, TokenSessionCallback } from 'session-core-driver';

declare const TokenSession: TokenSessionConstructor;
export default TokenSession;
