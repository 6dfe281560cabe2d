// A failed call's error on screen: ErrorNotice shows the catalogue's text of
// the message key main sent, in the chosen language (and switches with it),
// and the English message as it came when there is no key or the catalogue
// does not know it. Also: the client keeps key and params of a failed call.
import { cleanup, render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IpcError } from '../../shared/ipc/errors.js';
import { clientFromBridge, KeyholdError } from '../src/api.js';
import ErrorNotice from '../src/components/ErrorNotice.svelte';
import { errorText, i18n } from '../src/i18n/index.svelte.js';
import { toIpcError } from '../src/screens/action.js';
import type { KeyholdBridge } from '../../shared/ipc/contract.js';

const keyed: IpcError = {
  code: 'bad_request',
  message: 'Port 5696 is in use by another program: stop that program, or use port 5697 (free)',
  key: 'errors.port.inUse',
  params: { port: 5696, suggested: 5697 },
};

beforeEach(() => i18n.set('en'));
afterEach(() => {
  cleanup();
  i18n.set('en');
});

describe('ErrorNotice', () => {
  it('shows a keyed error in Chinese when the locale is zh-CN, and switches back with the locale', () => {
    i18n.set('zh-CN');
    render(ErrorNotice, { props: { error: keyed, testid: 'err' } });
    expect(screen.getByTestId('err').textContent).toBe('端口 5696 已被其他程序占用：请停止该程序，或使用端口 5697（空闲）');
    expect(screen.getByRole('alert')).toBeTruthy();
    i18n.set('en');
    flushSync();
    expect(screen.getByTestId('err').textContent).toBe(keyed.message);
  });

  it('shows the message as it came for an error without a key, whatever the locale', () => {
    i18n.set('zh-CN');
    render(ErrorNotice, { props: { error: { code: 'bad_request', message: 'The engine said no' }, testid: 'err' } });
    expect(screen.getByTestId('err').textContent).toBe('The engine said no');
  });

  it('falls back to the message for a key the catalogue does not have', () => {
    i18n.set('zh-CN');
    render(ErrorNotice, { props: { error: { code: 'bad_request', message: 'From a newer main', key: 'errors.fromTheFuture', params: {} }, testid: 'err' } });
    expect(screen.getByTestId('err').textContent).toBe('From a newer main');
  });

  it('translates the field problems of shared/forms a handler refuses with', () => {
    i18n.set('zh-CN');
    expect(errorText({ message: 'x', key: 'forms.clientName.invalid', params: { value: 'a b' } })).toBe('“a b”不是有效的客户端名称：请使用 1 到 64 个字母、数字、“.”、“_”或“-”。');
  });

  it('renders nothing without an error', () => {
    render(ErrorNotice, { props: { error: null, testid: 'err' } });
    expect(screen.queryByTestId('err')).toBeNull();
  });
});

describe('the client keeps the key of a failed call', () => {
  it('KeyholdError and toIpcError carry key and params from the reply', async () => {
    const bridge = {
      call: new Proxy({}, { get: () => async () => ({ ok: false, error: keyed }) }),
      on: () => () => {},
    } as unknown as KeyholdBridge;
    const client = clientFromBridge(bridge, 'electron');
    const err = await client.call('settings.set', { kmipPort: 5696 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyholdError);
    expect(toIpcError(err)).toEqual(keyed);
  });
});
