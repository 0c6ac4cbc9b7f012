import { useEffect, useState } from 'preact/hooks';
import { STUDIO_ACCESS } from '../roles.ts';
import { currentUser, logout, onUnauthorized, type StudioUser } from './api.ts';
import { LOCALES, type Locale, setLocale, t, useLocale } from './i18n.ts';
import { pages, type StudioPage } from './pages/index.ts';
import { LoginPage } from './pages/login.tsx';
import { matchPath, navigate, useRoutePath } from './router.ts';

const LOCALE_NAMES: Record<Locale, string> = { en: 'English', fa: 'فارسی', ar: 'العربية' };

const mayOpen = (user: StudioUser, page: StudioPage) => (STUDIO_ACCESS[page.area] as readonly string[]).includes(user.role);

export function App() {
  const locale = useLocale();
  const path = useRoutePath();
  const [user, setUser] = useState<StudioUser | null>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    currentUser().then(
      (found) => setUser(found ?? null),
      (failure: Error) => setError(failure.message),
    );
    return onUnauthorized(() => setUser(null));
  }, []);

  const languages = (
    <label class="language">
      {t('app.language')}{' '}
      <select value={locale} onChange={(e) => setLocale(e.currentTarget.value as Locale)}>
        {LOCALES.map((l) => (
          <option value={l} key={l}>
            {LOCALE_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );

  if (error) return <p class="error">{t('app.error', { message: error })}</p>;
  if (user === undefined) return <p class="loading">{t('app.loading')}</p>;
  if (user === null)
    return (
      <main class="center">
        {languages}
        <LoginPage onLogin={setUser} />
      </main>
    );

  const visible = pages.filter((p) => p.nav && mayOpen(user, p));
  const found = pages.map((page) => ({ page, params: matchPath(page.path, path) })).find((m) => m.params);
  if (!found && path === '/' && visible[0]) navigate(visible[0].path);
  const Page = found?.page.component;

  return (
    <div class="shell">
      <header>
        <strong class="brand">{t('app.title')}</strong>
        <nav>
          {visible.map((p) => (
            <a key={p.id} href={`#${p.path}`} class={found?.page.id === p.id ? 'active' : ''}>
              {t(p.title)}
            </a>
          ))}
        </nav>
        <span class="who">
          <span dir="ltr">{user.email}</span> · {t(`role.${user.role}`)}
        </span>
        {languages}
        <button type="button" onClick={() => void logout().then(() => setUser(null))}>
          {t('app.logout')}
        </button>
      </header>
      <main>
        {!found || !Page ? (
          <p>{path === '/' ? '' : t('app.notFound')}</p>
        ) : !mayOpen(user, found.page) ? (
          <p class="error">{t('app.forbidden')}</p>
        ) : (
          <Page params={found.params as Record<string, string>} />
        )}
      </main>
    </div>
  );
}
