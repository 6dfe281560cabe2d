// The password login (components/Login.svelte with AuthState): the form
// sends the password, shows the server's sentence when it is refused, and a
// success bumps the generation (the app reloads with the session token);
// every label switches language.
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthState } from '../src/auth.svelte.js';
import Login from '../src/components/Login.svelte';
import type { AuthApi, LoginReply } from '../src/http-bridge.js';
import { i18n } from '../src/i18n/index.svelte.js';

function fakeApi(replies: LoginReply[]) {
  const tried: string[] = [];
  let session = false;
  const api: AuthApi = {
    passwordLogin: async () => true,
    async login(password) {
      tried.push(password);
      const r = replies.shift() ?? { ok: false, message: 'no more replies' };
      if (r.ok) session = true;
      return r;
    },
    isSession: () => session,
    async logout() {
      session = false;
    },
  };
  return { api, tried };
}

beforeEach(() => i18n.set('en'));
afterEach(() => {
  cleanup();
  i18n.set('en');
});

describe('Login', () => {
  it('shows the refusal, then logs in', async () => {
    const { api, tried } = fakeApi([{ ok: false, message: 'Wrong password' }, { ok: true }]);
    const auth = new AuthState(api);
    render(Login, { props: { auth } });
    const input = screen.getByTestId('login-password') as HTMLInputElement;
    const submit = screen.getByTestId('login-submit') as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    await fireEvent.input(input, { target: { value: 'guess guess guess' } });
    await fireEvent.submit(screen.getByTestId('login-form'));
    expect(await screen.findByText('Wrong password')).toBeTruthy();
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(auth.generation).toBe(0);

    await fireEvent.input(input, { target: { value: 'the right password' } });
    await fireEvent.submit(screen.getByTestId('login-form'));
    await waitUntil(() => auth.generation === 1);
    expect(tried).toEqual(['guess guess guess', 'the right password']);
    expect(auth.session).toBe(true);
    expect(auth.error).toBe(null);
    flushSync();
    expect(input.value).toBe('');

    await auth.logout();
    expect([auth.session, auth.generation]).toEqual([false, 2]);
  });

  it('speaks Chinese', () => {
    render(Login, { props: { auth: new AuthState(fakeApi([]).api) } });
    expect(screen.getByRole('heading').textContent).toBe('Log in to Keyhold');
    i18n.set('zh-CN');
    flushSync();
    expect(screen.getByRole('heading').textContent).toBe('登录 Keyhold');
    expect(screen.getByTestId('login-submit').textContent?.trim()).toBe('登录');
    expect(screen.getByLabelText('管理密码')).toBeTruthy();
  });
});

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}
