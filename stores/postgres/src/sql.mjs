// The SQL of the PostgreSQL store: two tables and one function, `<prefix>_apply(batch)`, that
// applies a whole batch on the server. One call is one statement, so one round trip and one
// transaction per batch, however large (a sweep's largest is 50,000 commands).
//
// - Versions are checked by the rows a write touched: `UPDATE ... WHERE key = $k AND
//   version = $v` (or `DELETE`) touching no row, or `INSERT ... ON CONFLICT DO NOTHING`
//   inserting none for `absent`, raises SQLSTATE SC409; the function's exception block rolls
//   back everything the batch did and answers `{"conflict": true}`.
// - What must be locked: before its first command, a batch takes a transaction-scoped
//   advisory lock per app it touches (the key's hash tag `{app}`, read as Redis Cluster reads
//   it; a key with no tag, the app registry, is its own lock), in sorted order so that two
//   batches never wait for each other in turn. Every batch of an app holds the app's lock until
//   it commits, so no two interleave, and each statement (READ COMMITTED) sees every batch
//   committed before it: the expectations are checked, and the commands run, against one state.
// - Members and keys use the "C" collation: ties in a range sort by bytes (UTF-8), which is
//   code-point order, as Redis and MapStore sort them.

/** A table prefix as SQL names can take it unquoted. */
export function checkPrefix(prefix) {
  if (typeof prefix !== 'string' || !/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) {
    throw new TypeError('prefix must be 1-41 characters of [a-z0-9_], not starting with a digit');
  }
  return prefix;
}

/** The statements that create the store's tables and function (idempotent). */
export function schema(p) {
  checkPrefix(p);
  return [
    `CREATE TABLE IF NOT EXISTS ${p}_records (
      key text COLLATE "C" PRIMARY KEY,
      value text NOT NULL,
      version bigint NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS ${p}_zsets (
      key text COLLATE "C" NOT NULL,
      member text COLLATE "C" NOT NULL,
      score bigint NOT NULL,
      PRIMARY KEY (key, member)
    )`,
    `CREATE INDEX IF NOT EXISTS ${p}_zsets_by_score ON ${p}_zsets (key, score, member)`,
    `CREATE OR REPLACE FUNCTION ${p}_apply(batch jsonb) RETURNS jsonb
    LANGUAGE plpgsql AS $fn$
    DECLARE
      c jsonb;
      op text;
      k text;
      e jsonb;
      r jsonb;
      n bigint;
      lock_name text;
      replies jsonb[] := '{}';
    BEGIN
      FOR lock_name IN
        SELECT DISTINCT coalesce(substring(x->>'key' from '^[^{]*\\{[^}]+\\}'), x->>'key')
        FROM jsonb_array_elements(batch) x ORDER BY 1
      LOOP
        PERFORM pg_advisory_xact_lock(hashtext('session-core ${p}'), hashtext(lock_name));
      END LOOP;
      BEGIN
        FOR c IN SELECT x FROM jsonb_array_elements(batch) WITH ORDINALITY AS t(x, i) ORDER BY i LOOP
          op := c->>'op';
          k := c->>'key';
          CASE op
          WHEN 'get' THEN
            SELECT jsonb_build_object('value', value, 'version', version) INTO r FROM ${p}_records WHERE key = k;
            replies := array_append(replies, coalesce(r, 'null'::jsonb));
          WHEN 'put' THEN
            e := c->'expect';
            IF jsonb_typeof(e) = 'number' THEN
              UPDATE ${p}_records SET value = c->>'value', version = version + 1
                WHERE key = k AND version = (c->>'expect')::bigint;
              IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = 'SC409'; END IF;
            ELSIF e = '"absent"' THEN
              INSERT INTO ${p}_records (key, value, version) VALUES (k, c->>'value', 1) ON CONFLICT (key) DO NOTHING;
              IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = 'SC409'; END IF;
            ELSE
              INSERT INTO ${p}_records AS old (key, value, version) VALUES (k, c->>'value', 1)
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = old.version + 1;
            END IF;
            replies := array_append(replies, 'true'::jsonb);
          WHEN 'delete' THEN
            e := c->'expect';
            IF jsonb_typeof(e) = 'number' THEN
              DELETE FROM ${p}_records WHERE key = k AND version = (c->>'expect')::bigint;
              IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = 'SC409'; END IF;
              replies := array_append(replies, 'true'::jsonb);
            ELSIF e = '"absent"' THEN
              IF EXISTS (SELECT 1 FROM ${p}_records WHERE key = k) THEN RAISE EXCEPTION USING ERRCODE = 'SC409'; END IF;
              replies := array_append(replies, 'false'::jsonb);
            ELSE
              DELETE FROM ${p}_records WHERE key = k;
              replies := array_append(replies, to_jsonb(FOUND));
            END IF;
          WHEN 'zadd' THEN
            INSERT INTO ${p}_zsets AS old (key, member, score) VALUES (k, c->>'member', (c->>'score')::bigint)
              ON CONFLICT (key, member) DO UPDATE SET score = EXCLUDED.score;
            replies := array_append(replies, 'true'::jsonb);
          WHEN 'zrem' THEN
            DELETE FROM ${p}_zsets WHERE key = k AND member = c->>'member';
            replies := array_append(replies, to_jsonb(FOUND));
          WHEN 'zremIfEmpty' THEN
            IF EXISTS (SELECT 1 FROM ${p}_zsets WHERE key = c->>'watched') THEN
              replies := array_append(replies, 'false'::jsonb);
            ELSE
              DELETE FROM ${p}_zsets WHERE key = k AND member = c->>'member';
              replies := array_append(replies, to_jsonb(FOUND));
            END IF;
          WHEN 'zrange' THEN
            IF (c->>'rev')::boolean THEN
              SELECT coalesce(jsonb_agg(jsonb_build_array(s.member, s.score) ORDER BY s.score DESC, s.member DESC), '[]') INTO r
              FROM (SELECT member, score FROM ${p}_zsets
                WHERE key = k AND score >= (c->>'min')::bigint AND score <= (c->>'max')::bigint
                ORDER BY score DESC, member DESC LIMIT (c->>'limit')::bigint) s;
            ELSE
              SELECT coalesce(jsonb_agg(jsonb_build_array(s.member, s.score) ORDER BY s.score, s.member), '[]') INTO r
              FROM (SELECT member, score FROM ${p}_zsets
                WHERE key = k AND score >= (c->>'min')::bigint AND score <= (c->>'max')::bigint
                ORDER BY score, member LIMIT (c->>'limit')::bigint) s;
            END IF;
            replies := array_append(replies, r);
          WHEN 'zcount' THEN
            SELECT count(*) INTO n FROM ${p}_zsets
              WHERE key = k AND score >= (c->>'min')::bigint AND score <= (c->>'max')::bigint;
            replies := array_append(replies, to_jsonb(n));
          ELSE
            RAISE EXCEPTION 'unknown store command %', op;
          END CASE;
        END LOOP;
      EXCEPTION WHEN SQLSTATE 'SC409' THEN
        RETURN '{"conflict": true}'::jsonb;
      END;
      RETURN to_jsonb(replies);
    END
    $fn$`,
  ];
}

/** The statements that drop the store's tables and function. */
export function dropSchema(p) {
  checkPrefix(p);
  return [`DROP FUNCTION IF EXISTS ${p}_apply(jsonb)`, `DROP TABLE IF EXISTS ${p}_records`, `DROP TABLE IF EXISTS ${p}_zsets`];
}
