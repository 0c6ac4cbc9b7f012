-- Leases are advisory and expire on their own: they need no write-ahead log (a crash empties
-- the table, which frees every lane just as expiry would), so claiming lanes costs no WAL flush.
ALTER TABLE "Lease" SET UNLOGGED;

-- Queue tables: each handled row leaves a dead row version behind in the status index, and
-- every claim scans those until vacuum removes them. Vacuum them after a few thousand changes
-- instead of after 20% of the table (which on a large inbox is never).
ALTER TABLE "InboxEvent" SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE "OutboxItem" SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE "Job" SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000, autovacuum_analyze_scale_factor = 0.02);
