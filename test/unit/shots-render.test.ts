/**
 * @jest-environment jsdom
 *
 * How `npm run shots` turns a page into HTML and CSS (no browser needed): a fixture page with a custom component,
 * rendered by miniprogram-simulate from its real files, then mapped by scripts/shots/html.ts and styles.ts.
 */
import { join } from 'path';
import simulate from 'miniprogram-simulate';
import { imageSources, toHtml } from '../../scripts/shots/html';
import { convertRpx, pageCss, rewriteTypeSelectors, rpxToPx } from '../../scripts/shots/styles';

const ROOT = join(__dirname, '..', 'fixtures', 'shots');

function renderSample(): Element {
  const page = simulate.render(simulate.load(join(ROOT, 'pages', 'sample', 'sample'), { rootPath: ROOT }));
  page.attach(document.createElement('parent-wrapper'));
  return page.dom as unknown as Element;
}

test('built-in components become HTML elements with their WXML attributes, classes scoped as simulate scopes them', () => {
  const dom = renderSample();
  expect(imageSources(dom)).toEqual(['cloud://env/avatar.png']);
  const images = new Map([['cloud://env/avatar.png', 'data:image/png;base64,AAAA']]);
  const html = toHtml(dom, { imageUrl: (src) => images.get(src) });
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const one = (selector: string) => doc.querySelector(selector)!;

  expect(one('[data-wx="page"] > [data-wx="view"]').getAttribute('class')).toBe('main--page');
  // Inline styles convert rpx like the stylesheets, a 1rpx hairline included.
  expect(one('.main--page').getAttribute('style')).toBe('padding: 10px 0.5px');
  expect(one('span.main--title').textContent).toBe('标题 & <b>');
  const image = one('img.main--pic');
  expect(image.getAttribute('src')).toBe('data:image/png;base64,AAAA');
  expect(image.getAttribute('style')).toBe('object-fit:cover');
  const input = one('input.main--name') as HTMLInputElement;
  expect([input.type, input.value, input.placeholder, input.className]).toEqual([
    'text',
    '小红',
    '请输入昵称',
    'weui-input main--name',
  ]);
  const save = one('button.main--save') as HTMLButtonElement;
  expect([save.className, save.disabled]).toEqual(['weui-btn weui-btn_primary main--save', false]);
  // WXML's disabled="false" is the string "false": on, as in WeChat.
  const small = one('button.main--small') as HTMLButtonElement;
  expect([small.className, small.disabled, small.dataset.size]).toEqual([
    'weui-btn weui-btn_default weui-btn_mini main--small',
    true,
    'mini',
  ]);
  const box = one('label.main--agree [data-wx="checkbox"] input') as HTMLInputElement;
  expect([box.type, box.checked, box.className]).toEqual(['checkbox', true, 'weui-agree__checkbox']);
  expect(one('a.main--link').textContent).toBe('协议');
  expect(one('.main--gone').getAttribute('style')).toBe('display:none!important');
  // A custom component keeps its tag and its own scoped tree.
  const popup = one('consent-popup.main--popup');
  expect(popup.querySelector('.consent-popup--box')?.textContent).toBe('隐私保护指引同意');
  expect(popup.querySelector('button#agree-btn')?.className).toBe('weui-btn weui-btn_primary');
});

test('a built-in without a mapping fails loudly instead of drawing something wrong', () => {
  const dom = document.createElement('main');
  dom.appendChild(document.createElement('wx-video'));
  expect(() => toHtml(dom, { imageUrl: () => undefined })).toThrow('<video> has no HTML mapping yet');
});

test('rpx becomes px as the base library converts it on a 375 px wide phone', () => {
  expect([rpxToPx(750), rpxToPx(30), rpxToPx(15), rpxToPx(1), rpxToPx(0), rpxToPx(-3)]).toEqual([
    375, 15, 7, 0.5, 0, -1,
  ]);
  expect(convertRpx('margin:15rpx -3rpx;width:calc(100% - 2.5rpx)')).toBe('margin:7px -1px;width:calc(100% - 1px)');
});

test('WXSS type selectors point at the HTML elements, in selectors only', () => {
  expect(rewriteTypeSelectors('page{color:red}view .text,button+text{content:"view"}.main--view{a:b}')).toBe(
    '[data-wx="page"]{color:red}[data-wx="view"] .text,[data-wx="button"]+[data-wx="text"]{content:"view"}.main--view{a:b}',
  );
});

test("the page's CSS: app.wxss, the page and its components, each scoped with its own prefix", () => {
  const css = pageCss(ROOT, 'sample');
  expect(css).toContain('[data-wx="page"]{font-size:15px}');
  expect(css).toContain('.main--page{margin:7px -1px}');
  expect(css).toContain('[data-wx="view"] .main--title{border-bottom:0.5px solid #000}');
  expect(css).toContain('.consent-popup--box{width:300px}');
});
