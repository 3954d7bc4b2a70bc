import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['.bench-out/**', 'scratch/**', 'dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test-output/**', '**/*.d.ts'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // src/core and src/common are plain Node: they must never import vscode.
    files: ['src/core/**/*.ts', 'src/common/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core and src/common must not depend on VS Code' }] }] },
  },
  {
    // the token inspector's webview script runs in a browser
    files: ['media/**/*.js'],
    languageOptions: { globals: { acquireVsCodeApi: 'readonly', document: 'readonly', window: 'readonly', Node: 'readonly' } },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URLSearchParams: 'readonly', URL: 'readonly', performance: 'readonly' },
    },
  },
);
