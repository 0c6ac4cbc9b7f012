import { useState } from 'preact/hooks';
import { login, type StudioUser } from '../api.ts';
import { t, useLocale } from '../i18n.ts';

export function LoginPage({ onLogin }: { onLogin: (user: StudioUser) => void }) {
  useLocale();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onLogin(await login(email, password));
    } catch (failure) {
      setError(t('login.failed', { message: (failure as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="login card" onSubmit={submit}>
      <h1>{t('login.title')}</h1>
      <label>
        {t('login.email')}
        <input name="email" type="email" dir="ltr" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </label>
      <label>
        {t('login.password')}
        <input name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy}>
        {t('login.submit')}
      </button>
    </form>
  );
}
