import { createReadStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { type WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { UserError } from '../../src/core/errors.ts';
import { normalizeEmail, normalizePhone } from '../../src/core/address.ts';
import { widgetBundle } from './bundle.ts';
import { sendBrowserAsset } from '../../src/core/browser-bundle.ts';
import { demoPage } from './demo.ts';
import { anonymousVisitor, IdentityError, newVisitorId, SiteIdentitySchema, type Visitor, visitorFromIdentity } from './identity.ts';
import { originAllowed } from './origin.ts';
import { ClientFrameSchema, type Entry, type ServerFrame } from './protocol.ts';
import type { WebchatRuntime } from './runtime.ts';
import { fileTypeAllowed } from './settings.ts';

export const SOCKET_PATH = '/webchat/socket';
/** The WebSocket subprotocol; the visitor token travels as the second offered protocol (never in a URL that gets logged). */
export const SUBPROTOCOL = 'parley.webchat.v1';
/** Longest a long-poll request is held open before it answers with nothing new. */
const POLL_HOLD_MS = 25_000;
/** Largest WebSocket frame: the longest text allowed, JSON-escaped, fits with room to spare. */
const maxFrameBytes = (maxText: number) => maxText * 6 + 4096;

const SessionBodySchema = z
  .object({
    token: z.string().max(4096).optional(),
    identity: SiteIdentitySchema.optional(),
    prechat: z.object({ name: z.string().max(200).optional(), email: z.string().max(320).optional(), phone: z.string().max(40).optional() }).optional(),
  })
  .strict();

const message = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');

/**
 * The widget's routes under /webchat: the script, sessions, the WebSocket, the long-poll
 * fallback, uploads, files and the demo page. CORS answers only allowed origins.
 */
export function webchatRoutes(runtime: () => WebchatRuntime): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const settings = () => runtime().settings;
    /** Held long-polls, answered (empty) when the server closes instead of holding it up. */
    const polls = new Set<(entries: readonly Entry[]) => void>();
    app.addHook('preClose', async () => {
      for (const done of [...polls]) done([]);
    });

    app.addHook('onRequest', async (request, reply) => {
      const origin = request.headers.origin;
      if (origin === undefined || request.url.startsWith('/webchat/widget.js')) return;
      if (!originAllowed(settings().allowedOrigins, origin))
        return reply.status(403).send({ error: { status: 403, message: `origin ${origin} is not in WEBCHAT_ALLOWED_ORIGINS` } });
      reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    });
    app.options('/*', async (_request, reply) =>
      reply
        .header('access-control-allow-methods', 'GET, POST')
        .header('access-control-allow-headers', 'authorization, content-type, x-file-name')
        .header('access-control-max-age', '600')
        .status(204)
        .send(),
    );

    app.get('/widget.js', async (request, reply) => {
      return sendBrowserAsset(request, reply, await widgetBundle(), 'text/javascript; charset=utf-8');
    });

    app.get('/demo', async (request, reply) => {
      if (!settings().demo)
        return reply.status(404).send({ error: { status: 404, message: 'the demo page is off: set PARLEY_WEBCHAT_DEMO=true (or NODE_ENV=development)' } });
      const locale = z
        .enum(['en', 'fa', 'ar'])
        .catch('en')
        .parse((request.query as Record<string, unknown>).lang);
      return reply.header('content-type', 'text/html; charset=utf-8').send(demoPage(locale));
    });

    app.post('/session', async (request, reply) => {
      const rt = runtime();
      const parsed = SessionBodySchema.safeParse(request.body ?? {});
      if (!parsed.success) throw new UserError(message(parsed.error));
      const body = parsed.data;
      let visitor = rt.tokens.read(body.token);
      if (!visitor) {
        const wait = rt.sessions.take(request.ip);
        if (wait > 0)
          return reply
            .status(429)
            .header('retry-after', Math.ceil(wait / 1000))
            .send({ error: { status: 429, message: 'too many new chats from this address; try again later' } });
      }
      const visitorId = visitor?.visitorId ?? newVisitorId();
      try {
        if (body.identity)
          visitor = visitorFromIdentity(body.identity, {
            secret: settings().identitySecret,
            enforce: settings().enforceIdentity,
            visitorId,
            defaultRegion: rt.context.defaultRegion,
          });
        else if (settings().enforceIdentity) throw new IdentityError('this site requires a signed identity (WEBCHAT_IDENTITY_ENFORCE)');
      } catch (error) {
        if (error instanceof IdentityError) return reply.status(401).send({ error: { status: 401, message: error.message } });
        throw error;
      }
      visitor ??= anonymousVisitor(visitorId);
      if (body.prechat) visitor = withPrechat(visitor, body.prechat, rt.context.defaultRegion);
      return {
        token: rt.tokens.issue(visitor),
        visitor: { name: visitor.name ?? null, verified: visitor.verified },
        limits: { maxText: settings().maxText, maxFileBytes: settings().maxFileBytes, fileTypes: settings().fileTypes },
        outOfHours: rt.hours.notice(rt.now()) ?? null,
      };
    });

    const visitorOf = (request: FastifyRequest): Visitor => {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const visitor = runtime().tokens.read(token);
      if (!visitor) throw new UserError('no valid visitor token: POST /webchat/session first', 401);
      return visitor;
    };

    app.post('/messages', async (request) => {
      const visitor = visitorOf(request);
      const frame = ClientFrameSchema.safeParse(request.body);
      if (!frame.success) throw new UserError(message(frame.error));
      return { frames: await runtime().service.handle(visitor, request.ip, frame.data) };
    });

    app.get('/poll', async (request, reply) => {
      const visitor = visitorOf(request);
      const after = z.coerce
        .number()
        .int()
        .nonnegative()
        .safeParse((request.query as Record<string, unknown>).after);
      if (!after.success) throw new UserError('query: after: a transcript position (0 or more)');
      const rt = runtime();
      const entries = await rt.transcripts.after(visitor.address, after.data);
      if (entries.length > 0) return { entries };
      return new Promise<{ entries: readonly Entry[] }>((resolve) => {
        const done = (found: readonly Entry[]) => {
          polls.delete(done);
          clearTimeout(timer);
          stop();
          resolve({ entries: found });
        };
        const stop = rt.hub.listen(visitor.address, (pushed) => done(pushed.filter((e) => e.seq > after.data)));
        const timer = setTimeout(() => done([]), POLL_HOLD_MS);
        reply.raw.on('close', () => done([]));
        polls.add(done);
      });
    });

    app.register(async (uploads) => {
      uploads.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: settings().maxFileBytes }, (_request, body, done) => done(null, body));
      uploads.post('/files', async (request, reply) => {
        const visitor = visitorOf(request);
        const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
        if (!fileTypeAllowed(settings().fileTypes, type))
          throw new UserError(`files of type "${type}" are not accepted (allowed: ${settings().fileTypes.join(', ')})`, 415);
        const content = request.body as Buffer;
        if (!Buffer.isBuffer(content) || content.length === 0) throw new UserError('the upload is empty');
        const wait = runtime().visitorUploads.take(visitor.visitorId);
        if (wait > 0) return reply.status(429).send({ error: { status: 429, message: 'too many uploads; wait a moment' } });
        const name = decodeURIComponent(String(request.headers['x-file-name'] ?? 'file'));
        const saved = await runtime().files.save(name, content);
        return { ref: runtime().files.link(saved.fileUrl), name: saved.name, mimeType: type, size: content.length };
      });
    });

    app.get('/files/:signature', async (request, reply) => {
      const { signature } = request.params as { signature: string };
      const inside = String((request.query as Record<string, unknown>).p ?? '');
      const path = runtime().files.resolve(signature, inside);
      if (!path) return reply.status(404).send({ error: { status: 404, message: 'no such file' } });
      reply.header('cache-control', 'private, max-age=86400').header('x-content-type-options', 'nosniff');
      // Shown inline only as images; anything else downloads, so an uploaded HTML file never runs on this origin.
      if (!/\.(png|jpe?g|gif|webp)$/i.test(path)) reply.header('content-disposition', 'attachment');
      return reply.type(contentTypeOf(path)).send(createReadStream(path));
    });

    acceptSockets(app, runtime);
  };
}

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  txt: 'text/plain',
};
const contentTypeOf = (path: string) => CONTENT_TYPES[path.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream';

/** The pre-chat form's answers, normalised like every channel's addresses; a wrong one is a 400 naming the field. */
function withPrechat(visitor: Visitor, form: { name?: string; email?: string; phone?: string }, defaultRegion: string | undefined): Visitor {
  const field = <T>(name: string, fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      throw new UserError(`prechat.${name}: ${(error as Error).message}`);
    }
  };
  const email = form.email?.trim() ? field('email', () => normalizeEmail(form.email as string)) : undefined;
  const phone = form.phone?.trim() ? field('phone', () => normalizePhone(form.phone as string, defaultRegion)) : undefined;
  return { ...visitor, name: form.name?.trim() || visitor.name, contact: email || phone ? { email, phone } : visitor.contact };
}

