import { describe, expect, it } from 'vitest';
import { createTemplateEngine } from '../../../services/messaging/templates';
import { createRenderer, LAYOUT_OUTPUTS, PARTIAL_OUTPUTS, TEMPLATE_OUTPUTS } from '../../../services/messaging/render';

const engine = createTemplateEngine();
const known = {
  variables: { traits: ['firstName', 'bio'], event: ['orderId', 'note'] },
  partials: new Set(['footer']),
};
const asHtml = { ...known, html: TEMPLATE_OUTPUTS };
const asPartial = { ...known, html: PARTIAL_OUTPUTS };
const asLayout = { ...known, extraRoots: ['body'], html: LAYOUT_OUTPUTS };
const path = '$.body.locales.en.html';

describe('save-time check of unescaped output', () => {
  it('refuses a triple-stash of a customer trait with the JSON path, expression and position', () => {
    const issues = engine.check('<p>Hi\n  {{{customer.firstName}}}</p>', path, asHtml);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe(path);
    expect(issues[0]!.message).toMatch(/^unescaped output \{\{\{customer\.firstName\}\}\} at line 2, column 3:/);
  });

  it('refuses {{& }} of an event property', () => {
    const issues = engine.check('Order {{&event.note}}', path, asHtml);
    expect(issues).toEqual([{ path, message: expect.stringMatching(/\{\{&event\.note\}\} at line 1, column 7/) }]);
  });

  it('refuses unescaped output inside block helpers, each items, helper calls and partial blocks', () => {
    const source = [
      '{{#if customer.firstName}}{{{customer.bio}}}{{else}}{{&event.orderId}}{{/if}}',
      '{{#each recommendations}}{{{this.name}}}{{{name}}}{{/each}}',
      '{{{date customer.firstName}}}',
      '{{#> footer}}{{{customer.firstName}}}{{/footer}}',
    ].join('\n');
    const messages = engine
      .check(source, path, asHtml)
      .filter((i) => i.message.startsWith('unescaped output'))
      .map((i) => i.message.split(':')[0]);
    expect(messages).toEqual([
      'unescaped output {{{customer.bio}}} at line 1, column 27',
      'unescaped output {{&event.orderId}} at line 1, column 53',
      'unescaped output {{{this.name}}} at line 2, column 26',
      'unescaped output {{{name}}} at line 2, column 41',
      'unescaped output {{{date customer.firstName}}} at line 3, column 1',
      'unescaped output {{{customer.firstName}}} at line 4, column 14',
    ]);
  });

  it('allows escaped output, a layout’s {{{body}}} and the product’s links', () => {
    expect(engine.check('Hi {{customer.firstName}} {{event.note}} {{{links.unsubscribe}}}', path, asHtml)).toEqual([]);
    expect(engine.check('<div>{{{body}}}</div>{{> footer}}', '$.body.source', asLayout)).toEqual([]);
  });

  it('allows {{{body}}} only in a layout', () => {
    const messages = engine.check('{{{body}}}', path, asHtml).map((i) => i.message);
    expect(messages).toContainEqual(expect.stringMatching(/^unescaped output \{\{\{body\}\}\} at line 1, column 1:/));
  });

  it('refuses links and body inside each/with or other blocks (an item’s field) and in partials', () => {
    const source =
      '{{#each customer.items}}{{{links.unsubscribe}}}{{else}}{{{links.preferences}}}{{/each}}' +
      '{{#with event}}{{{body}}}{{/with}}{{#if customer.firstName}}{{{body}}}{{/if}}';
    const messages = engine
      .check(source, '$.body.source', { ...asLayout, variables: { traits: ['items', 'firstName'], event: [] } })
      .filter((i) => i.message.startsWith('unescaped output'))
      .map((i) => i.message.split(':')[0]);
    expect(messages).toEqual([
      'unescaped output {{{links.unsubscribe}}} at line 1, column 25',
      'unescaped output {{{body}}} at line 1, column 103',
    ]);
    expect(engine.check('{{{links.unsubscribe}}}', '$.body.source', asPartial)[0]?.message).toMatch(
      /^unescaped output \{\{\{links\.unsubscribe\}\}\}/,
    );
  });

  it('leaves plain-text parts alone (they are never HTML-escaped)', () => {
    expect(engine.check('Hi {{{customer.firstName}}}', '$.body.locales.en.text', known)).toEqual([]);
  });
});

describe('rendering a version saved before the check', () => {
  const customer = { firstName: '<script>x()</script>' };

  it('escapes customer data written unescaped, in the source and in partials, and an item’s fields named like ours', () => {
    const items = [{ body: '<i>b</i>', links: { unsubscribe: '<i>u</i>' } }];
    expect(
      createRenderer().render('{{#each customer.items}}{{{body}}}{{{links.unsubscribe}}}{{/each}}', {
        customer: { items },
      }),
    ).toBe('&lt;i&gt;b&lt;/i&gt;&lt;i&gt;u&lt;/i&gt;');
    const renderer = createRenderer();
    expect(renderer.render('Hi {{{customer.firstName}}} {{&customer.firstName}}', { customer })).toBe(
      'Hi &lt;script&gt;x()&lt;/script&gt; &lt;script&gt;x()&lt;/script&gt;',
    );
    expect(
      renderer.render(
        '{{#if customer}}{{> sig}}{{/if}}',
        { customer },
        { partials: { sig: '[{{{customer.firstName}}}]' } },
      ),
    ).toBe('[&lt;script&gt;x()&lt;/script&gt;]');
  });

  it('keeps a layout’s {{{body}}}, the links and plain text unescaped', () => {
    const renderer = createRenderer();
    const hbs = renderer.handlebars;
    expect(
      renderer.render('<div>{{{body}}}</div><a href="{{{links.unsubscribe}}}">x</a>', {
        body: new hbs.SafeString('<p>Hi</p>'),
        links: { unsubscribe: 'https://x.test/u?a=1&b=2' },
      }),
    ).toBe('<div><p>Hi</p></div><a href="https://x.test/u?a=1&b=2">x</a>');
    expect(renderer.render('Hi {{{customer.firstName}}}', { customer }, { escapeHtml: false })).toBe(
      'Hi <script>x()</script>',
    );
  });
});
