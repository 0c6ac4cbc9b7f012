import { render } from 'preact';
import { App, type WidgetOptions } from './app.tsx';
import { Connection, type Identity } from './connection.ts';
import { widgetLocale } from './texts.ts';

/**
 * The widget's entry point. A site adds
 * `<script async src="https://parley.example.com/webchat/widget.js" data-locale="fa"></script>`
 * (data-color, data-position="start", data-prechat="name,email", data-user-id/-email/-phone/-name/-hmac)
 * or calls `Parley.init({...})` with the same options; `data-manual` waits for that call.
 */
interface InitOptions {
  locale?: string;
  color?: string;
  position?: 'end' | 'start';
  prechat?: string | readonly string[];
  identity?: Identity;
}

declare global {
  interface Window {
    Parley?: { init(options?: InitOptions): void; destroy(): void };
  }
}

const script = document.currentScript as HTMLScriptElement | null;
const base = script ? new URL(script.src).origin : location.origin;
let host: HTMLElement | undefined;
let connection: Connection | undefined;

function fromScript(): InitOptions {
  const data = script?.dataset ?? {};
  const identity = data.userId ? { userId: data.userId, email: data.userEmail, phone: data.userPhone, name: data.userName, hmac: data.userHmac } : undefined;
  return { locale: data.locale, color: data.color, position: data.position === 'start' ? 'start' : 'end', prechat: data.prechat, identity };
}

function init(given: InitOptions = {}): void {
  destroy();
  const merged = { ...fromScript(), ...given };
  const prechat = (typeof merged.prechat === 'string' ? merged.prechat.split(',') : (merged.prechat ?? []))
    .map((f) => f.trim())
    .filter((f): f is 'name' | 'email' | 'phone' => f === 'name' || f === 'email' || f === 'phone');
  const options: WidgetOptions = {
    locale: widgetLocale(merged.locale) ?? widgetLocale(document.documentElement.lang) ?? widgetLocale(navigator.language) ?? 'en',
    color: /^#[0-9a-fA-F]{3,8}$|^[a-z]+$/.test(merged.color ?? '') ? (merged.color as string) : '#1f6feb',
    position: merged.position === 'start' ? 'start' : 'end',
    prechat,
    storageKey: `parley.webchat:${base}`,
  };
  host = document.createElement('div');
  host.id = 'parley-webchat';
  document.body.appendChild(host);
  // Shadow DOM: the page's CSS cannot reach the widget, and the widget's cannot reach the page.
  const root = host.attachShadow({ mode: 'open' });
  const current = new Connection(base, options.storageKey);
  connection = current;
  const start = (form?: Record<string, string>) => current.start({ identity: merged.identity, prechat: form });
  const waitsForForm = prechat.length > 0 && !current.hasSession;
  if (!waitsForForm) void start().catch(() => undefined);
  render(<App connection={current} options={options} start={start} />, root);
}

function destroy(): void {
  connection?.stop();
  host?.remove();
  host = undefined;
}

window.Parley = { init, destroy };
if (script?.dataset.manual === undefined) {
  if (document.body) init();
  else document.addEventListener('DOMContentLoaded', () => init());
}
