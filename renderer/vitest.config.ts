// The renderer's unit and component tests (renderer/test/*.test.ts), run by
// `npx vitest run --config renderer/vitest.config.ts` (part of npm test).
// jsdom stands in for the page; the state classes (.svelte.ts) and screens
// compile through the same Svelte plugin as the build.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [svelte({ configFile: false, compilerOptions: { runes: true } })],
  // Svelte 5 resolves to its server build without the browser condition, and `mount` then throws.
  resolve: { conditions: ['browser'] },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.ts'],
    restoreMocks: true,
  },
});
