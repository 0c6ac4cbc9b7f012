import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Entry } from '../protocol.ts';
import { Alerts } from './alerts.ts';
import type { Connection, Outgoing } from './connection.ts';
import { styles } from './styles.ts';
import { clock, isRtl, localDigits, TEXTS, type WidgetLocale, widgetLocale } from './texts.ts';

export interface WidgetOptions {
  readonly locale: WidgetLocale;
  readonly color: string;
  readonly position: 'end' | 'start';
  /** Pre-chat form fields asked before the first message (none: no form). */
  readonly prechat: readonly ('name' | 'email' | 'phone')[];
  readonly storageKey: string;
}

/** How long the typing dots show after the visitor's message while no answer has come. */
const TYPING_MS = 10_000;

function useConnection(connection: Connection): number {
  const [version, setVersion] = useState(0);
  useEffect(() => connection.subscribe(() => setVersion((v) => v + 1)), [connection]);
  return version;
}

/** The conversation's language: the latest reply that says which, else the page's. */
function conversationLocale(entries: Entry[], fallback: WidgetLocale): WidgetLocale {
  for (let i = entries.length - 1; i >= 0; i--) {
    const locale = widgetLocale(entries[i]?.locale);
    if (locale && entries[i]?.from !== 'visitor') return locale;
  }
  return fallback;
}

export function App({
  connection,
  options,
  start,
}: {
  connection: Connection;
  options: WidgetOptions;
  start: (prechat?: Record<string, string>) => Promise<void>;
}) {
  useConnection(connection);
  const [open, setOpen] = useState(() => sessionStorage.getItem(`${options.storageKey}:open`) === '1');
  const [lastRead, setLastRead] = useState(() => Number(localStorage.getItem(`${options.storageKey}:read`) ?? 0));
  const entries = [...connection.entries.values()].sort((a, b) => a.seq - b.seq);
  const locale = conversationLocale(entries, options.locale);
  const t = TEXTS[locale];
  const dir = isRtl(locale) ? 'rtl' : 'ltr';
  const lastSeq = entries[entries.length - 1]?.seq ?? 0;
  const unread = entries.filter((e) => e.from !== 'visitor' && e.seq > lastRead).length;
  const alerts = useMemo(() => new Alerts(options.storageKey), [options.storageKey]);
  const [alertsOn, setAlertsOn] = useState(() => alerts.on);
  // Replies already there when the page loaded are history: only later ones beep.
  const alerted = useRef(lastSeq);

  useEffect(() => {
    const fresh = entries.filter((e) => e.from !== 'visitor' && e.seq > alerted.current);
    alerted.current = Math.max(alerted.current, lastSeq);
    const latest = fresh[fresh.length - 1];
    if (latest) alerts.notify(latest.authorName ?? t.title, latest.text ?? '');
  }, [lastSeq]);

  useEffect(() => {
    sessionStorage.setItem(`${options.storageKey}:open`, open ? '1' : '0');
    if (open && document.visibilityState === 'visible' && lastSeq > lastRead) {
      setLastRead(lastSeq);
      localStorage.setItem(`${options.storageKey}:read`, String(lastSeq));
      connection.report('read');
    }
  }, [open, lastSeq]);

  const css = useMemo(() => styles(options.color), [options.color]);
  const needsForm =
    options.prechat.length > 0 && entries.length === 0 && connection.outgoing.length === 0 && !localStorage.getItem(`${options.storageKey}:prechat`);

  return (
    <div class={`root ${options.position}`} dir={dir} lang={locale}>
      <style>{css}</style>
      {open && (
        <div class="panel" role="dialog" aria-label={t.title} onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <div class="head">
            <span>{t.title}</span>
            <button
              type="button"
              class="alerts"
              aria-label={t.alerts}
              aria-pressed={alertsOn}
              onClick={() => {
                setAlertsOn(!alertsOn);
                void alerts.set(!alertsOn);
              }}
            >
              <svg viewBox="0 0 24 24" aria-hidden="true">
                <path
                  d={
                    alertsOn
                      ? 'M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6V11a6 6 0 0 0-5-5.9V4a1 1 0 0 0-2 0v1.1A6 6 0 0 0 6 11v5l-2 2v1h16v-1z'
                      : 'M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6V11a6 6 0 0 0-5-5.9V4a1 1 0 0 0-2 0v1.1A6 6 0 0 0 6 11v5l-2 2v1h16v-1zM3 3l18 18'
                  }
                />
              </svg>
            </button>
            <button type="button" aria-label={t.close} onClick={() => setOpen(false)}>
              ×
            </button>
          </div>
          {connection.session?.outOfHours?.[locale] && <div class="notice">{connection.session.outOfHours[locale]}</div>}
          {connection.error && (
            <div class="notice error" role="alert">
              {connection.error}
            </div>
          )}
          {needsForm ? (
            <Prechat
              fields={options.prechat}
              locale={locale}
              onSubmit={async (values) => {
                await start(values);
                localStorage.setItem(`${options.storageKey}:prechat`, '1');
              }}
            />
          ) : (
            <Conversation connection={connection} entries={entries} locale={locale} />
          )}
        </div>
      )}
      <button type="button" class="launcher" aria-label={open ? t.close : t.open} aria-expanded={open} onClick={() => setOpen(!open)}>
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z" />
        </svg>
        {unread > 0 && !open && (
          <span class="badge" aria-label={t.unread(localDigits(unread, locale))}>
            {localDigits(unread, locale)}
          </span>
        )}
      </button>
    </div>
  );
}

