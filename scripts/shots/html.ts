import { convertRpx, PAGE_TAG } from './styles';

/**
 * The DOM miniprogram-simulate builds for a page, as an HTML document Chromium can draw. simulate renders the real
 * .wxml (through WeChat's compiler) into elements named `wx-<component>` for built-ins, the tag name for custom
 * components and `main` for the page, with classes already scoped (`main--avatar`). It keeps each element's WXML
 * attributes (src, type, size, value, ...) on the exparser node behind it, not on the DOM element: they are read
 * from there. Each built-in becomes the HTML element that behaves like it, marked data-wx="<component>" so that
 * wechat.css and rewritten WXSS type selectors find it.
 */

type Attrs = Record<string, unknown>;

/** One element of the rendered page: what the HTML for it is made from. */
interface WxmlElement {
  /** Classes as simulate scoped them. */
  classes: string;
  attrs: Attrs;
  children: string;
}

/** WXML's truth: `disabled="{{false}}"` is off; any string, even "false", is on. */
function on(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== '';
}

/** A bound value as the text an input shows: strings and numbers; anything else shows nothing. */
function shown(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const VOID_ELEMENTS = new Set(['img', 'input']);

/** An HTML element for a built-in: data-wx, id, classes (extra ones first), style (rpx converted), hidden. */
function element(
  tag: string,
  component: string,
  node: WxmlElement,
  extra: { classes?: string[]; attrs?: Record<string, string | boolean | undefined>; children?: string } = {},
): string {
  const style = [typeof node.attrs.style === 'string' ? convertRpx(node.attrs.style) : '']
    .concat(on(node.attrs.hidden) ? ['display:none!important'] : [])
    .filter(Boolean)
    .join(';');
  const attributes: Record<string, string | boolean | undefined> = {
    'data-wx': component,
    id: typeof node.attrs.id === 'string' ? node.attrs.id : undefined,
    class: [...(extra.classes ?? []), node.classes].filter(Boolean).join(' ') || undefined,
    style: style || undefined,
    ...extra.attrs,
  };
  const text = Object.entries(attributes)
    .filter(([, value]) => value !== undefined && value !== false)
    .map(([name, value]) => (value === true ? ` ${name}` : ` ${name}="${escape(String(value))}"`))
    .join('');
  return VOID_ELEMENTS.has(tag) ? `<${tag}${text}>` : `<${tag}${text}>${extra.children ?? node.children}</${tag}>`;
}

/** <image mode> as CSS object-fit (scaleToFill, the default, stretches). */
const IMAGE_FIT: Record<string, string> = {
  scaleToFill: 'fill',
  aspectFit: 'contain',
  aspectFill: 'cover',
  widthFix: 'fill',
  heightFix: 'fill',
};

export interface HtmlContext {
  /** The URL the browser loads for an <image src> (a cloud:// fileID, a temporary file path). */
  imageUrl(src: string): string | undefined;
}

type BuiltIn = (node: WxmlElement, context: HtmlContext) => string;

/** Every built-in component the renderer draws, as HTML. A page using another one fails loudly (see toHtml). */
export const BUILT_INS: Record<string, BuiltIn> = {
  view: (node) => element('div', 'view', node),
  text: (node) => element('span', 'text', node),
  'scroll-view': (node) => element('div', 'scroll-view', node),
  form: (node) => element('form', 'form', node),
  label: (node) => element('label', 'label', node),
  navigator: (node) => element('a', 'navigator', node),
  'checkbox-group': (node) => element('div', 'checkbox-group', node),
  button: (node) => {
    const type = typeof node.attrs.type === 'string' ? node.attrs.type : 'default';
    const mini = node.attrs.size === 'mini';
    return element('button', 'button', node, {
      classes: ['weui-btn', `weui-btn_${type}`, ...(mini ? ['weui-btn_mini'] : [])],
      attrs: { type: 'button', 'data-size': mini ? 'mini' : undefined, disabled: on(node.attrs.disabled) },
    });
  },
  image: (node, { imageUrl }) => {
    const src = typeof node.attrs.src === 'string' ? node.attrs.src : '';
    const mode = typeof node.attrs.mode === 'string' ? node.attrs.mode : 'scaleToFill';
    const fit = `object-fit:${IMAGE_FIT[mode] ?? 'fill'}${mode === 'widthFix' ? ';height:auto' : ''}`;
    const style = [fit, typeof node.attrs.style === 'string' ? node.attrs.style : ''].filter(Boolean).join(';');
    return element(
      'img',
      'image',
      { ...node, attrs: { ...node.attrs, style } },
      {
        attrs: { src: src ? imageUrl(src) : undefined, alt: '', 'data-mode': mode },
      },
    );
  },
  input: (node) => {
    const password = on(node.attrs.password) || node.attrs.type === 'safe-password';
    const type = password ? 'password' : node.attrs.type === 'number' || node.attrs.type === 'digit' ? 'tel' : 'text';
    return element('input', 'input', node, {
      classes: ['weui-input'],
      attrs: {
        type,
        value: shown(node.attrs.value),
        placeholder: typeof node.attrs.placeholder === 'string' ? node.attrs.placeholder : undefined,
        disabled: on(node.attrs.disabled),
      },
    });
  },
  textarea: (node) =>
    element('textarea', 'textarea', node, {
      attrs: { placeholder: typeof node.attrs.placeholder === 'string' ? node.attrs.placeholder : undefined },
      children: escape(shown(node.attrs.value) ?? ''),
    }),
  checkbox: (node) => {
    const box = `<input type="checkbox" class="weui-agree__checkbox"${on(node.attrs.checked) ? ' checked' : ''}${
      on(node.attrs.disabled) ? ' disabled' : ''
    }>`;
    return element('span', 'checkbox', node, { children: box + node.children });
  },
  'rich-text': (node) => {
    // Page-owned markup, as the component shows it; the node-array form is not drawn.
    if (node.attrs.nodes !== undefined && typeof node.attrs.nodes !== 'string')
      throw new Error('<rich-text nodes> as an array is not drawn: pass an HTML string');
    return element('div', 'rich-text', node, {
      children: typeof node.attrs.nodes === 'string' ? node.attrs.nodes : '',
    });
  },
};

interface ExparserBacked {
  __wxElement?: { _vt?: { attrs?: Array<{ name: string; value: unknown }> } };
}

function attrsOf(element: Element): Attrs {
  const attrs: Attrs = {};
  for (const { name, value } of (element as unknown as ExparserBacked).__wxElement?._vt?.attrs ?? [])
    attrs[name] = value;
  return attrs;
}

/** The HTML of a simulate DOM subtree. */
export function toHtml(dom: Element, context: HtmlContext): string {
  const convert = (node: ChildNode): string => {
    if (node.nodeType === 3) return escape(node.textContent ?? '');
    if (node.nodeType !== 1) return '';
    const element = node as Element;
    const tag = element.tagName.toLowerCase();
    const source: WxmlElement = {
      classes: element.getAttribute('class') ?? '',
      attrs: attrsOf(element),
      children: Array.from(element.childNodes).map(convert).join(''),
    };
    if (tag === PAGE_TAG) return `<div data-wx="page">${source.children}</div>`;
    if (tag.startsWith('wx-')) {
      const builtIn = BUILT_INS[tag.slice(3)];
      if (!builtIn) throw new Error(`<${tag.slice(3)}> has no HTML mapping yet: add one to scripts/shots/html.ts`);
      return builtIn(source, context);
    }
    // A custom component: its host element keeps its tag (inline, as in WeChat) around its own scoped tree.
    const style = typeof source.attrs.style === 'string' ? ` style="${escape(convertRpx(source.attrs.style))}"` : '';
    return `<${tag} class="${escape(source.classes)}"${style}>${source.children}</${tag}>`;
  };
  return convert(dom);
}

/** Every <image src> of a simulate DOM subtree. */
export function imageSources(dom: Element): string[] {
  return Array.from(dom.querySelectorAll('wx-image'))
    .map((image) => attrsOf(image).src)
    .filter((src): src is string => typeof src === 'string' && src !== '');
}

export interface WindowStyle {
  navigationBarTitleText: string;
  navigationBarBackgroundColor: string;
  navigationBarTextStyle: 'black' | 'white';
  backgroundColor: string;
}

/** WeChat's capsule (the ··· menu and the close ring), as the client draws it at the top right of every page. */
function capsule(color: string): string {
  const dots = [18, 25, 32].map((x) => `<circle cx="${x}" cy="16" r="2.6" fill="${color}"/>`).join('');
  return (
    `<svg class="wx-capsule" width="87" height="32" viewBox="0 0 87 32">` +
    `<rect x="0.25" y="0.25" width="86.5" height="31.5" rx="15.75" fill="rgba(255,255,255,.6)" stroke="rgba(0,0,0,.12)" stroke-width="0.5"/>` +
    dots +
    `<line x1="43.5" y1="9" x2="43.5" y2="23" stroke="rgba(0,0,0,.12)" stroke-width="0.5"/>` +
    `<circle cx="65" cy="16" r="7.5" fill="none" stroke="${color}" stroke-width="2"/>` +
    `<circle cx="65" cy="16" r="2.6" fill="${color}"/></svg>`
  );
}

/** A whole phone screen: the navigation bar and the page, with the client's CSS and the page's. */
export function phoneDocument(pageHtml: string, css: { client: string; page: string }, window: WindowStyle): string {
  const color = window.navigationBarTextStyle === 'white' ? '#ffffff' : '#000000';
  return [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<style>:root{--window-background:${window.backgroundColor}}</style>`,
    `<style>${css.client}</style>`,
    `<style>${css.page}</style>`,
    '</head><body>',
    `<div class="wx-navigation-bar" style="background:${window.navigationBarBackgroundColor};color:${color}">`,
    `${escape(window.navigationBarTitleText)}${capsule(color)}</div>`,
    pageHtml,
    '</body></html>',
  ].join('');
}
