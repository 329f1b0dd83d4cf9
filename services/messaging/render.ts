/**
 * Template rendering: an isolated Handlebars instance (no global helpers leak in or out), strict
 * mode (a missing variable is an error, not an empty string), HTML escaping on by default.
 * Plain-text output (an email subject, a text/plain part, an SMS) passes `{ escapeHtml: false }`:
 * HTML entities there would reach the reader literally ("Tom &amp; Jerry").
 *
 * Helpers format for the reader: `{{date when "long" time=true}}` in the customer's time zone,
 * `{{currency amount "CNY"}}` (`cents=true` for minor units), `{{plural n one="# item" other="# items"}}`
 * by the locale's plural rules. Locale and zone reach helpers as `@locale` / `@timeZone` data.
 */
import Handlebars from 'handlebars';

export type RenderContext = Record<string, unknown>;

export interface RenderOptions {
  /**
   * HTML-escape `{{values}}` (default true). When true, `{{{triple}}}` and `{{&x}}` output is escaped too,
   * except a layout's `{{{body}}}` and `{{{links.*}}}`, which the product builds (see `unescapedOutputs`).
   */
  escapeHtml?: boolean;
  locale?: string;
  timeZone?: string;
  /** Partials by name (`{{> footer}}`): Handlebars sources, compiled with the same escaping. */
  partials?: Record<string, string>;
}

export const builtInHelpers = ['if', 'unless', 'each', 'with', 'lookup', 'log'] as const;
export const formattingHelpers = ['date', 'currency', 'plural'] as const;

type HelperOptions = Handlebars.HelperOptions & { data?: { locale?: string; timeZone?: string } };

const dateStyles = new Set(['short', 'medium', 'long', 'full']);

function registerHelpers(hbs: typeof Handlebars) {
  hbs.registerHelper('date', function (value: unknown, ...rest: unknown[]) {
    const options = rest.pop() as HelperOptions;
    const style =
      typeof rest[0] === 'string' && dateStyles.has(rest[0])
        ? (rest[0] as 'short' | 'medium' | 'long' | 'full')
        : 'medium';
    const date =
      value instanceof Date ? value : new Date(typeof value === 'number' || typeof value === 'string' ? value : NaN);
    if (Number.isNaN(date.getTime())) throw new Error(`date: ${JSON.stringify(value)} is not a date`);
    return new Intl.DateTimeFormat(options.data?.locale ?? 'en', {
      dateStyle: style,
      ...(options.hash.time === true ? { timeStyle: 'short' as const } : {}),
      timeZone: options.data?.timeZone ?? 'UTC',
    }).format(date);
  });
  hbs.registerHelper('currency', function (amount: unknown, ...rest: unknown[]) {
    const options = rest.pop() as HelperOptions;
    const code = typeof rest[0] === 'string' ? rest[0] : 'CNY';
    const n = typeof amount === 'number' ? amount : Number(amount);
    if (!Number.isFinite(n)) throw new Error(`currency: ${JSON.stringify(amount)} is not a number`);
    return new Intl.NumberFormat(options.data?.locale ?? 'en', { style: 'currency', currency: code }).format(
      options.hash.cents === true ? n / 100 : n,
    );
  });
  hbs.registerHelper('plural', function (count: unknown, options: HelperOptions) {
    const n = typeof count === 'number' ? count : Number(count);
    if (!Number.isFinite(n)) throw new Error(`plural: ${JSON.stringify(count)} is not a number`);
    const locale = options.data?.locale ?? 'en';
    const hash = options.hash as Record<string, unknown>;
    // An explicit `zero=` wins for 0 even where the language has no "zero" category (English).
    const form =
      n === 0 && typeof hash.zero === 'string'
        ? hash.zero
        : (hash[new Intl.PluralRules(locale).select(n)] ?? hash.other);
    if (typeof form !== 'string') throw new Error('plural: give at least other="…"');
    return form.replaceAll('#', new Intl.NumberFormat(locale).format(n));
  });
}

