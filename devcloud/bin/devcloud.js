#!/usr/bin/env node
// devcloud's command line. The package ships its TypeScript source and tsx (esbuild) compiles it in memory as it
// loads: no type-check, no build step, nothing written beside the sources. So the bin works the same from a folder
// install (a symlink to a source checkout, where npm runs no build script of a dependency) and from a tarball.
// tsx is registered in a namespace, so only devcloud's own modules go through it, and with devcloud's tsconfig,
// so the host project's compiler settings never change how devcloud is compiled.
'use strict';

const path = require('path');

process.env.TSX_TSCONFIG_PATH = path.join(__dirname, '..', 'tsconfig.json');
const tsx = require('tsx/cjs/api').register({ namespace: 'devcloud' });
delete process.env.TSX_TSCONFIG_PATH;

tsx.require('../cli.ts', __filename).runCli(process.argv.slice(2));
