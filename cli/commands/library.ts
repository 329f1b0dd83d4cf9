/** `perennial library`: list and install proven journeys. */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { LibraryInstall, LibraryListing } from '../../api/schemas/library';
import { table } from '../format';
import type { Cli } from '../shared';

export function registerLibrary(program: Command, { api, emit }: Cli): void {
  const libraryCommand = program
    .command('library')
    .description('proven journeys to install: lead nurture, extended warranty, …');

  libraryCommand
    .command('list')
    .description('the journey library, with titles in English and Chinese')
    .action(async () => {
      const body = await api().get<LibraryListing>('/v1/library');
      emit(body, () =>
        table(
          ['id', 'title', '标题', 'events'],
          body.library.map((e) => [e.id, e.title.en, e.title['zh-CN'], e.events.join(', ')]),
        ),
      );
    });

  libraryCommand
    .command('install <id>')
    .description('save its templates and publish its journeys (again: publishes only what changed)')
    .option('--params <json>', 'install parameters as JSON, or @file, e.g. \'{"decisionWindows":{"phone":30}}\'')
    .action(async (id: string, options: { params?: string }) => {
      let parameters: unknown;
      if (options.params !== undefined) {
        const raw = options.params.startsWith('@') ? readFileSync(options.params.slice(1), 'utf8') : options.params;
        try {
          parameters = JSON.parse(raw);
        } catch (error) {
          throw new InvalidArgumentError(
            `--params is not JSON: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      const body = await api().post<LibraryInstall>(
        `/v1/library/${encodeURIComponent(id)}/install`,
        parameters === undefined ? {} : { parameters },
      );
      emit(body, () => {
        const journeys = table(
          ['journey', 'version', 'published'],
          body.journeys.map((j) => [j.id, j.version, j.published ? 'new version' : 'up to date']),
        );
        const saved = body.templates.filter((t) => t.saved).length;
        return `${journeys}\n${body.templates.length} templates (${saved ? `${saved} saved as new versions` : 'all up to date'})`;
      });
    });
}
