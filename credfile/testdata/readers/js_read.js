#!/usr/bin/env node
// Read credentials files the way the AWS SDK for JavaScript does
// (@smithy/shared-ini-file-loader, loadSharedConfigFiles).
//
// Helper of credfile's differential test (credfile/readers_test.go). The
// loader is taken from $CREDSWAP_JS_LOADER_DIR/node_modules, where CI
// installs it with `npm install @smithy/shared-ini-file-loader`.
//
// Standard input: one file path per line. Standard output: one JSON object
// that maps each path to one of
//
//   {"sections": {name: {key: value}}}   the loader's credentialsFile
//   {"error": "..."}                     the parser threw
//   {"missing": true, "sections": {}}    the file does not exist
//
// loadSharedConfigFiles swallows every parse error into {}: a file whose
// parse throws (a [__proto__] section) looks like an empty one. To tell
// them apart, each file is loaded a second time with a probe section
// appended (through the loader's own externalDataInterceptor, so that the
// same code parses it): a result without the probe means the parser threw.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.CREDSWAP_JS_LOADER_DIR;
if (!dir) {
  console.error('js_read.js: CREDSWAP_JS_LOADER_DIR is not set');
  process.exit(2);
}
const loader = require(path.join(dir, 'node_modules', '@smithy', 'shared-ini-file-loader'));

const PROBE = '__credswap_probe__';
// Never read from disk: its content is handed to the loader's interceptor.
const PROBE_PATH = path.join(path.sep, 'credswap-js-probe', 'credentials');

async function load(filepath) {
  const files = await loader.loadSharedConfigFiles({
    filepath,
    configFilepath: path.join(path.sep, 'nonexistent', 'config'),
    ignoreCache: true,
  });
  return files.credentialsFile;
}

async function read(p) {
  let text;
  try {
    text = fs.readFileSync(p, 'utf8'); // as the loader reads it
  } catch (e) {
    if (e.code === 'ENOENT') {
      return { missing: true, sections: {} };
    }
    return { error: String(e) };
  }
  const sections = await load(p);
  if (loader.externalDataInterceptor) {
    loader.externalDataInterceptor.interceptFile(PROBE_PATH, `${text}\n[${PROBE}]\nk = v\n`);
    const probed = await load(PROBE_PATH);
    if (!Object.prototype.hasOwnProperty.call(probed, PROBE)) {
      return { error: 'the parser threw (loadSharedConfigFiles returned {})' };
    }
  }
  return { sections };
}

async function main() {
  const paths = fs.readFileSync(0, 'utf8').split('\n').filter((p) => p !== '');
  const out = {};
  for (const p of paths) {
    out[p] = await read(p);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
