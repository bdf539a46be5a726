/**
 * The second baseline: the floor under any durable heartbeat on this machine. The bare Hono app on
 * @hono/node-server, with Lifeline's body reading (`limitBody`) and group-commit writer, stores each
 * POST body whole as one row of a `file:` database opened as Lifeline opens it (WAL, synchronous=FULL),
 * and answers 202 once its batch is committed. No validation, no authentication, no device snapshot,
 * no rollups, no index but the rowid. Prints `{"url":"http://127.0.0.1:PORT"}` once listening; stops
 * on SIGTERM after draining. `FLOOR_DATABASE` names the database file.
 */
import { serve } from '@hono/node-server';
import { createDb } from '@lifeline/db';
import { Hono } from 'hono';
import { limitBody } from '../../monitor/src/http/body-limit.ts';
import { GroupCommitWriter } from '../../monitor/src/ingest/group-commit.ts';

const path = process.env.FLOOR_DATABASE;
if (!path) throw new Error('FLOOR_DATABASE is required');
const database = await createDb(`file:${path}`);
const client = database.client!;
await client.execute('CREATE TABLE IF NOT EXISTS bodies (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');

const writer = new GroupCommitWriter<string>(async (bodies) => {
  await client.batch(
    [{ sql: 'INSERT INTO bodies (body) SELECT value FROM json_each(?)', args: [JSON.stringify(bodies)] }],
    'write',
  );
});

const app = new Hono();
app.use(limitBody(64 * 1024, (c) => c.json({ error: 'too large' }, 413)));
app.post('*', async (c) => {
  await writer.write(await c.req.text());
  return c.json({ stored: true }, 202);
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${info.port}` }));
});

const stop = () =>
  server.close(async () => {
    await writer.drain();
    database.close();
    process.exit(0);
  });
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
