#!/usr/bin/env node
// Resolve the region of a profile the way the AWS SDK for JavaScript v3
// does, for e2e_region_test.go.
//
// The shared files are read with @smithy/shared-ini-file-loader, taken from
// $CREDSWAP_JS_LOADER_DIR/node_modules (where CI runs `npm install
// @smithy/shared-ini-file-loader`); the files and the profile come from the
// environment as the SDK takes them (HOME, AWS_SHARED_CREDENTIALS_FILE,
// AWS_CONFIG_FILE, AWS_PROFILE).
//
// When that node_modules also holds @smithy/node-config-provider and
// @smithy/config-resolver, the SDK's own region provider is used:
// loadConfig(NODE_REGION_CONFIG_OPTIONS). Otherwise its chain is followed
// here, step for step:
//
//   1. fromEnv: AWS_REGION (the JavaScript SDK does not read AWS_DEFAULT_REGION);
//   2. fromSharedConfigFiles with the default preferredFile "config": the
//      profile's sections of both files merged, the config file's keys over
//      the credentials file's ({...credentialsFile[p], ...configFile[p]}),
//      and its `region`.
//
// Standard output: {"region": "...", "via": "node-config-provider" | "emulated"},
// region null when none resolves.
'use strict';

const path = require('node:path');

const dir = process.env.CREDSWAP_JS_LOADER_DIR;
if (!dir) {
  console.error('js_region.js: CREDSWAP_JS_LOADER_DIR is not set');
  process.exit(2);
}
const modules = path.join(dir, 'node_modules');
const loader = require(path.join(modules, '@smithy', 'shared-ini-file-loader'));

function optional(name) {
  try {
    return require(path.join(modules, ...name.split('/')));
  } catch (e) {
    if (e.code === 'MODULE_NOT_FOUND') {
      return null;
    }
    throw e;
  }
}

async function viaProvider() {
  const provider = optional('@smithy/node-config-provider');
  const resolver = optional('@smithy/config-resolver');
  if (!provider || !resolver || !resolver.NODE_REGION_CONFIG_OPTIONS) {
    return undefined;
  }
  try {
    return await provider.loadConfig(resolver.NODE_REGION_CONFIG_OPTIONS, { ignoreCache: true })();
  } catch (e) {
    // Its default throws when no source has a region.
    return null;
  }
}

async function emulated() {
  const fromEnv = process.env.AWS_REGION;
  if (fromEnv !== undefined && fromEnv !== '') {
    return fromEnv;
  }
  const profile = loader.getProfileName({});
  const { configFile, credentialsFile } = await loader.loadSharedConfigFiles({ ignoreCache: true });
  const merged = { ...(credentialsFile[profile] || {}), ...(configFile[profile] || {}) };
  return merged.region === undefined ? null : merged.region;
}

async function main() {
  let region = await viaProvider();
  let via = 'node-config-provider';
  if (region === undefined) {
    region = await emulated();
    via = 'emulated';
  }
  process.stdout.write(JSON.stringify({ region, via }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
