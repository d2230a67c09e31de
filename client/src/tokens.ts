/** What a signed-in client holds. In cookie mode the refresh token is an HttpOnly cookie, not here. */
export interface Tokens {
  accessToken: string;
  /** Bearer mode only: rotated on every refresh, so the store is written after each one. */
  refreshToken?: string | undefined;
  /** Cookie mode only: sent back in `X-CSRF-Token` on POST, PUT, PATCH and DELETE. */
  csrfToken?: string | undefined;
}

/** Where the client keeps its tokens. Methods may be synchronous or return promises. */
export interface TokenStore {
  get(): Tokens | null | Promise<Tokens | null>;
  set(tokens: Tokens): void | Promise<void>;
  clear(): void | Promise<void>;
}

/** Tokens in memory only: gone when the page or app reloads. With cookie mode, the browser's best choice. */
export function memoryTokenStore(initial: Tokens | null = null): TokenStore {
  let tokens = initial;
  return {
    get: () => tokens,
    set: (next) => {
      tokens = next;
    },
    clear: () => {
      tokens = null;
    },
  };
}

/** The part of the Web Storage API (`sessionStorage`, `localStorage`) the browser store uses. */
export interface WebStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Tokens in `sessionStorage` or `localStorage`. Any script on the page can read web storage, so an XSS flaw
 * would hand over a refresh token that lasts up to 30 days: browsers should prefer cookie mode
 * (`tokenDelivery: "cookie"`, with `memoryTokenStore`), which keeps the refresh token out of JavaScript.
 */
export function webStorageTokenStore(storage: WebStorage, key = "finedge.tokens"): TokenStore {
  return {
    get: () => {
      const value = storage.getItem(key);
      return value === null ? null : (JSON.parse(value) as Tokens);
    },
    set: (tokens) => storage.setItem(key, JSON.stringify(tokens)),
    clear: () => storage.removeItem(key),
  };
}

/**
 * The shape of a React Native secure store the app plugs in: expo-secure-store's `getItemAsync`,
 * `setItemAsync`, `deleteItemAsync`, or react-native-keychain's generic password wrapped to fit.
 */
export interface SecureStorageAdapter {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  deleteItem(key: string): Promise<void>;
}

/**
 * Tokens in the device's secure storage (Keychain, Keystore), read once and then served from memory: every
 * call needs the access token, and a keychain read costs milliseconds.
 */
export function secureTokenStore(adapter: SecureStorageAdapter, key = "finedge.tokens"): TokenStore {
  let cached: Promise<Tokens | null> | undefined;
  return {
    get: () => {
      cached ??= adapter
        .getItem(key)
        .then((value) => (value === null ? null : (JSON.parse(value) as Tokens)));
      return cached;
    },
    set: async (tokens) => {
      cached = Promise.resolve(tokens);
      await adapter.setItem(key, JSON.stringify(tokens));
    },
    clear: async () => {
      cached = Promise.resolve(null);
      await adapter.deleteItem(key);
    },
  };
}
