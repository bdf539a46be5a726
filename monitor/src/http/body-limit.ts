/**
 * The request body limit, and on Node a shorter way to the body. Hono's own limit (and `c.req.json()`)
 * go through a Web `Request`, which @hono/node-server builds lazily, with a `ReadableStream` over the
 * socket: for a 1 KB heartbeat that construction costs more than parsing it. On Node the body is read
 * straight from the `IncomingMessage` (counted against the limit as it arrives) and handed to Hono as
 * the request's cached text, so `c.req.json()` and the validators never build the `Request`. Elsewhere
 * (Workers) Hono's `bodyLimit` does the job.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

type Reject = (c: Context) => Response | Promise<Response>;

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

function nodeIncoming(c: Context): IncomingMessage | null {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming && typeof incoming.on === 'function' && typeof incoming.headers === 'object'
    ? incoming
    : null;
}

/** Reads the whole body, or resolves null as soon as it passes `maxSize` bytes. */
function readUpTo(incoming: IncomingMessage, maxSize: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxSize) {
        done();
        resolve(null); // the rest is drained by the server once the answer is sent
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
  });
}

export function limitBody(maxSize: number, onTooLarge: Reject): MiddlewareHandler {
  const portable = bodyLimit({ maxSize, onError: onTooLarge });
  return async (c, next) => {
    const incoming = nodeIncoming(c);
    if (!incoming) return portable(c, next);
    if (!WITH_BODY.has(c.req.method) || incoming.readableEnded) return next();
    const declared = incoming.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxSize) return onTooLarge(c);
    const body = await readUpTo(incoming, maxSize);
    if (body === null) return onTooLarge(c);
    // Hono keeps promises here at run time (its type says otherwise).
    (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(body.toString('utf8'));
    return next();
  };
}
