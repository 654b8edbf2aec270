// Environment for node-gyp so that building the addon needs no download: when no nodedir is
// configured and this Node installation ships its own headers (<prefix>/include/node/node_api.h,
// as the official tarballs and distribution packages do), point node-gyp at them. Otherwise
// node-gyp would fetch the headers tarball from nodejs.org, which fails on offline machines.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function nodeGypEnv(base = process.env) {
  const env = { ...base };
  if (!env.npm_config_nodedir && !env.NPM_CONFIG_NODEDIR) {
    const prefix = dirname(dirname(process.execPath));
    if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
  }
  if (!env.JOBS) env.JOBS = '2';
  return env;
}

// Command (argv) that runs node-gyp: npm's bundled copy when run from an npm script, else PATH.
export function nodeGypCommand() {
  const bundled = process.env.npm_config_node_gyp;
  if (bundled && existsSync(bundled)) return [process.execPath, bundled];
  return ['node-gyp'];
}
