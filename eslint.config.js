import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // The scratch app is compiled by its own strict tsc against the packed packages (scripts/scratch-app.sh).
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'docs/api/**', '.pack/**', 'scripts/scratch-app/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Library code writes through the Logger it was given, never to the console.
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.test-d.ts'],
    rules: { 'no-console': 'error' },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  // Plain ESM scripts (benchmarks, demo, fixtures) run on Node: its globals are known.
  { files: ['**/*.js', '**/*.mjs'], rules: { 'no-undef': 'off' } },
  {
    files: ['**/*.test.ts', 'bench/**', 'scripts/**', '**/demo.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
