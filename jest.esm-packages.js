// Jest transformer for the dependencies published as ES modules only (jose 6, @nestjs/* 12). The
// services load them with require() (Node 20.19+), but jest's module system cannot require ESM before
// Node 24.9, so they are compiled to CommonJS here: ts-jest does the module conversion, and
// `import.meta.url` (which CommonJS has no syntax for; @nestjs uses it for createRequire) becomes the
// file's own URL first.
const { TsJestTransformer } = require('ts-jest');

const IMPORT_META_URL = /\bimport\.meta\.url\b/g;
const toCommonJs = (source) => source.replace(IMPORT_META_URL, "require('node:url').pathToFileURL(__filename).href");

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