/** What Handlebars is given at every call that needs no `@data`: prototype access stays off (its default since 4.6, said explicitly). */
const PLAIN_RUNTIME_OPTIONS: Handlebars.RuntimeOptions = Object.freeze({
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
});
const NO_PARTIALS: Readonly<Record<string, string>> = Object.freeze({});

interface Compiled {
  template: HandlebarsTemplateDelegate;
  /** False for a template of text and plain `{{path}}` lookups: it never reads `@locale`/`@timeZone` or partials. */
  needsRuntime: boolean;
}

/**
 * True when `source` is only text, comments and `{{path}}` / `{{{path}}}` lookups (no helpers, blocks,
 * partials or `@data`): it renders the same compiled without a data frame, which skips Handlebars'
 * per-call frame and option set-up, and can run in an instance without our helpers, which Handlebars
 * re-wraps at every call (together ~15% of a render's time for the most common template).
 */
function isPlainLookup(hbs: typeof Handlebars, source: string): boolean {
  let ast: hbs.AST.Program;
  try {
    ast = hbs.parse(source);
  } catch {
    return false; // compiling reports the error
  }
  return ast.body.every((statement) => {
    if (statement.type === 'ContentStatement' || statement.type === 'CommentStatement') return true;
    if (statement.type !== 'MustacheStatement') return false;
    const mustache = statement as hbs.AST.MustacheStatement;
    if (mustache.params.length > 0 || (mustache.hash?.pairs.length ?? 0) > 0 || mustache.path.type !== 'PathExpression')
      return false;
    const path = mustache.path as hbs.AST.PathExpression;
    return !path.data && path.depth === 0 && !Object.hasOwn(hbs.helpers, path.parts[0] ?? path.original);
  });
}

/** One `{{{…}}}` / `{{&…}}` in a source, with its 1-based position. */
export interface UnescapedOutput {
  node: hbs.AST.MustacheStatement;
  line: number;
  column: number;
}

/** Which product-built values a source may print unescaped (partials: none). */
export interface ProductOutputs {
  /** `{{{body}}}`: a layout's rendered message (a SafeString). */
  body: boolean;
  /** `{{{links.<name>}}}`: signed URLs the send activity builds. */
  links: boolean;
}
export const TEMPLATE_OUTPUTS: ProductOutputs = Object.freeze({ body: false, links: true });
export const LAYOUT_OUTPUTS: ProductOutputs = Object.freeze({ body: true, links: true });
export const PARTIAL_OUTPUTS: ProductOutputs = Object.freeze({ body: false, links: false });

/**
 * The unescaped outputs (`{{{x}}}`, `{{&x}}`) of a parsed source that the product does not build
 * itself. Allowed only in the template's own context (outside `#each`/`#with` and other block
 * helpers, where `body` or `links` would be a field of a customer's or event's item) and only as
 * the bare path: `{{{body}}}` and `{{{links.<name>}}}` where `allowed` says. A partial gets no
 * allowance: it may be called inside an `#each` or with any context. Everything else (traits, event
 * properties, recommendations, helper calls over them, `this`) can carry markup a customer or an
 * event set, through write keys that ship in public apps.
 */
