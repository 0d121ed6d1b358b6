/**
 * Builds the two apps (console.html, patient.html, and index.html linking them) into static
 * files with relative paths, so dist/ can be served from any folder of any web server.
 * The SDK is compiled from its sources (client-sdk/src), like the protocol it shares with the server.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { '@tether/client': here('../client-sdk/src/index.ts') } },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: { index: here('index.html'), console: here('console.html'), patient: here('patient.html') },
    },
  },
});
