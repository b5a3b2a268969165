// Flat config: typescript-eslint's recommended rules over the sources; compiled output and fixtures are ignored.
// The layers of lib/ are enforced by rules generated from the one layer table, scripts/layers.js (docs/design.md, "Layers").
const tseslint = require('typescript-eslint');
const { eslintLayerConfigs } = require('./scripts/layers');

module.exports = tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'cdktf.out/**', 'coverage/**', 'test/fixtures/**', 'lib/generated/**', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests parse untyped JSON from servers and files; `any` there is the honest type.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...eslintLayerConfigs(),
);
