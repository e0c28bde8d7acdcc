// The API token, for deployments without a sign-in proxy in front. Demo mode needs none (anonymous
// requests from loopback are allowed there).

const KEY = 'teslasync.token';

const listeners = new Set<() => void>();

export function getToken(): string | null {
  try {
    return localStorage.getItem(KEY) || null;
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  const before = getToken();
  try {
    if (token) localStorage.setItem(KEY, token.trim());
    else localStorage.removeItem(KEY);
  } catch {
    // storage refused (private mode): the token lasts for this page only
  }
  if (getToken() !== before) listeners.forEach((listener) => listener());
}

/** Called when the token changes: saved on this page, or in another tab of this browser. */
export function onTokenChange(listener: () => void): () => void {
  const fromOtherTab = (event: StorageEvent) => {
    if (event.key === KEY || event.key === null) listener();
  };
  listeners.add(listener);
  window.addEventListener('storage', fromOtherTab);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', fromOtherTab);
  };
}
