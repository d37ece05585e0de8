// Cookies and the token a request carries: read one cookie from a Cookie header, write the
// session cookie, and find the token in the order the middleware promises (Authorization:
// Bearer, then x-access-token, then the cookie; never the URL). No cookie-parser is needed,
// and nothing here depends on a framework: each adapter passes header values in.

/** A cookie name: RFC 6265's token characters. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `name` can be a cookie's name. */
export function isCookieName(name) {
  return typeof name === 'string' && COOKIE_NAME.test(name);
}

/** The value of cookie `name` in a Cookie header (the first one), or undefined. */
export function readCookie(header, name) {
  if (typeof header !== 'string' || header === '') return undefined;
  let at = 0;
  while (at < header.length) {
    let end = header.indexOf(';', at);
    if (end < 0) end = header.length;
    const eq = header.indexOf('=', at);
    if (eq > at && eq < end && header.slice(at, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim();
      if (value.length >= 2 && value[0] === '"' && value[value.length - 1] === '"') value = value.slice(1, -1);
      return value;
    }
    at = end + 1;
  }
  return undefined;
}

/**
 * The Set-Cookie value of the session cookie: HttpOnly, SameSite, Path and (unless turned off
 * for plain-HTTP development) Secure. `value` null clears it.
 */
export function sessionCookie(cookie, value) {
  let out = `${cookie.name}=${value ?? ''}; Path=${cookie.path}; HttpOnly; SameSite=${cookie.sameSite}`;
  if (cookie.secure) out += '; Secure';
  if (cookie.domain !== undefined) out += `; Domain=${cookie.domain}`;
  if (value === null) out += '; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  else if (cookie.maxAge !== undefined) out += `; Max-Age=${cookie.maxAge}`;
  return out;
}

/**
 * The token of a request from its headers (`authorization`, `x-access-token`, `cookie`): the
 * first source present wins, whatever its value (a malformed token is then simply not a
 * session). undefined when none is present.
 */
export function tokenOf(authorization, accessToken, cookieHeader, cookieName) {
  if (typeof authorization === 'string') {
    // "Bearer <token>", the scheme case-insensitive (RFC 7235); other schemes are not ours.
    const m = /^\s*bearer\s+(\S*)\s*$/i.exec(authorization);
    if (m !== null) return m[1];
  }
  if (typeof accessToken === 'string' && accessToken !== '') return accessToken.trim();
  return readCookie(cookieHeader, cookieName);
}

/** Whether `token` has a token's form (64 characters of [A-Za-z0-9]): only then is it looked up. */
export function isToken(token) {
  return typeof token === 'string' && token.length === 64 && /^[A-Za-z0-9]+$/.test(token);
}
