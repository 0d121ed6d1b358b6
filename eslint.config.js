import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'tools/', 'dist/', '**/dist/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['scripts/**', 'loadtest/**', 'deploy/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // the apps report what they cannot show on screen to the browser's console
    files: ['apps/src/**'],
    rules: { 'no-console': ['error', { allow: ['error', 'warn'] }] },
  },
);