function Prechat({
  fields,
  locale,
  onSubmit,
}: {
  fields: readonly ('name' | 'email' | 'phone')[];
  locale: WidgetLocale;
  onSubmit: (values: Record<string, string>) => Promise<void>;
}) {
  const t = TEXTS[locale];
  const [error, setError] = useState<string>();
  return (
    <form
      class="form"
      onSubmit={async (event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget as HTMLFormElement);
        const values = Object.fromEntries(fields.map((f) => [f, String(data.get(f) ?? '')]));
        try {
          setError(undefined);
          await onSubmit(values);
        } catch (e) {
          setError((e as Error).message);
        }
      }}
    >
      <p>{t.prechatIntro}</p>
      {fields.map((field) => (
        <input key={field} name={field} aria-label={t[field]} placeholder={t[field]} type={field === 'email' ? 'email' : field === 'phone' ? 'tel' : 'text'} />
      ))}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">{t.start}</button>
    </form>
  );
}

function Conversation({ connection, entries, locale }: { connection: Connection; entries: Entry[]; locale: WidgetLocale }) {
  const t = TEXTS[locale];
  const log = useRef<HTMLDivElement>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const file = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string>();
  const [now, setNow] = useState(Date.now());
  const last = entries[entries.length - 1];
  const lastReplySeq = entries.filter((e) => e.from !== 'visitor').reduce((max, e) => Math.max(max, e.seq), 0);
  const waiting = last?.from === 'visitor' && now - new Date(last.at).getTime() < TYPING_MS;

  useEffect(() => {
    log.current?.scrollTo({ top: log.current.scrollHeight });
  }, [entries.length, connection.outgoing.length]);
  useEffect(() => box.current?.focus(), []);
  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(() => setNow(Date.now()), TYPING_MS);
    return () => clearTimeout(timer);
  }, [waiting, last?.seq]);

  const send = () => {
    const value = text.trim();
    if (!value) return;
    const max = connection.session?.limits.maxText ?? Infinity;
    if (value.length > max) return setProblem(`${localDigits(value.length, locale)} / ${localDigits(max, locale)}`);
    setProblem(undefined);
    connection.send({ text: value });
    setText('');
    setNow(Date.now());
  };

  const attach = async (chosen: File | undefined) => {
    if (!chosen) return;
    const limits = connection.session?.limits;
    if (limits && chosen.size > limits.maxFileBytes) return setProblem(t.fileTooBig(localDigits(Math.floor(limits.maxFileBytes / 1048576), locale)));
    if (limits && !limits.fileTypes.some((p) => (p.endsWith('/*') ? chosen.type.startsWith(p.slice(0, -1)) : chosen.type === p))) return setProblem(t.fileType);
    try {
      setProblem(undefined);
      connection.send({ file: await connection.upload(chosen) });
    } catch (error) {
      setProblem((error as Error).message);
    }
  };

  return (
    <>
      <div class="log" role="log" aria-live="polite" aria-label={t.transcript} ref={log}>
        {entries.map((entry) => (
          <Bubble
            key={entry.seq}
            entry={entry}
            locale={locale}
            active={entry.seq === last?.seq}
            read={entry.seq < lastReplySeq}
            base={connection.base}
            onChoose={(id, title) => connection.send({ reply: { id, title } })}
          />
        ))}
        {connection.outgoing.map((item) => (
          <Pending key={item.clientId} item={item} locale={locale} onRetry={() => connection.retry(item.clientId)} />
        ))}
        {waiting && <div class="typing">{t.typing}</div>}
      </div>
      {!connection.online && connection.hasSession && <div class="status">{t.offline}</div>}
      {problem && (
        <div class="status error" role="alert">
          {problem}
        </div>
      )}
      <div class="compose">
        <input
          ref={file}
          type="file"
          hidden
          accept={connection.session?.limits.fileTypes.join(',')}
          onChange={(e) => attach((e.currentTarget as HTMLInputElement).files?.[0])}
        />
        <button type="button" class="attach" aria-label={t.attach} onClick={() => file.current?.click()}>
          +
        </button>
        <textarea
          ref={box}
          rows={1}
          role="textbox"
          aria-label={t.messageBox}
          placeholder={t.placeholder}
          // Empty, it takes the widget's direction (the placeholder reads right); typed text decides its own.
          dir={text ? 'auto' : undefined}
          value={text}
          onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              send();
            }
          }}
        />
        <button type="button" onClick={send}>
          {t.send}
        </button>
      </div>
    </>
  );
}

