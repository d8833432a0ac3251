/** The domain stays pure: no framework, I/O, or other project layers (STYLE habit 1). */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'libs/domain must not import frameworks, I/O libraries, Node built-ins or other project code',
      from: { path: '^libs/domain/src', pathNot: '\\.spec\\.ts$' },
      to: {
        pathNot: '^libs/domain/src',
      },
    },
    {
      name: 'contracts-independent-of-apps',
      severity: 'error',
      from: { path: '^libs/contracts/src' },
      to: { path: '^(apps|libs/platform)/' },
    },
  ],
  options: { doNotFollow: { path: 'node_modules' }, tsConfig: { fileName: 'tsconfig.json' } },
};
