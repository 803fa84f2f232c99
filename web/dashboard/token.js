// The page's token: taken from the #fragment (never sent to any server), kept in this tab's
// sessionStorage, and removed from the address bar so it is not in history or a screenshot.
const KEY = 'cco.dashboard.token';

export function takeToken() {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(KEY);
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

/** The claims, for display and to hide what the token may not do (the server decides anyway). */
export function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '=')));
  } catch {
    return null;
  }
}

export function may(claims, permission) {
  const granted = Array.isArray(claims?.permissions) ? claims.permissions : [];
  return granted.includes('admin') || granted.includes(permission);
}