export function unescapedOutputs(ast: hbs.AST.Program, allowed: ProductOutputs): UnescapedOutput[] {
  const found: UnescapedOutput[] = [];
  const productBuilt = (m: hbs.AST.MustacheStatement) => {
    if (m.params.length > 0 || (m.hash?.pairs.length ?? 0) > 0 || m.path.type !== 'PathExpression') return false;
    const p = m.path as hbs.AST.PathExpression;
    if (p.data || p.depth > 0 || p.original.startsWith('this')) return false;
    if (p.original === 'body') return allowed.body;
    return allowed.links && p.parts.length === 2 && p.parts[0] === 'links';
  };
  const visit = (program: hbs.AST.Program | undefined, scoped: boolean) => {
    for (const s of program?.body ?? []) {
      if (s.type === 'MustacheStatement') {
        const m = s as hbs.AST.MustacheStatement;
        if (!m.escaped && (scoped || !productBuilt(m)))
          found.push({ node: m, line: m.loc.start.line, column: m.loc.start.column + 1 });
      } else if (s.type === 'BlockStatement' || s.type === 'PartialBlockStatement') {
        const block = s as hbs.AST.BlockStatement;
        // A partial block ({{#> footer}}…) has a `name`, not a `path`: its content renders in the partial's context.
        const name =
          s.type === 'BlockStatement' && block.path.type === 'PathExpression'
            ? (block.path as hbs.AST.PathExpression).original
            : '';
        const keepsContext = s.type === 'BlockStatement' && (name === 'if' || name === 'unless');
        const builtIn = keepsContext || name === 'each' || name === 'with';
        visit(block.program, scoped || !keepsContext);
        // The {{else}} of if/unless/each/with runs in the outer context; of anything else, unknown.
        visit(block.inverse, scoped || !builtIn);
      }
    }
  };
  visit(ast, false);
  return found;
}

/**
 * What to compile for HTML: a version saved before save-time refused unescaped customer and event
 * data still renders, with that output escaped (the data prints as text, never as markup).
 */
function escapedForHtml(hbs: typeof Handlebars, source: string, allowed: ProductOutputs): string | hbs.AST.Program {
  let ast: hbs.AST.Program;
  try {
    ast = hbs.parse(source);
  } catch {
    return source; // compiling reports the error
  }
  const raw = unescapedOutputs(ast, allowed);
  if (raw.length === 0) return source;
  for (const { node } of raw) node.escaped = true;
  return ast;
}

export function createRenderer() {
  const hbs = Handlebars.create();
  registerHelpers(hbs);
  // Handlebars wraps every registered helper at every call: plain lookups run in an instance without ours.
  const plain = Handlebars.create();
  // HTML partials compile apart from HTML templates: they get no unescaped allowance (`unescapedOutputs`).
  const caches = {
    html: new Map<string, Compiled>(),
    htmlPartial: new Map<string, Compiled>(),
    text: new Map<string, Compiled>(),
  };
  const compile = (source: string, mode: keyof typeof caches): Compiled => {
    const cache = caches[mode];
    let compiled = cache.get(source);
    if (!compiled) {
      const needsRuntime = !isPlainLookup(hbs, source);
      // A template here may be a layout (`{{{body}}}`); elsewhere `body` is not in the context.
      const input =
        mode === 'text' ? source : escapedForHtml(hbs, source, mode === 'html' ? LAYOUT_OUTPUTS : PARTIAL_OUTPUTS);
      compiled = {
        template: (needsRuntime ? hbs : plain).compile(input, {
          strict: true,
          noEscape: mode === 'text',
          data: needsRuntime,
        }),
        needsRuntime,
      };
      if (cache.size > 1_000) cache.clear(); // edited templates would otherwise accumulate forever
      cache.set(source, compiled);
    }
    return compiled;
  };
  return {
    render(source: string, context: RenderContext, options?: RenderOptions): string {
      const escapeHtml = options?.escapeHtml ?? true;
      const { template, needsRuntime } = compile(source, escapeHtml ? 'html' : 'text');
      // Prototype access stays off (Handlebars' default since 4.6): traits cannot reach Object.prototype.
      if (!needsRuntime) return template(context, PLAIN_RUNTIME_OPTIONS);
      const given = options?.partials ?? NO_PARTIALS;
      const partials: Record<string, HandlebarsTemplateDelegate> = {};
      for (const name in given)
        if (Object.hasOwn(given, name))
          partials[name] = compile(given[name]!, escapeHtml ? 'htmlPartial' : 'text').template;
      return template(context, {
        ...PLAIN_RUNTIME_OPTIONS,
        partials,
        data: { locale: options?.locale ?? 'en', timeZone: options?.timeZone ?? 'UTC' },
      });
    },
    /** The instance's parser, for save-time validation (activities/templates.ts). */
    handlebars: hbs,
  };
}
export type Renderer = ReturnType<typeof createRenderer>;
