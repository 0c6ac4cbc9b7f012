/** Who may use the studio; stored on StudioUser.role. */
export const STUDIO_ROLES = ['admin', 'manager', 'marketer', 'agent'] as const;
export type StudioRole = (typeof STUDIO_ROLES)[number];

/**
 * The role matrix: which roles may use each part of the studio. Admins everything; managers
 * read reports, customers, tickets, flows, segments and campaigns; marketers read and edit flows,
 * segments and campaigns and read flow statistics; agents read customers and tickets. Routes take their roles from here
 * (`requireRole(...STUDIO_ACCESS.flowsEdit)`), so the matrix is written once.
 */
export const STUDIO_ACCESS = {
  users: ['admin'],
  reports: ['admin', 'manager'],
  customers: ['admin', 'manager', 'agent'],
  tickets: ['admin', 'manager', 'agent'],
  flows: ['admin', 'manager', 'marketer'],
  flowsEdit: ['admin', 'marketer'],
  flowStats: ['admin', 'manager', 'marketer'],
  campaigns: ['admin', 'manager', 'marketer'],
  campaignsEdit: ['admin', 'marketer'],
} as const satisfies Record<string, readonly StudioRole[]>;

export type StudioArea = keyof typeof STUDIO_ACCESS;

export function mayUse(role: StudioRole, area: StudioArea): boolean {
  return (STUDIO_ACCESS[area] as readonly StudioRole[]).includes(role);
}
