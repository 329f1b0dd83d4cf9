import { describe, expect, it } from 'vitest';
import { createRenderer } from '../../../services/messaging/render';

const customer = { firstName: 'Tom & <Jerry>', model: 'Mate X7' };

describe('the renderer', () => {
  it('renders plain lookups escaped for HTML (triple-stash of customer data too) and unescaped for text, from one cache per escaping', () => {
    const renderer = createRenderer();
    const source = 'Hi {{customer.firstName}}, {{{customer.firstName}}} — {{customer.model}}';
    expect(renderer.render(source, { customer })).toBe('Hi Tom &amp; &lt;Jerry&gt;, Tom &amp; &lt;Jerry&gt; — Mate X7');
    expect(renderer.render(source, { customer }, { escapeHtml: false })).toBe(
      'Hi Tom & <Jerry>, Tom & <Jerry> — Mate X7',
    );
    expect(renderer.render(source, { customer })).toBe('Hi Tom &amp; &lt;Jerry&gt;, Tom &amp; &lt;Jerry&gt; — Mate X7');
  });

  it('throws on a missing variable (strict) in plain and in helper templates alike', () => {
    const renderer = createRenderer();
    expect(() => renderer.render('Hi {{customer.lastName}}', { customer })).toThrow(/lastName/);
    expect(() => renderer.render('{{#if customer.model}}Hi {{customer.lastName}}{{/if}}', { customer })).toThrow(
      /lastName/,
    );
  });

  it('never reaches the prototype from a plain lookup', () => {
    const renderer = createRenderer();
    expect(renderer.render('[{{customer.constructor}}]', { customer })).toBe('[]');
    expect(renderer.render('[{{customer.__proto__}}]', { customer })).toBe('[]');
  });

  it('gives helpers, @data and partials the locale and zone, after a plain render of the same source text', () => {
    const renderer = createRenderer();
    const context = { customer, event: { at: '2027-01-15T23:30:00Z', n: 3 } };
    expect(renderer.render('{{customer.model}}', context)).toBe('Mate X7');
    expect(
      renderer.render('{{date event.at "long"}} · {{@locale}}', context, {
        locale: 'en-US',
        timeZone: 'Asia/Shanghai',
      }),
    ).toBe('January 16, 2027 · en-US');
    expect(renderer.render('{{plural event.n one="# item" other="# items"}}', context)).toBe('3 items');
    expect(renderer.render('{{> footer}}', context, { partials: { footer: 'Bye {{customer.firstName}}' } })).toBe(
      'Bye Tom &amp; &lt;Jerry&gt;',
    );
  });

  it('treats a bare helper name as the helper, not as a variable', () => {
    const renderer = createRenderer();
    expect(() => renderer.render('{{date}}', { date: 'not a helper argument' })).toThrow(/date/);
  });
});
