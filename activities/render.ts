/**
 * Template rendering: an isolated Handlebars instance (no global helpers leak in or out), strict
 * mode (a missing variable is an error, not an empty string), HTML escaping on by default.
 */
import Handlebars from 'handlebars';

export type RenderContext = Record<string, unknown>;

export function createRenderer() {
  const hbs = Handlebars.create();
  const cache = new Map<string, HandlebarsTemplateDelegate>();
  const compile = (source: string) => {
    let template = cache.get(source);
    if (!template) {
      template = hbs.compile(source, { strict: true });
      cache.set(source, template);
    }
    return template;
  };
  return {
    render(source: string, context: RenderContext): string {
      // Prototype access stays off (Handlebars' default since 4.6): traits cannot reach Object.prototype.
      return compile(source)(context, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
    },
  };
}
export type Renderer = ReturnType<typeof createRenderer>;