function Bubble({
  entry,
  locale,
  active,
  read,
  base,
  onChoose,
}: {
  entry: Entry;
  locale: WidgetLocale;
  active: boolean;
  read: boolean;
  base: string;
  onChoose: (id: string, title: string) => void;
}) {
  const t = TEXTS[locale];
  const [listOpen, setListOpen] = useState(false);
  const href = (url: string | undefined) => (url?.startsWith('/') ? base + url : url);
  return (
    <div class={`msg ${entry.from}`} data-seq={entry.seq}>
      {entry.from === 'agent' && <span class="author">{entry.authorName ?? t.agent}</span>}
      {entry.text && <span dir="auto">{entry.text}</span>}
      {entry.attachments?.map((a, i) =>
        a.kind === 'image' && a.url ? (
          <img key={i} src={href(a.url)} alt={a.caption ?? a.name ?? ''} loading="lazy" />
        ) : (
          <a key={i} href={href(a.url)} target="_blank" rel="noopener" download={a.name}>
            {a.name ?? a.caption ?? a.kind}
          </a>
        ),
      )}
      {entry.buttons && entry.buttons.length > 0 && (
        <div class="choices">
          {entry.buttons.map((b) => (
            <button key={b.id} type="button" disabled={!active} onClick={() => onChoose(b.id, b.title)}>
              {b.title}
            </button>
          ))}
        </div>
      )}
      {entry.list && (
        <div class="choices">
          <button type="button" disabled={!active} aria-expanded={listOpen} onClick={() => setListOpen(!listOpen)}>
            {entry.list.button}
          </button>
        </div>
      )}
      {entry.list && listOpen && active && (
        <div class="rows">
          {entry.list.sections.flatMap((section) =>
            section.rows.map((row) => (
              <button key={row.id} type="button" onClick={() => onChoose(row.id, row.title)}>
                {row.title}
                {row.description && <small>{row.description}</small>}
              </button>
            )),
          )}
        </div>
      )}
      <span class="meta">
        {clock(entry.at, locale)}
        {entry.from === 'visitor' && <span aria-label={read ? t.read : t.delivered}> {read ? '✓✓' : '✓'}</span>}
      </span>
    </div>
  );
}

function Pending({ item, locale, onRetry }: { item: Outgoing; locale: WidgetLocale; onRetry: () => void }) {
  const t = TEXTS[locale];
  return (
    <div class={`msg visitor ${item.state === 'failed' ? 'failed' : ''}`} data-client-id={item.clientId}>
      <span dir="auto">{item.text ?? item.reply?.title ?? item.file?.name}</span>
      <span class="meta">
        {item.state === 'failed' ? (
          <>
            {t.failed}: {item.error}{' '}
            <button type="button" onClick={onRetry}>
              {t.retry}
            </button>
          </>
        ) : (
          <span aria-label={t.sending}>◷</span>
        )}
      </span>
    </div>
  );
}
