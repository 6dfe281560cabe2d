// The i18n module: t() fills placeholders, set() switches every string at
// once and keeps the choice in localStorage, and a new page starts from the
// saved choice, or from the browser's language when there is none.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type I18nModule = typeof import('../src/i18n/index.svelte.js');

/** A fresh copy of the module, as a new page load would get. */
async function load(): Promise<I18nModule> {
  vi.resetModules();
  return import('../src/i18n/index.svelte.js');
}

beforeEach(() => {
  localStorage.clear();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('i18n', () => {
  it('t() fills {placeholders} and leaves unknown ones visible', async () => {
    const { i18n, t } = await load();
    i18n.set('en');
    expect(t('logs.resume', { count: 3 })).toBe('Resume (3 waiting)');
    expect(t('logs.resume')).toBe('Resume ({count} waiting)');
    expect(t('forms.days.invalid', { value: 'x', min: 0, max: 9 })).toBe('"x" is not a number of days: give a whole number from 0 to 9.');
  });

  it('switching the locale changes t() and the document language, and is saved', async () => {
    const { i18n, t } = await load();
    i18n.set('en');
    expect(t('nav.logs')).toBe('Logs');
    i18n.set('zh-CN');
    expect(i18n.locale).toBe('zh-CN');
    expect(t('nav.logs')).toBe('日志');
    expect(t('logs.resume', { count: 2 })).toBe('继续（2 条等待中）');
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(localStorage.getItem('keyhold.locale')).toBe('zh-CN');
  });

  it('a new page starts in the saved language, whatever the browser says', async () => {
    localStorage.setItem('keyhold.locale', 'zh-CN');
    vi.stubGlobal('navigator', { language: 'en-US' });
    expect((await load()).i18n.locale).toBe('zh-CN');
    localStorage.setItem('keyhold.locale', 'en');
    vi.stubGlobal('navigator', { language: 'zh-TW' });
    expect((await load()).i18n.locale).toBe('en');
  });

  it('without a saved choice it follows the browser; a bad saved value is ignored', async () => {
    vi.stubGlobal('navigator', { language: 'zh-Hans-CN' });
    expect((await load()).i18n.locale).toBe('zh-CN');
    localStorage.setItem('keyhold.locale', 'fr"><script>');
    vi.stubGlobal('navigator', { language: 'de-DE' });
    expect((await load()).i18n.locale).toBe('en');
  });

  it('isLocale accepts only the offered locales', async () => {
    const { isLocale, LOCALES } = await load();
    expect(LOCALES.map((l) => l.id)).toEqual(['en', 'zh-CN']);
    expect(isLocale('zh-CN')).toBe(true);
    expect(isLocale('zh')).toBe(false);
    expect(isLocale(undefined)).toBe(false);
  });
});
