import type { ComponentType } from 'preact';
import type { StudioArea } from '../../roles.ts';
import { campaignPage } from './campaign.tsx';
import { campaignsPage } from './campaigns.tsx';
import { FlowPage } from './flow.tsx';
import { FlowsPage } from './flows.tsx';
import { customerPage, customersPage } from './customers.tsx';
import { reportsPage } from './reports.tsx';
import { segmentsPage } from './segments.tsx';
import { ticketsPage } from './tickets.tsx';

export interface PageProps {
  /** The route's parameters (/flows/:id gives { id }). */
  readonly params: Record<string, string>;
}

/** A page of the studio: where it is, who may open it, whether the nav lists it. */
export interface StudioPage {
  readonly id: string;
  /** A hash route; `:name` parts become params. */
  readonly path: string;
  /** The text key of its title (i18n.ts). */
  readonly title: string;
  /** Who may open it: the roles of this area in the role matrix (src/studio/roles.ts). */
  readonly area: StudioArea;
  /** Listed in the nav (a page of one item, such as one flow, is not). */
  readonly nav: boolean;
  readonly component: ComponentType<PageProps>;
}

/** Every page, in nav order. */
export const pages: readonly StudioPage[] = [
  { id: 'flows', path: '/flows', title: 'flows.title', area: 'flows', nav: true, component: FlowsPage },
  { id: 'flow', path: '/flows/:id', title: 'flows.name', area: 'flows', nav: false, component: FlowPage },
  reportsPage,
  customersPage,
  customerPage,
  ticketsPage,
  campaignsPage,
  campaignPage,
  segmentsPage,
];
