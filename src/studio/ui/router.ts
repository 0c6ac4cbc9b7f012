import { useEffect, useState } from 'preact/hooks';

/** Hash routes (#/flows/complaint): the server serves one page, and a reload keeps the place. */
export const currentPath = (): string => decodeURI(location.hash.replace(/^#/, '')) || '/';

export function navigate(path: string): void {
  location.hash = path;
}

export function useRoutePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const update = () => setPath(currentPath());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return path;
}

/** The parameters of a path against a pattern such as /flows/:id, or undefined when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const given = have[i] as string;
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(given);
    else if (part !== given) return undefined;
  }
  return params;
}
