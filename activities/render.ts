/**
 * Template rendering: an isolated Handlebars instance (no global helpers leak in or out), strict
 * mode (a missing variable is an error, not an empty string), HTML escaping on by default.
 * Plain-text output (an email subject, a text/plain part, an SMS) passes `{ escapeHtml: false }`:
 * HTML entities there would reach the reader literally ("Tom &amp; Jerry").
 */
import Handlebars from 'handlebars';

export type RenderContext = Record<string, unknown>;

export interface RenderOptions {
  /** HTML-escape `{{values}}` (default true). `{{{triple}}}` is never escaped. */
  escapeHtml?: boolean;
}

export function createRenderer() {
  const hbs = Handlebars.create();
  const caches = { html: new Map<string, HandlebarsTemplateDelegate>(), text: new Map<string, HandlebarsTemplateDelegate>() };
  const compile = (source: string, escapeHtml: boolean) => {
    const cache = escapeHtml ? caches.html : caches.text;
    let template = cache.get(source);
    if (!template) {
      template = hbs.compile(source, { strict: true, noEscape: !escapeHtml });
      cache.set(source, template);
    }
    return template;
  };
  return {
    render(source: string, context: RenderContext, options?: RenderOptions): string {
      // Prototype access stays off (Handlebars' default since 4.6): traits cannot reach Object.prototype.
      return compile(source, options?.escapeHtml ?? true)(context, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
    },
  };
}
export type Renderer = ReturnType<typeof createRenderer>;
