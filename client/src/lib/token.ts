// The API token, for deployments without a sign-in proxy in front. Demo mode needs none (anonymous
// requests from loopback are allowed there).

const KEY = 'teslasync.token';

export function getToken(): string | null {
  try {
    return localStorage.getItem(KEY) || null;
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(KEY, token.trim());
    else localStorage.removeItem(KEY);
  } catch {
    // storage refused (private mode): the token lasts for this page only
  }
}
