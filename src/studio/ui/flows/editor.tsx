import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n.ts';
import type { GraphNode } from './types.ts';

const RTL_LOCALES = new Set(['fa', 'ar', 'he', 'ur']);

/** One step's texts side by side per locale (fa and ar right to left) and its settings as a form. */
export function StepEditor({
  node,
  locales,
  readOnly,
  onSaveText,
  onSaveSettings,
}: {
  node: GraphNode;
  locales: string[];
  readOnly: boolean;
  onSaveText: (field: string, locale: string, text: string) => Promise<void>;
  onSaveSettings: (settings: Record<string, string | number | boolean | null>) => Promise<void>;
}) {
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [settings, setSettings] = useState<Record<string, string | number | boolean | null>>({});
  useEffect(() => {
    setTexts({});
    setSettings(node.settings);
  }, [node]);
  const key = (field: string, locale: string) => `${field}|${locale}`;
  return (
    <div class="step-editor card" data-editing={node.id}>
      <h3 dir="ltr">{node.id}</h3>
      {node.errors.length > 0 && (
        <ul class="problems error" dir="ltr">
          {node.errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      <h4>{t('flow.texts')}</h4>
      {node.texts.map((text) => (
        <div class="texts" key={text.field}>
          <div class="field muted" dir="ltr">
            {text.field}
          </div>
          <div class="locales">
            {locales.map((locale) => {
              const k = key(text.field, locale);
              const value = texts[k] ?? text.locales[locale] ?? '';
              return (
                <label key={locale} class="locale-text">
                  <span>{locale}</span>
                  <textarea
                    name={`text-${text.field}-${locale}`}
                    dir={RTL_LOCALES.has(locale) ? 'rtl' : 'ltr'}
                    lang={locale}
                    rows={3}
                    readOnly={readOnly}
                    value={value}
                    onInput={(e) => setTexts({ ...texts, [k]: e.currentTarget.value })}
                  />
                  {!readOnly && texts[k] !== undefined && texts[k] !== text.locales[locale] && (
                    <button type="button" class="primary" data-save={k} onClick={() => void onSaveText(text.field, locale, texts[k] as string)}>
                      {t('flow.saveText')}
                    </button>
                  )}
                </label>
              );
            })}
          </div>
        </div>
      ))}
      <h4>{t('flow.settings')}</h4>
      <form
        class="settings"
        onSubmit={(e) => {
          e.preventDefault();
          const changed = Object.fromEntries(Object.entries(settings).filter(([k, v]) => node.settings[k] !== v));
          void onSaveSettings(changed);
        }}
      >
        {Object.entries(settings).map(([field, value]) => (
          <label key={field} dir="ltr">
            <span>{field}</span>
            {typeof value === 'boolean' ? (
              <input
                type="checkbox"
                name={field}
                checked={value}
                disabled={readOnly}
                onChange={(e) => setSettings({ ...settings, [field]: e.currentTarget.checked })}
              />
            ) : (
              <input
                name={field}
                type={typeof value === 'number' ? 'number' : 'text'}
                value={value ?? ''}
                readOnly={readOnly}
                onInput={(e) => setSettings({ ...settings, [field]: typeof value === 'number' ? Number(e.currentTarget.value) : e.currentTarget.value })}
              />
            )}
          </label>
        ))}
        {!readOnly && (
          <button type="submit" name="save-settings">
            {t('flow.saveSettings')}
          </button>
        )}
      </form>
    </div>
  );
}
