// Jest transformer for the dependencies published as ES modules only (jose 6, @nestjs/* 12). The
// services load them with require() (Node 20.19+), but jest's module system cannot require ESM before
// Node 24.9, so they are compiled to CommonJS here: ts-jest does the module conversion, and
// `import.meta.url` (which CommonJS has no syntax for; @nestjs uses it for createRequire) becomes the
// file's own URL first (`import.meta.dirname` its directory, `import.meta.resolve` require.resolve, as
// @nestjs/terminus uses them). A module that makes its own `require` (`const require =
// createRequire(import.meta.url)`, @nestjs/terminus) keeps CommonJS's instead, which is the same function
// and may not be declared twice.
const { TsJestTransformer } = require('ts-jest');

const IMPORT_META_URL = /\bimport\.meta\.url\b/g;
const OWN_REQUIRE = /^const require = createRequire\(import\.meta\.url\);$/m;
const toCommonJs = (source) =>
  source
    .replace(OWN_REQUIRE, '')
    .replace(/\bimport\.meta\.dirname\b/g, '__dirname')
    .replace(/\bimport\.meta\.resolve\(/g, 'require.resolve(')
    .replace(IMPORT_META_URL, "require('node:url').pathToFileURL(__filename).href");

class EsmPackageTransformer extends TsJestTransformer {
  process(source, path, options) {
    return super.process(toCommonJs(source), path, options);
  }

  processAsync(source, path, options) {
    return super.processAsync(toCommonJs(source), path, options);
  }

  getCacheKey(source, path, options) {
    return super.getCacheKey(toCommonJs(source), path, options);
  }

  getCacheKeyAsync(source, path, options) {
    return super.getCacheKeyAsync(toCommonJs(source), path, options);
  }
}

module.exports = { createTransformer: (config) => new EsmPackageTransformer(config) };
