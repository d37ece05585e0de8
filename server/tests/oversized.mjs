// Sends a body over the server's --body-limit N times with Node's fetch and prints what each
// try got: "413 tooLarge", or the error (EPIPE, ECONNRESET, ...).
//
// Usage: node oversized.mjs URL BYTES TRIES
const [url, size, tries] = process.argv.slice(2);
const body = 'x'.repeat(Number(size));
for (let i = 0; i < Number(tries); i++) {
  try {
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    let name;
    try {
      name = JSON.parse(text).error;
    } catch {
      name = `not JSON: ${text.slice(0, 60)}`;
    }
    console.log(res.status, name);
  } catch (e) {
    console.log('error', e.cause?.code ?? e.cause?.message ?? e.message);
  }
}
