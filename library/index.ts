/**
 * The journey library's registry: every entry a brand can install with one call
 * (`POST /v1/library/:id/install`, `perennial library install <id>`). Append new entries here.
 */
import { consumableRefill } from './journeys/consumable-refill';
import { crossCategoryRecommendation } from './journeys/cross-category-recommendation';
import { leadNurture } from './journeys/lead-nurture';
import { maintenanceService } from './journeys/maintenance-service';
import { warrantyUpsell } from './journeys/warranty-upsell';
import type { InstallContext, LibraryJourney, PlannedJourney } from './types';

export const library: LibraryJourney[] = [
  leadNurture,
  consumableRefill,
  maintenanceService,
  warrantyUpsell,
  crossCategoryRecommendation,
];

export function libraryEntry(id: string): LibraryJourney | undefined {
  return library.find((entry) => entry.id === id);
}

/**
 * The journeys installing `entry` publishes: its `plan` over validated parameters and the catalog,
 * or its one definition as journey `entry.id`. Parameters must already have passed `entry.parameters`.
 */
export function planInstall(entry: LibraryJourney, parameters: unknown, context: InstallContext): PlannedJourney[] {
  if (entry.plan) return entry.plan(parameters, context);
  return [{ id: entry.id, definition: entry.definition, templates: entry.templates }];
}

export type { InstallContext, LibraryJourney, PlannedJourney } from './types';
export { InstallParameterError } from './types';
