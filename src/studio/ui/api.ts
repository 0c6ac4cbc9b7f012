/**
 * The studio's calls to its server: JSON in and out, the session cookie sent by the browser,
 * the CSRF token (from login or /me) on every mutating request. An error answer becomes an
 * ApiError carrying the server's message; a 401 also tells the app to show the login page.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Where a refused document is wrong (segments and campaigns typed as YAML): field, line, column. */
    readonly problems?: readonly { path: string; message: string; line?: number; column?: number }[],
  ) {
    super(message);
  }
}

export interface StudioUser {
  readonly email: string;
  readonly role: 'admin' | 'manager' | 'marketer' | 'agent';
}

let csrfToken: string | undefined;
const unauthorizedListeners = new Set<() => void>();

export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => void unauthorizedListeners.delete(listener);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const type = response.headers.get('content-type') ?? '';
  const data: unknown = type.includes('application/json') ? await response.json() : await response.text();
  if (!response.ok) {
    if (response.status === 401) for (const listener of unauthorizedListeners) listener();
    const error = (data as { error?: { message?: string; problems?: ApiError['problems'] } })?.error;
    throw new ApiError(response.status, error?.message ?? `${response.status} ${response.statusText}`, error?.problems);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

export async function login(email: string, password: string): Promise<StudioUser> {
  const answer = await request<{ user: StudioUser; csrfToken: string }>('POST', '/studio/api/login', { email, password });
  csrfToken = answer.csrfToken;
  return answer.user;
}

/** The logged-in user, or undefined when there is no session. */
export async function currentUser(): Promise<StudioUser | undefined> {
  try {
    const answer = await request<{ user: StudioUser; csrfToken: string }>('GET', '/studio/api/me');
    csrfToken = answer.csrfToken;
    return answer.user;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
}

export async function logout(): Promise<void> {
  await request('POST', '/studio/api/logout');
  csrfToken = undefined;
}
