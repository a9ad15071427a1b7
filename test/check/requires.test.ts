import { brokenRequires, formatBrokenRequire, requiresOf } from '../../scripts/ship/requires';

// The compiled shapes miniprogram-ci emits (Babel's CommonJS): what npm run package checks against the file list.
describe('require() targets of the compiled mini-program', () => {
  it('finds require calls, not the word in strings or comments', () => {
    const text =
      'var a = require("./a");\n// require("./commented")\nvar s = "require(\'./quoted\')";\nrequire(`../b`);';
    expect(requiresOf('x.js', text)).toEqual([
      { specifier: './a', line: 1 },
      { specifier: '../b', line: 4 },
    ]);
  });

  it('accepts targets that ship: with or without .js, a folder index.js, from the root, from miniprogram_npm/', () => {
    const files = {
      'app.js': 'require("./services/auth"); require("/utils/format.js"); require("./lib");',
      'services/auth.js': 'require("../@babel/runtime/helpers/typeof");',
      '@babel/runtime/helpers/typeof.js': '',
      'utils/format.js': '',
      'lib/index.js': '',
      'pages/login/login.js': 'require("tiny"); require("tiny/extra");',
      'miniprogram_npm/tiny/index.js': '',
      'miniprogram_npm/tiny/extra.js': '',
      'pages/login/login.wxs': 'var f = require("../../utils/fmt.wxs");',
      'utils/fmt.wxs': '',
    };
    expect(brokenRequires(files)).toEqual([]);
  });

  it('reports each require of a file that is not in the package, with the file and the missing target', () => {
    const files = {
      // A value imported from contracts/ by a page (depth 3) and server/ by a service (depth 2) and a page (3).
      'pages/login/login.js': 'var _c = require("../../../contracts");\nvar _s = require("../../../server/handler");',
      'services/cloud.js': 'var _s = require("../../server/handler");',
      'services/auth.js': 'require("valibot"); require("./missing");',
      'pages/login/login.wxs': 'require("./fmt");',
    };
    const broken = brokenRequires(files);
    expect(broken.map(formatBrokenRequire)).toEqual([
      'pages/login/login.js:1 requires "../../../contracts" (../contracts, outside the mini-program root): the page fails on a phone when it loads',
      'pages/login/login.js:2 requires "../../../server/handler" (../server/handler, outside the mini-program root): the page fails on a phone when it loads',
      'pages/login/login.wxs:1 requires "./fmt" (pages/login/fmt, not in the package): the page fails on a phone when it loads',
      'services/auth.js:1 requires "valibot" (miniprogram_npm/valibot, not in the package): the page fails on a phone when it loads',
      'services/auth.js:1 requires "./missing" (services/missing, not in the package): the page fails on a phone when it loads',
      'services/cloud.js:1 requires "../../server/handler" (../server/handler, outside the mini-program root): the page fails on a phone when it loads',
    ]);
  });
});
