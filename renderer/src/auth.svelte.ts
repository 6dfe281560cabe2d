// The browser's way in without the token: when the server refuses the page
// (no token, or a refused one) and accepts an admin password, the app shows
// a login form instead of the screens. Only for the HTTP transport; the
// desktop app needs none of it.

import type { AuthApi } from './http-bridge.js';

export class AuthState {
  /** Whether the server takes a password; null until asked (or when it cannot be reached). */
  password = $state.raw<boolean | null>(null);
  /** The server's sentence after a failed login. */
  error = $state.raw<string | null>(null);
  busy = $state(false);
  /** Whether this tab's token is a session from a login (so Log out makes sense). */
  session = $state(false);
  /** Bumped on every login and logout: the app reloads its state and reopens its event socket with the new token. */
  generation = $state(0);

  readonly #api: AuthApi;

  constructor(api: AuthApi) {
    this.#api = api;
    this.session = api.isSession();
  }

  async check(): Promise<void> {
    this.password = await this.#api.passwordLogin();
  }

  async login(password: string): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    try {
      const r = await this.#api.login(password);
      if (!r.ok) {
        this.error = r.message;
        return false;
      }
      this.error = null;
      this.session = true;
      this.generation++;
      return true;
    } finally {
      this.busy = false;
    }
  }

  async logout(): Promise<void> {
    await this.#api.logout();
    this.session = false;
    this.generation++;
  }
}
