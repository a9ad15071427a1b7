import * as fs from 'node:fs';
import * as path from 'node:path';
import { lineOf, type Problem } from './problems';
import { listFiles, PLACEHOLDER_APPID, rel, type ShipProject } from './project';

/**
 * The kit's own placeholders, which must not reach users: the sample 《用户协议》 and 《隐私政策》 texts, the
 * placeholder appid and the CloudBase env id `your-env-id`. A real `npm run deploy` refuses to upload while any
 * remain; `npm run package` and the deploy dry run list them as warnings (the kit itself is a template).
 */
const TEXT_PLACEHOLDERS: readonly { text: string; what: string }[] = [
  { text: '【示例文本，请替换】', what: "marks the kit's sample text: write your own" },
  // The sample documents' bodies say so too: removing the marker alone does not make them yours.
  { text: '占位文本', what: "the kit's sample document text: write your own" },
  { text: 'your-env-id', what: 'the placeholder CloudBase env id: put yours (云开发控制台 > 设置 > 环境 ID)' },
];

const TEXT_FILE = /\.(ts|js|wxml|wxss|wxs|json)$/;

export function findPlaceholders(project: ShipProject): Problem[] {
  const found: Problem[] = [];
  if (project.appid === PLACEHOLDER_APPID) {
    const config = path.join(project.root, 'project.config.json');
    const line = lineOf(fs.readFileSync(config, 'utf8'), `"${PLACEHOLDER_APPID}"`);
    found.push({
      file: 'project.config.json',
      ...(line === undefined ? {} : { line }),
      message: `appid "${PLACEHOLDER_APPID}": the placeholder AppID: put yours (mp.weixin.qq.com > 开发管理 > 开发设置)`,
    });
  }
  for (const file of listFiles(project.miniprogramRoot)) {
    if (!TEXT_FILE.test(file)) continue;
    const absolute = path.join(project.miniprogramRoot, file);
    const lines = fs.readFileSync(absolute, 'utf8').split('\n');
    lines.forEach((text, index) => {
      for (const placeholder of TEXT_PLACEHOLDERS) {
        if (text.includes(placeholder.text))
          found.push({
            file: rel(project, absolute),
            line: index + 1,
            message: `"${placeholder.text}": ${placeholder.what}`,
          });
      }
    });
  }
  return found;
}
