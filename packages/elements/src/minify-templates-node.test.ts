import { describe, expect, it } from 'vitest';
import { minifyCss, minifyHtml, minifyTemplates } from './minify-templates-node.js';

describe('minifyCss', () => {
  it('drops comments and the whitespace CSS does not need', () => {
    const css = `
      /* why */
      :host {
        color: var(--x, #fff);
      }
      .a .b,
      .c > .d {
        margin: 0 0 6px;
      }
    `;
    expect(minifyCss(css)).toBe(' :host{color:var(--x,#fff)}.a .b,.c>.d{margin:0 0 6px}');
  });

  it('drops the zero before a decimal point, and only that zero', () => {
    expect(
      minifyCss('a { opacity: 0.8; transition: 10.5s 0.25s; color: rgb(0 0 0 / 0.3); margin: 0 0.5em; }'),
    ).toBe('a{opacity:.8;transition:10.5s .25s;color:rgb(0 0 0 / .3);margin:0 .5em}');
  });
});

describe('minifyHtml', () => {
  it('turns line breaks with indentation into one space and drops spaces between tags', () => {
    expect(minifyHtml('<p>\n    a\n  </p>\n  <button\n    type="button"\n  >Go</button>')).toBe(
      '<p> a </p><button type="button" >Go</button>',
    );
  });

  it('keeps spaces inside a line', () => {
    expect(minifyHtml('<p>Your <b>shop</b> account</p>')).toBe('<p>Your <b>shop</b> account</p>');
  });
});

describe('minifyTemplates', () => {
  it('minifies the static parts of css and html templates only, keeping the expressions', () => {
    const source = [
      'const a = css`\n  p {\n    color: red;\n  }\n`;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: this is source text, placeholder included
      'const b = html`<p>\n  ${x ? html`<i>\n  é</i>` : y}\n</p>`;',
      'const c = `keep\n   this`;',
      'const d = svg`<g>\n  </g>`;',
    ].join('\n');
    expect(minifyTemplates('x.ts', source)).toBe(
      [
        'const a = css` p{color:red}`;',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: this is source text, placeholder included
        'const b = html`<p> ${x ? html`<i> é</i>` : y} </p>`;',
        'const c = `keep\n   this`;',
        'const d = svg`<g>\n  </g>`;',
      ].join('\n'),
    );
  });
});