/** WebSocket upgrades on /webchat/socket: origin and token checked before the handshake completes. */
function acceptSockets(app: FastifyInstance, runtime: () => WebchatRuntime): void {
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const refuse = (socket: Duplex, status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${text}`);
  };
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? '/', 'http://x').pathname !== SOCKET_PATH) return;
    let rt: WebchatRuntime;
    try {
      rt = runtime();
    } catch {
      return refuse(socket, 503, 'Service Unavailable');
    }
    if (!originAllowed(rt.settings.allowedOrigins, request.headers.origin)) return refuse(socket, 403, 'Forbidden');
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const visitor = rt.tokens.read(offered.find((p) => p !== SUBPROTOCOL));
    if (!visitor || !offered.includes(SUBPROTOCOL)) return refuse(socket, 401, 'Unauthorized');
    sockets.handleUpgrade(request, socket, head, (ws) => serve(ws, visitor, request.socket.remoteAddress ?? 'unknown', rt));
  };
  app.server.on('upgrade', onUpgrade);
  // Before the server waits for its connections to end: open sockets would hold it forever.
  app.addHook('preClose', async () => {
    app.server.off('upgrade', onUpgrade);
    for (const client of sockets.clients) client.terminate();
    sockets.close();
  });
}

function serve(ws: WebSocket, visitor: Visitor, ip: string, rt: WebchatRuntime): void {
  const send = (frame: ServerFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const stop = rt.hub.listen(visitor.address, (entries) => send({ type: 'entries', entries }));
  let alive = true;
  const heartbeat = setInterval(() => {
    if (!alive) return ws.terminate();
    alive = false;
    ws.ping();
  }, 30_000);
  ws.on('pong', () => (alive = true));
  ws.on('close', () => {
    clearInterval(heartbeat);
    stop();
  });
  // Frames of one socket are handled in order: an ack never overtakes an earlier message's.
  let queue: Promise<void> = Promise.resolve();
  ws.on('message', (data, isBinary) => {
    queue = queue.then(async () => {
      const size = Buffer.isBuffer(data) ? data.length : 0;
      if (isBinary || size > maxFrameBytes(rt.settings.maxText))
        return send({ type: 'error', code: 'bad_frame', message: 'frames are JSON text within the size limit' });
      let json: unknown;
      try {
        json = JSON.parse(data.toString());
      } catch {
        return send({ type: 'error', code: 'bad_frame', message: 'a frame is one JSON object' });
      }
      const frame = ClientFrameSchema.safeParse(json);
      if (!frame.success) return send({ type: 'error', code: 'bad_frame', message: message(frame.error) });
      try {
        for (const reply of await rt.service.handle(visitor, ip, frame.data)) send(reply);
      } catch (error) {
        rt.context.logger.error({ err: error }, 'webchat: frame failed');
        // Not acknowledged: the page keeps the message and sends it again.
        send({
          type: 'error',
          clientId: 'clientId' in frame.data ? frame.data.clientId : undefined,
          code: 'unavailable',
          message: 'not stored; retrying',
          retryAfterMs: 2000,
        });
      }
    });
  });
}
